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

// WithRingThreads suits requests resubmitted from SIGEV_INLINE callbacks:
// here a chain of reads through the file, each started by the previous
// one's callback on the ring's own thread.
func ExampleWithRingThreads() {
	f, cleanup := exampleFile("one ring, one thread")
	defer cleanup()
	e, err := aio.New(aio.WithRings(1), aio.WithRingThreads())
	if err != nil {
		panic(err)
	}
	defer e.Close()
	var text []byte
	done := make(chan struct{})
	r := &aio.Request{Fd: int(f.Fd()), Buf: make([]byte, 5)}
	r.Notify = aio.Sigevent{Notify: aio.SIGEV_INLINE, Func: func(r *aio.Request) {
		n, err := r.Return()
		if err != nil || n == 0 {
			close(done)
			return
		}
		text = append(text, r.Buf[:n]...)
		r.Offset += int64(n)
		if e.Read(r) != nil {
			close(done)
		}
	}}
	if err := e.Read(r); err != nil {
		panic(err)
	}
	<-done
	fmt.Println(string(text))
	// Output: one ring, one thread
}
