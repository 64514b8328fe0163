package aio_test

import (
	"context"
	"fmt"

	"github.com/fasync-go/fasync/aio"
)

// RegisterFile lets io_uring name the file by a fixed-file slot instead
// of looking the descriptor up for every request. The descriptor must
// stay open until UnregisterFile.
func ExampleEngine_RegisterFile() {
	f, cleanup := exampleFile("registered")
	defer cleanup()
	e, err := aio.New()
	if err != nil {
		panic(err)
	}
	defer e.Close()
	fd := int(f.Fd())
	if err := e.RegisterFile(fd); err != nil {
		panic(err)
	}
	defer e.UnregisterFile(fd) // before f is closed
	r := &aio.Request{Fd: fd, Buf: make([]byte, 10)}
	if err := e.Read(r); err != nil {
		panic(err)
	}
	if err := aio.Suspend(context.Background(), []*aio.Request{r}, aio.NoTimeout); err != nil {
		panic(err)
	}
	n, _ := r.Return()
	fmt.Println(string(r.Buf[:n]))
	// Output: registered
}

// WithRingThreads gives each ring's loop a thread of its own; it suits
// requests notified with SIGEV_INLINE, whose callbacks run on that thread.
func ExampleWithRingThreads() {
	f, cleanup := exampleFile("one ring, one thread")
	defer cleanup()
	e, err := aio.New(aio.WithRings(1), aio.WithRingThreads())
	if err != nil {
		panic(err)
	}
	defer e.Close()
	got := make(chan string, 1)
	r := &aio.Request{Fd: int(f.Fd()), Buf: make([]byte, 32)}
	r.Notify = aio.Sigevent{Notify: aio.SIGEV_INLINE, Func: func(r *aio.Request) {
		n, _ := r.Return()
		got <- string(r.Buf[:n]) // buffered: the callback must not block
	}}
	if err := e.Read(r); err != nil {
		panic(err)
	}
	fmt.Println(<-got)
	// Output: one ring, one thread
}
