package aio_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/fasync-go/fasync/aio"
	"golang.org/x/sys/unix"
)

// exampleFile creates a small file for the examples.
func exampleFile(content string) (*os.File, func()) {
	dir, err := os.MkdirTemp("", "aio-example")
	if err != nil {
		panic(err)
	}
	name := filepath.Join(dir, "f")
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		panic(err)
	}
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		panic(err)
	}
	return f, func() { f.Close(); os.RemoveAll(dir) }
}

// Read queues a read and Suspend waits for it; Return takes the byte count.
func ExampleEngine_Read() {
	f, cleanup := exampleFile("hello, asynchronous world")
	defer cleanup()
	e, err := aio.New()
	if err != nil {
		panic(err)
	}
	defer e.Close()

	r := &aio.Request{Fd: int(f.Fd()), Offset: 7, Buf: make([]byte, 12)}
	if err := e.Read(r); err != nil {
		panic(err)
	}
	// ... other work while the read is in flight ...
	if err := e.Suspend(context.Background(), []*aio.Request{r}, aio.NoTimeout); err != nil {
		panic(err)
	}
	n, err := e.Return(r)
	fmt.Println(n, err, string(r.Buf[:n]))
	// Output: 12 <nil> asynchronous
}

// Write with a channel notification, then an Fsync that completes after it.
func ExampleEngine_Write() {
	f, cleanup := exampleFile("")
	defer cleanup()
	e, err := aio.New()
	if err != nil {
		panic(err)
	}
	defer e.Close()

	done := make(chan *aio.Request, 2)
	w := &aio.Request{Fd: int(f.Fd()), Buf: []byte("data"), Notify: aio.Sigevent{Notify: aio.SIGEV_CHAN, Chan: done}}
	s := &aio.Request{Fd: int(f.Fd()), Notify: aio.Sigevent{Notify: aio.SIGEV_CHAN, Chan: done}}
	if err := e.Write(w); err != nil {
		panic(err)
	}
	if err := e.Fsync(unix.O_DSYNC, s); err != nil {
		panic(err)
	}
	for range 2 {
		r := <-done
		n, err := r.Return()
		fmt.Println(r == s, n, err)
	}
	// Output:
	// false 4 <nil>
	// true 0 <nil>
}

// ListIO submits a batch in one call; LIO_WAIT returns when all are done.
func ExampleEngine_ListIO() {
	f, cleanup := exampleFile("0123456789")
	defer cleanup()
	e, err := aio.New()
	if err != nil {
		panic(err)
	}
	defer e.Close()

	list := []*aio.Request{
		{Fd: int(f.Fd()), Offset: 0, Buf: make([]byte, 3), Opcode: aio.LIO_READ},
		{Fd: int(f.Fd()), Offset: 10, Buf: []byte("abc"), Opcode: aio.LIO_WRITE},
		{Opcode: aio.LIO_NOP},
	}
	if err := e.ListIO(context.Background(), aio.LIO_WAIT, list, nil); err != nil {
		panic(err)
	}
	fmt.Println(string(list[0].Buf))
	b, _ := os.ReadFile(f.Name())
	fmt.Println(string(b))
	// Output:
	// 012
	// 0123456789abc
}

// A callback (SIGEV_THREAD) runs on its own goroutine after completion.
func ExampleSigevent_callback() {
	f, cleanup := exampleFile("callback")
	defer cleanup()
	got := make(chan string)
	r := &aio.Request{Fd: int(f.Fd()), Buf: make([]byte, 8)}
	r.Notify = aio.Sigevent{Notify: aio.SIGEV_THREAD, Func: func(r *aio.Request) {
		n, _ := r.Return()
		got <- string(r.Buf[:n])
	}}
	if err := aio.Read(r); err != nil { // the default engine
		panic(err)
	}
	fmt.Println(<-got)
	// Output: callback
}

// An inline callback (SIGEV_INLINE) runs where the request completed and
// may submit again: here it reads a file in 4-byte steps until the end.
func ExampleSigevent_inline() {
	f, cleanup := exampleFile("read in steps, inline")
	defer cleanup()
	var text []byte
	done := make(chan struct{})
	r := &aio.Request{Fd: int(f.Fd()), Buf: make([]byte, 4)}
	r.Notify = aio.Sigevent{Notify: aio.SIGEV_INLINE, Func: func(r *aio.Request) {
		n, err := r.Return()
		if err != nil || n == 0 {
			close(done)
			return
		}
		text = append(text, r.Buf[:n]...)
		r.Offset += int64(n)
		if err := aio.Read(r); err != nil { // not blocking: allowed inline
			close(done)
		}
	}}
	if err := aio.Read(r); err != nil {
		panic(err)
	}
	<-done
	fmt.Println(string(text))
	// Output: read in steps, inline
}

// Cancel stops a request that cannot finish yet: a read of an empty pipe.
func ExampleEngine_Cancel() {
	e, err := aio.New()
	if err != nil {
		panic(err)
	}
	defer e.Close()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		panic(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])

	r := &aio.Request{Fd: p[0], Buf: make([]byte, 1)}
	if err := e.Read(r); err != nil {
		panic(err)
	}
	res, err := e.Cancel(p[0], nil)
	if err != nil {
		panic(err)
	}
	// The read waits for data that never comes, so every backend stops it.
	fmt.Println(res == aio.AIO_CANCELED, r.Error() == syscall.ECANCELED)
	// Output: true true
}
