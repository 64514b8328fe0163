package aio_test

import (
	"context"
	"fmt"

	"github.com/fasync-go/fasync/aio"
	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

// ExampleWithTask reads a model scullpipe asynchronously (SPEC C13): the
// read is queued in the driver as a kiocb while the pipe is empty, and
// another task's write completes it.
func ExampleWithTask() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	scull.Register(k, scull.Config{Devices: 1})
	reader := k.NewTask("reader", kernel.Cred{})
	ctx := context.Background()
	fd, _ := reader.Open(ctx, "scullpipe0", kernel.O_RDONLY)

	e, err := aio.New(aio.WithTask(reader))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	done := make(chan *aio.Request, 1)
	r := &aio.Request{Fd: fd, Buf: make([]byte, 32), Notify: aio.Sigevent{Notify: aio.SIGEV_CHAN, Chan: done}}
	if err := e.Read(r); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("backend:", e.Backend(), "status:", r.Error())

	writer := k.NewTask("writer", kernel.Cred{})
	wfd, _ := writer.Open(ctx, "scullpipe0", kernel.O_WRONLY)
	writer.Write(ctx, wfd, []byte("hello, scull"))

	<-done
	n, err := r.Return()
	fmt.Printf("read %q, %v\n", r.Buf[:n], err)
	// Output:
	// backend: model status: operation now in progress
	// read "hello, scull", <nil>
}
