package pipe_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/pipe"
)

// A pipe on a model kernel: a reader hears POLL_IN on a real-time signal
// that names its descriptor, reads until end of file, and a write after
// the reader has gone fails with EPIPE and raises SIGPIPE in the writer
// (SPEC P1).
func ExamplePipe2() {
	ctx := context.Background()
	k := kernel.New(kernel.Config{})
	defer k.Close()
	t := k.NewTask("shell", kernel.Cred{})
	t.Sigaction(kernel.SIGRTMIN, kernel.Sigaction{Handler: func(_ *kernel.Task, si *kernel.SigInfo) {
		fmt.Printf("signal: fd %d band %#x\n", si.Fd, si.Band)
	}})
	t.Sigaction(kernel.SIGPIPE, kernel.Sigaction{Handler: func(*kernel.Task, *kernel.SigInfo) {
		fmt.Println("signal: SIGPIPE")
	}})

	r, w, _ := pipe.Pipe2(t, kernel.O_CLOEXEC)
	t.Fcntl(r, kernel.F_SETOWN, t.Pid())
	t.Fcntl(r, kernel.F_SETSIG, kernel.SIGRTMIN)
	t.Fcntl(r, kernel.F_SETFL, kernel.O_ASYNC)
	size, _ := t.Fcntl(w, kernel.F_GETPIPE_SZ, 0)
	fmt.Println("capacity:", size)

	t.Write(ctx, w, []byte("hello")) // POLL_IN for the data
	t.Close(w)                       // and POLL_IN for the last writer's close
	buf := make([]byte, 100)
	n, _ := t.Read(ctx, r, buf)
	fmt.Printf("read %q\n", buf[:n])
	n, _ = t.Read(ctx, r, buf)
	fmt.Println("then", n, "bytes: end of file")

	r, w, _ = pipe.Pipe2(t, 0)
	t.Close(r)
	_, err := t.Write(ctx, w, []byte("x"))
	fmt.Println("write with no reader: EPIPE", errors.Is(err, kernel.EPIPE))
	// Output:
	// capacity: 65536
	// signal: fd 0 band 0x41
	// signal: fd 0 band 0x41
	// read "hello"
	// then 0 bytes: end of file
	// signal: SIGPIPE
	// write with no reader: EPIPE true
}
