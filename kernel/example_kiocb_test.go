package kernel_test

import (
	"context"
	"fmt"
	"sync"
	"syscall"

	"github.com/fasync-go/fasync/kernel"
)

// doorbell is a minimal asynchronous driver: a read of an empty doorbell
// queues its kiocb, holding no goroutine, and the next write completes it.
type doorbell struct {
	mu      sync.Mutex
	data    []byte
	pending []*kernel.Kiocb
}

func (d *doorbell) AioRead(iocb *kernel.Kiocb) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.data) > 0 { // data at hand: finish at once, as Read would
		n := copy(iocb.Buf, d.data)
		d.data = d.data[n:]
		return n, nil
	}
	d.pending = append(d.pending, iocb)
	iocb.SetCancel(func() error { return d.withdraw(iocb) })
	return 0, kernel.EIOCBQUEUED
}

// withdraw is the kiocb's cancel function.
func (d *doorbell) withdraw(iocb *kernel.Kiocb) error {
	d.mu.Lock()
	for i, p := range d.pending {
		if p == iocb {
			d.pending = append(d.pending[:i], d.pending[i+1:]...)
			d.mu.Unlock()
			iocb.Complete(0, syscall.ECANCELED) // with the lock dropped
			return nil
		}
	}
	d.mu.Unlock()
	return syscall.EBUSY // a write has taken it: it completes with data
}

func (d *doorbell) Write(ctx context.Context, f *kernel.File, p []byte) (int, error) {
	d.mu.Lock()
	d.data = append(d.data, p...)
	var iocb *kernel.Kiocb
	n := 0
	if len(d.pending) > 0 {
		iocb, d.pending = d.pending[0], d.pending[1:]
		n = copy(iocb.Buf, d.data)
		d.data = d.data[n:]
	}
	d.mu.Unlock()
	if iocb != nil {
		iocb.Complete(n, nil) // never under d.mu: it may release the file
	}
	return len(p), nil
}

// ExampleTask_AioRead submits an asynchronous read the driver queues;
// another task's write completes it. This is what the aio engine does
// for a model device (SPEC C13).
func ExampleTask_AioRead() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("doorbell", &doorbell{})
	reader := k.NewTask("reader", kernel.Cred{})
	writer := k.NewTask("writer", kernel.Cred{})
	ctx := context.Background()
	rfd, _ := reader.Open(ctx, "doorbell", kernel.O_RDONLY)
	wfd, _ := writer.Open(ctx, "doorbell", kernel.O_WRONLY)

	done := make(chan string, 1)
	buf := make([]byte, 16)
	iocb := kernel.NewKiocb(buf, 0, func(n int, err error) {
		done <- fmt.Sprintf("read %q, err %v", buf[:n], err)
	})
	if err := reader.AioRead(rfd, iocb); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("queued; reader goes on")
	writer.Write(ctx, wfd, []byte("ding"))
	fmt.Println(<-done)
	// Output:
	// queued; reader goes on
	// read "ding", err <nil>
}

// ExampleKiocb_Cancel withdraws a queued read through the driver's cancel
// function (SPEC C8): the kiocb completes with ECANCELED.
func ExampleKiocb_Cancel() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("doorbell", &doorbell{})
	t := k.NewTask("reader", kernel.Cred{})
	fd, _ := t.Open(context.Background(), "doorbell", kernel.O_RDONLY)

	iocb := kernel.NewKiocb(make([]byte, 1), 0, func(n int, err error) {
		fmt.Println("completed:", n, err)
	})
	t.AioRead(fd, iocb)
	fmt.Println("cancel:", iocb.Cancel())
	fmt.Println("again:", iocb.Cancel())
	// Output:
	// completed: 0 operation canceled
	// cancel: <nil>
	// again: invalid argument
}
