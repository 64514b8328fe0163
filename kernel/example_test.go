package kernel_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/fasync-go/fasync/kernel"
)

// mailbox is a minimal driver: writes append to a buffer, reads drain it,
// readers sleep on a wait queue and asynchronous readers are notified
// through a fasync list — the shape every fasync driver has.
type mailbox struct {
	mu    sync.Mutex
	data  []byte
	readQ kernel.WaitQueue
	async kernel.FasyncList
}

func (m *mailbox) Read(ctx context.Context, f *kernel.File, p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.data) == 0 && f.Nonblock() {
		return 0, kernel.EAGAIN
	}
	if err := m.readQ.Wait(ctx, &m.mu, func() bool { return len(m.data) > 0 }); err != nil {
		return 0, err // ERESTARTSYS: the kernel decides between EINTR and restarting
	}
	n := copy(p, m.data)
	m.data = m.data[n:]
	return n, nil
}

func (m *mailbox) Write(ctx context.Context, f *kernel.File, p []byte) (int, error) {
	m.mu.Lock()
	m.data = append(m.data, p...)
	m.mu.Unlock()
	m.readQ.WakeUp()                           // wake sleeping readers and pollers first,
	m.async.Kill(kernel.SIGIO, kernel.POLL_IN) // then signal the asynchronous ones
	return len(p), nil
}

func (m *mailbox) Poll(f *kernel.File, pt *kernel.PollTable) int16 {
	pt.Wait(&m.readQ) // register before looking, so no wake-up is lost
	m.mu.Lock()
	defer m.mu.Unlock()
	mask := int16(kernel.POLLOUT | kernel.POLLWRNORM)
	if len(m.data) > 0 {
		mask |= kernel.POLLIN | kernel.POLLRDNORM
	}
	return mask
}

func (m *mailbox) Fasync(fd int, f *kernel.File, on bool) error {
	_, err := m.async.Helper(fd, f, on)
	return err
}

// Example shows LDD3's asynctest on the model kernel: a reader installs a
// SIGIO handler, makes itself the owner of its descriptor, enables FASYNC,
// and reads only when notified.
func Example() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("mailbox", &mailbox{})
	ctx := context.Background()

	reader := k.NewTask("asynctest", kernel.Cred{})
	fd, _ := reader.Open(ctx, "mailbox", kernel.O_RDONLY|kernel.O_NONBLOCK)
	reader.Sigaction(kernel.SIGIO, kernel.Sigaction{Handler: func(t *kernel.Task, info *kernel.SigInfo) {
		buf := make([]byte, 64)
		n, _ := t.Read(ctx, fd, buf)
		fmt.Printf("SIGIO: read %q\n", buf[:n])
	}})
	reader.Fcntl(fd, kernel.F_SETOWN, reader.Pid())
	flags, _ := reader.Fcntl(fd, kernel.F_GETFL, 0)
	reader.Fcntl(fd, kernel.F_SETFL, flags|kernel.FASYNC)

	writer := k.NewTask("writer", kernel.Cred{})
	wfd, _ := writer.Open(ctx, "mailbox", kernel.O_WRONLY)
	writer.Write(ctx, wfd, []byte("hello"))

	// The handler runs on the reader's own goroutine, here in Pause.
	err := reader.Pause(ctx)
	fmt.Println("pause:", err)
	// Output:
	// SIGIO: read "hello"
	// pause: interrupted system call
}

// ExampleTask_Fcntl shows F_SETSIG: the owner receives the chosen
// real-time signal with the descriptor and the band, instead of a bare
// SIGIO.
func ExampleTask_Fcntl() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("mailbox", &mailbox{})
	ctx := context.Background()

	task := k.NewTask("reader", kernel.Cred{})
	fd, _ := task.Open(ctx, "mailbox", kernel.O_RDWR)
	task.Sigaction(kernel.SIGRTMIN, kernel.Sigaction{Handler: func(t *kernel.Task, info *kernel.SigInfo) {
		fmt.Printf("signal %d: fd %d, code POLL_IN=%v, band %#x\n",
			info.Signo, info.Fd, info.Code == kernel.POLL_IN, info.Band)
	}})
	task.Fcntl(fd, kernel.F_SETOWN, task.Pid())
	task.Fcntl(fd, kernel.F_SETSIG, kernel.SIGRTMIN)
	task.Fcntl(fd, kernel.F_SETFL, kernel.FASYNC)
	task.Write(ctx, fd, []byte("x")) // the handler runs as Write returns
	// Output:
	// signal 34: fd 0, code POLL_IN=true, band 0x41
}

// ExampleTask_Poll waits for readability with a timeout.
func ExampleTask_Poll() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("mailbox", &mailbox{})
	ctx := context.Background()
	task := k.NewTask("poller", kernel.Cred{})
	fd, _ := task.Open(ctx, "mailbox", kernel.O_RDWR)

	fds := []kernel.PollFd{{Fd: fd, Events: kernel.POLLIN}}
	n, _ := task.Poll(ctx, fds, 0)
	fmt.Println("empty:", n)
	task.Write(ctx, fd, []byte("data"))
	n, _ = task.Poll(ctx, fds, -1)
	fmt.Printf("after write: %d, revents POLLIN=%v\n", n, fds[0].Revents&kernel.POLLIN != 0)
	// Output:
	// empty: 0
	// after write: 1, revents POLLIN=true
}

// ExampleKernel_NewTask shows process groups and group delivery: kill
// with -pgid reaches every member.
func ExampleKernel_NewTask() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.NewTask("init", kernel.Cred{})
	leader := k.NewTask("leader", kernel.Cred{})
	member := k.NewTask("member", kernel.Cred{})
	member.Setpgid(leader.Pid())
	for _, t := range []*kernel.Task{leader, member} {
		t.Sigaction(kernel.SIGUSR1, kernel.Sigaction{Handler: func(t *kernel.Task, info *kernel.SigInfo) {
			fmt.Println(t.Name(), "got SIGUSR1")
		}})
	}
	k.Kill(-leader.Pgid(), kernel.SIGUSR1)
	leader.Pause(context.Background())
	member.Pause(context.Background())
	// Output:
	// leader got SIGUSR1
	// member got SIGUSR1
}

// ExampleFasyncList shows the driver side: Helper from the Fasync method
// keeps the list and FASYNC in step; Kill notifies the owners.
func ExampleFasyncList() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	dev := &mailbox{}
	k.Register("mailbox", dev)
	task := k.NewTask("t", kernel.Cred{})
	fd, _ := task.Open(context.Background(), "mailbox", kernel.O_RDONLY)
	f, _ := task.File(fd)

	added, _ := dev.async.Helper(fd, f, true)
	again, _ := dev.async.Helper(fd, f, true)
	fmt.Println("added:", added, "again:", again, "FASYNC:", f.Flags()&kernel.FASYNC != 0)
	removed, _ := dev.async.Helper(fd, f, false)
	fmt.Println("removed:", removed, "FASYNC:", f.Flags()&kernel.FASYNC != 0, "len:", dev.async.Len())
	// Output:
	// added: 1 again: 0 FASYNC: true
	// removed: 1 FASYNC: false len: 0
}

// ExampleNew makes an independent kernel and registers devices on it.
func ExampleNew() {
	k := kernel.New(kernel.Config{SigPendingMax: 64})
	defer k.Close()
	k.Register("mailbox0", &mailbox{})
	k.Register("mailbox1", &mailbox{})
	fmt.Println(k.Devices())
	fmt.Println(k.Register("mailbox0", &mailbox{}))
	// Output:
	// [mailbox0 mailbox1]
	// file exists
}

// ExampleTask_Open opens devices by name; descriptors are the lowest free
// numbers, and an unknown name is ENOENT.
func ExampleTask_Open() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("mailbox", &mailbox{})
	task := k.NewTask("t", kernel.Cred{})
	ctx := context.Background()
	a, _ := task.Open(ctx, "mailbox", kernel.O_RDONLY)
	b, _ := task.Open(ctx, "mailbox", kernel.O_WRONLY|kernel.O_NONBLOCK)
	_, err := task.Open(ctx, "nosuch", kernel.O_RDONLY)
	fmt.Println(a, b, err)
	task.Close(a)
	c, _ := task.Dup(b)
	fmt.Println(c)
	// Output:
	// 0 1 no such file or directory
	// 0
}

// counter is a driver with ioctl commands of its own, numbered as LDD3
// numbers scull's: a "query" returning the value as the ioctl's result,
// and _IOW/_IOR commands passing a C int in the argument's memory.
type counter struct {
	mu  sync.Mutex
	val int
}

var (
	counterQuery = kernel.IO('c', 1)     // the value, as the result
	counterSet   = kernel.IOW('c', 2, 4) // *int in
	counterGet   = kernel.IOR('c', 3, 4) // *int out
)

func (c *counter) Ioctl(ctx context.Context, f *kernel.File, cmd uint, arg kernel.IoctlArg) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch cmd {
	case counterQuery:
		return c.val, nil
	case counterSet:
		v, err := arg.Int() // get_user
		if err != nil {
			return 0, err
		}
		c.val = v
		return 0, nil
	case counterGet:
		return 0, arg.PutInt(c.val) // put_user
	}
	return 0, kernel.ENOTTY // not ours
}

// ExampleTask_Ioctl issues a driver's own commands, one the kernel
// answers itself (FIOCLEX), and an unknown one.
func ExampleTask_Ioctl() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("counter", &counter{})
	ctx := context.Background()
	t := k.NewTask("t", kernel.Cred{})
	fd, _ := t.Open(ctx, "counter", kernel.O_RDWR)

	t.Ioctl(ctx, fd, counterSet, kernel.IntArg(42))
	v, _ := t.Ioctl(ctx, fd, counterQuery, kernel.IoctlArg{})
	fmt.Println("query:", v)

	out := kernel.IoctlArg{Mem: make([]byte, kernel.IOC_SIZE(counterGet))}
	t.Ioctl(ctx, fd, counterGet, out)
	got, _ := out.Int()
	fmt.Println("get:", got)

	t.Ioctl(ctx, fd, kernel.FIOCLEX, kernel.IoctlArg{})
	cloexec, _ := t.Fcntl(fd, kernel.F_GETFD, 0)
	fmt.Println("F_GETFD after FIOCLEX:", cloexec)

	_, err := t.Ioctl(ctx, fd, kernel.IO('x', 9), kernel.IoctlArg{})
	fmt.Println("unknown:", err)
	// Output:
	// query: 42
	// get: 42
	// F_GETFD after FIOCLEX: 1
	// unknown: inappropriate ioctl for device
}
