package kernel_test

import (
	"context"
	"fmt"
	"time"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/pipe"
)

// ExampleTask_EpollCreate1 watches two mailboxes with one epoll set, one
// level-triggered and one edge-triggered, and shows which EpollWait
// reports after writes and reads (SPEC E2–E4).
func ExampleTask_EpollCreate1() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("lt", &mailbox{})
	k.Register("et", &mailbox{})
	t := k.NewTask("server", kernel.Cred{})
	ctx := context.Background()
	lt, _ := t.Open(ctx, "lt", kernel.O_RDWR)
	et, _ := t.Open(ctx, "et", kernel.O_RDWR)

	ep, _ := t.EpollCreate1(kernel.EPOLL_CLOEXEC)
	t.EpollCtl(ep, kernel.EPOLL_CTL_ADD, lt, &kernel.EpollEvent{Events: kernel.EPOLLIN, Data: 1})
	t.EpollCtl(ep, kernel.EPOLL_CTL_ADD, et, &kernel.EpollEvent{Events: kernel.EPOLLIN | kernel.EPOLLET, Data: 2})
	t.Write(ctx, lt, []byte("level"))
	t.Write(ctx, et, []byte("edge"))

	events := make([]kernel.EpollEvent, 8)
	for round := 1; round <= 2; round++ {
		n, _ := t.EpollWait(ctx, ep, events, 0)
		for _, ev := range events[:n] {
			fmt.Printf("round %d: data %d events %#x\n", round, ev.Data, ev.Events)
		}
	}
	// Output:
	// round 1: data 1 events 0x1
	// round 1: data 2 events 0x1
	// round 2: data 1 events 0x1
}

// ExampleTask_EpollCtl changes a registration with EPOLL_CTL_MOD after
// EPOLLONESHOT disarmed it, and removes it with EPOLL_CTL_DEL.
func ExampleTask_EpollCtl() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("box", &mailbox{})
	t := k.NewTask("t", kernel.Cred{})
	ctx := context.Background()
	fd, _ := t.Open(ctx, "box", kernel.O_RDWR)
	ep, _ := t.EpollCreate1(0)
	t.Write(ctx, fd, []byte("x"))

	t.EpollCtl(ep, kernel.EPOLL_CTL_ADD, fd, &kernel.EpollEvent{Events: kernel.EPOLLIN | kernel.EPOLLONESHOT, Data: 7})
	events := make([]kernel.EpollEvent, 1)
	n, _ := t.EpollWait(ctx, ep, events, 0)
	fmt.Println("first:", n, events[0].Data)
	n, _ = t.EpollWait(ctx, ep, events, 0)
	fmt.Println("disarmed:", n)
	t.EpollCtl(ep, kernel.EPOLL_CTL_MOD, fd, &kernel.EpollEvent{Events: kernel.EPOLLIN, Data: 8})
	n, _ = t.EpollWait(ctx, ep, events, 0)
	fmt.Println("after MOD:", n, events[0].Data)
	fmt.Println("DEL:", t.EpollCtl(ep, kernel.EPOLL_CTL_DEL, fd, nil))
	fmt.Println("DEL again:", t.EpollCtl(ep, kernel.EPOLL_CTL_DEL, fd, nil))
	// Output:
	// first: 1 7
	// disarmed: 0
	// after MOD: 1 8
	// DEL: <nil>
	// DEL again: no such file or directory
}

// ExampleTask_EpollWait sleeps in EpollWait until another task writes to
// the watched device: the driver's WakeUp is what wakes it (SPEC E3).
func ExampleTask_EpollWait() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("box", &mailbox{})
	server := k.NewTask("server", kernel.Cred{})
	client := k.NewTask("client", kernel.Cred{})
	ctx := context.Background()
	r, _ := server.Open(ctx, "box", kernel.O_RDONLY)
	ep, _ := server.EpollCreate1(0)
	server.EpollCtl(ep, kernel.EPOLL_CTL_ADD, r, &kernel.EpollEvent{Events: kernel.EPOLLIN, Data: 42})

	go func() {
		w, _ := client.Open(ctx, "box", kernel.O_WRONLY)
		client.Write(ctx, w, []byte("hello"))
	}()
	events := make([]kernel.EpollEvent, 4)
	n, err := server.EpollWait(ctx, ep, events, -1) // forever
	buf := make([]byte, 16)
	m, _ := server.Read(ctx, r, buf)
	fmt.Println(n, err, events[0].Data, string(buf[:m]))
	// Output: 1 <nil> 42 hello
}

// ExampleTask_Select waits with select for one of two mailboxes to become
// readable, with a timeout whose unused part is written back (SPEC E1).
func ExampleTask_Select() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("a", &mailbox{})
	k.Register("b", &mailbox{})
	t := k.NewTask("t", kernel.Cred{})
	ctx := context.Background()
	a, _ := t.Open(ctx, "a", kernel.O_RDWR)
	b, _ := t.Open(ctx, "b", kernel.O_RDWR)
	t.Write(ctx, b, []byte("ready"))

	var readfds kernel.FdSet
	readfds.Set(a)
	readfds.Set(b)
	timeout := time.Second
	n, err := t.Select(ctx, b+1, &readfds, nil, nil, &timeout)
	fmt.Println(n, err, readfds.IsSet(a), readfds.IsSet(b), timeout > 0)
	// Output: 1 <nil> false true true
}

// ExampleTask_Mkfifo makes a FIFO and opens both ends: the reader's
// O_NONBLOCK open returns at once, a writer's O_NONBLOCK open fails with
// ENXIO until a reader is there (SPEC E7).
func ExampleTask_Mkfifo() {
	k := kernel.New(kernel.Config{FIFO: pipe.NewFIFO})
	defer k.Close()
	t := k.NewTask("shell", kernel.Cred{})
	ctx := context.Background()
	fmt.Println("mkfifo:", t.Mkfifo("queue", 0o600))
	_, err := t.Open(ctx, "queue", kernel.O_WRONLY|kernel.O_NONBLOCK)
	fmt.Println("writer first:", err)
	r, _ := t.Open(ctx, "queue", kernel.O_RDONLY|kernel.O_NONBLOCK)
	w, err := t.Open(ctx, "queue", kernel.O_WRONLY)
	fmt.Println("writer after a reader:", err)
	t.Write(ctx, w, []byte("through the fifo"))
	buf := make([]byte, 32)
	n, _ := t.Read(ctx, r, buf)
	fmt.Println(string(buf[:n]))
	// Output:
	// mkfifo: <nil>
	// writer first: no such device or address
	// writer after a reader: <nil>
	// through the fifo
}

// ExampleTask_Mknod makes a FIFO with mknod(S_IFIFO) and shows that a
// blocking read-open waits for the writer.
func ExampleTask_Mknod() {
	k := kernel.New(kernel.Config{FIFO: pipe.NewFIFO})
	defer k.Close()
	reader := k.NewTask("reader", kernel.Cred{})
	writer := k.NewTask("writer", kernel.Cred{})
	ctx := context.Background()
	fmt.Println("mknod:", reader.Mknod("fifo", kernel.S_IFIFO|0o644, 0))
	opened := make(chan int)
	go func() {
		fd, _ := reader.Open(ctx, "fifo", kernel.O_RDONLY) // waits for a writer
		opened <- fd
	}()
	w, _ := writer.Open(ctx, "fifo", kernel.O_WRONLY) // waits for the reader
	r := <-opened
	writer.Write(ctx, w, []byte("met"))
	buf := make([]byte, 8)
	n, _ := reader.Read(ctx, r, buf)
	fmt.Println(string(buf[:n]))
	// Output:
	// mknod: <nil>
	// met
}

// ExampleTask_EpollPwait blocks SIGUSR1 for the thread but lets it
// interrupt one wait: epoll_pwait's mask is in force only while it
// waits, so a pending SIGUSR1 ends the wait with EINTR after its handler
// ran, and the thread's mask is back afterwards.
func ExampleTask_EpollPwait() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("box", &mailbox{})
	t := k.NewTask("t", kernel.Cred{})
	ctx := context.Background()
	fd, _ := t.Open(ctx, "box", kernel.O_RDONLY)
	ep, _ := t.EpollCreate1(0)
	t.EpollCtl(ep, kernel.EPOLL_CTL_ADD, fd, &kernel.EpollEvent{Events: kernel.EPOLLIN})
	t.Sigaction(kernel.SIGUSR1, kernel.Sigaction{Handler: func(*kernel.Task, *kernel.SigInfo) {
		fmt.Println("handler ran")
	}})
	blocked := kernel.SigsetOf(kernel.SIGUSR1)
	t.Sigprocmask(kernel.SIG_BLOCK, &blocked)
	t.Kill(t.Pid(), kernel.SIGUSR1) // pending: blocked

	var none kernel.Sigset
	_, err := t.EpollPwait(ctx, ep, make([]kernel.EpollEvent, 1), -1, &none)
	fmt.Println("EpollPwait:", err)
	mask, _ := t.Sigprocmask(kernel.SIG_BLOCK, nil)
	fmt.Println("SIGUSR1 blocked again:", mask.Has(kernel.SIGUSR1))
	// Output:
	// handler ran
	// EpollPwait: interrupted system call
	// SIGUSR1 blocked again: true
}

// keyedBox is mailbox with Linux's keyed wake-ups: data wakes its queue
// with POLLIN, so an epoll registration for POLLOUT alone ignores it.
type keyedBox struct{ mailbox }

func (b *keyedBox) Write(ctx context.Context, f *kernel.File, p []byte) (int, error) {
	b.mu.Lock()
	b.data = append(b.data, p...)
	b.mu.Unlock()
	b.readQ.WakeUpPoll(kernel.POLLIN | kernel.POLLRDNORM) // what happened: data
	return len(p), nil
}

// ExampleWaitQueue_WakeUpPoll shows a keyed wake-up: an edge-triggered
// registration is re-armed only by a wake-up whose key has one of its
// events, as with Linux's wake_up_interruptible_poll.
func ExampleWaitQueue_WakeUpPoll() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("box", &keyedBox{})
	t := k.NewTask("t", kernel.Cred{})
	ctx := context.Background()
	fd, _ := t.Open(ctx, "box", kernel.O_RDWR)
	ep, _ := t.EpollCreate1(0)
	t.EpollCtl(ep, kernel.EPOLL_CTL_ADD, fd, &kernel.EpollEvent{Events: kernel.EPOLLOUT | kernel.EPOLLET, Data: 1})
	events := make([]kernel.EpollEvent, 1)
	n, _ := t.EpollWait(ctx, ep, events, 0)
	fmt.Println("writable at first:", n)
	t.Write(ctx, fd, []byte("x")) // a POLLIN wake-up: not for this registration
	n, _ = t.EpollWait(ctx, ep, events, 0)
	fmt.Println("after a keyed POLLIN wake-up:", n)
	// Output:
	// writable at first: 1
	// after a keyed POLLIN wake-up: 0
}
