package kernel

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
)

// apiDev is pipeDev with the driver API of sections I and K: commands of
// its own (Ioctler), pipe-size fcntls (Fcntler) and a flag check
// (FlagChecker). It records the task each call ran for.
type apiDev struct {
	pipeDev

	mu2      sync.Mutex
	seen     map[string]*Task // method -> TaskFromContext of its last call
	pipeSize int
	checked  []int // flags CheckFlags was asked about
	checkErr error // CheckFlags' answer when set
	direct   bool  // Open allows O_DIRECT
	// sigpipe makes Write send SIGPIPE to its caller and fail with EPIPE,
	// as a pipe without readers does, with the driver's lock held.
	sigpipe bool
}

// Commands of apiDev: magic 'z'.
var (
	zioQuery = IO('z', 1)         // returns the pipe size
	zioSet   = IOW('z', 2, 4)     // *int in: the pipe size
	zioGet   = IOR('z', 3, 4)     // *int out: the pipe size
	zioSwap  = IOWR('z', 4, 4)    // *int in/out: set, return the old one
	zioSleep = IO('z', 5)         // sleeps until its context ends
	zioNoCmd = IO('z', 6)         // answered with ENOIOCTLCMD
	zioBig   = IOR('z', 7, 1<<13) // writes 8 KiB
	zioValue = IO('z', 8)         // returns arg.Value
	zioOther = IOC(IOC_NONE, 'y', 1, 0)
)

func (d *apiDev) saw(method string, ctx context.Context) {
	d.mu2.Lock()
	defer d.mu2.Unlock()
	if d.seen == nil {
		d.seen = make(map[string]*Task)
	}
	d.seen[method] = TaskFromContext(ctx)
}

func (d *apiDev) taskOf(method string) *Task {
	d.mu2.Lock()
	defer d.mu2.Unlock()
	return d.seen[method]
}

func (d *apiDev) Open(ctx context.Context, f *File) error {
	d.saw("open", ctx)
	if d.direct {
		f.AllowDirect()
	}
	return d.pipeDev.Open(ctx, f)
}

func (d *apiDev) Read(ctx context.Context, f *File, p []byte) (int, error) {
	d.saw("read", ctx)
	return d.pipeDev.Read(ctx, f, p)
}

func (d *apiDev) Write(ctx context.Context, f *File, p []byte) (int, error) {
	d.saw("write", ctx)
	if d.sigpipe {
		d.mu.Lock()
		defer d.mu.Unlock() // held while signalling: SendSigInfo runs no handler
		t := TaskFromContext(ctx)
		if err := t.SendSigInfo(SigInfo{Signo: SIGPIPE, Code: SI_USER, Pid: t.Pid()}); err != nil {
			return 0, err
		}
		return 0, EPIPE
	}
	return d.pipeDev.Write(ctx, f, p)
}

func (d *apiDev) Ioctl(ctx context.Context, f *File, cmd uint, arg IoctlArg) (int, error) {
	d.saw("ioctl", ctx)
	d.mu2.Lock()
	defer d.mu2.Unlock()
	if IOC_TYPE(cmd) != 'z' {
		return 0, ENOTTY
	}
	switch cmd {
	case zioQuery:
		return d.pipeSize, nil
	case zioSet:
		v, err := arg.Int()
		if err != nil {
			return 0, err
		}
		d.pipeSize = v
		return 0, nil
	case zioGet:
		return 0, arg.PutInt(d.pipeSize)
	case zioSwap:
		v, err := arg.Int()
		if err != nil {
			return 0, err
		}
		old := d.pipeSize
		d.pipeSize = v
		return 0, arg.PutInt(old)
	case zioSleep:
		d.mu2.Unlock()
		defer d.mu2.Lock()
		var q WaitQueue
		return 0, q.Wait(ctx, nil, func() bool { return false })
	case zioNoCmd:
		return 0, ENOIOCTLCMD
	case zioBig:
		if len(arg.Mem) < 1<<13 {
			return 0, EFAULT
		}
		for i := range arg.Mem[:1<<13] {
			arg.Mem[i] = byte(i)
		}
		return 0, nil
	case zioValue:
		return int(arg.Value), nil
	}
	return 0, ENOTTY
}

func (d *apiDev) Fcntl(ctx context.Context, f *File, cmd, arg int) (int, error) {
	d.saw("fcntl", ctx)
	d.mu2.Lock()
	defer d.mu2.Unlock()
	switch cmd {
	case F_GETPIPE_SZ:
		return d.pipeSize, nil
	case F_SETPIPE_SZ:
		if arg <= 0 {
			return 0, EINVAL
		}
		d.pipeSize = arg
		return arg, nil
	}
	return 0, EINVAL
}

func (d *apiDev) CheckFlags(f *File, flags int) error {
	d.mu2.Lock()
	defer d.mu2.Unlock()
	d.checked = append(d.checked, flags)
	return d.checkErr
}

func (d *apiDev) checks() []int {
	d.mu2.Lock()
	defer d.mu2.Unlock()
	return append([]int(nil), d.checked...)
}

func newAPIDev(tb testing.TB, k *Kernel, name string) *apiDev {
	tb.Helper()
	d := &apiDev{pipeSize: 4096}
	if err := k.Register(name, d); err != nil {
		tb.Fatal(err)
	}
	return d
}

// TestTaskFromContext checks K1: every driver method that gets a ctx
// finds the calling task in it, also through a derived context, and the
// lookup allocates nothing.
func TestTaskFromContext(t *testing.T) {
	k := newKernel(t, Config{})
	d := newAPIDev(t, k, "api")
	a := k.NewTask("a", Cred{UID: 1000, EUID: 1000, SUID: 1000})
	b := k.NewTask("b", Cred{})
	ctx := context.Background()
	fa := mustOpen(t, a, "api", O_RDWR|O_NONBLOCK)
	if got := d.taskOf("open"); got != a {
		t.Fatalf("K1: Open saw %v, want task a", got)
	}
	fb := mustOpen(t, b, "api", O_RDWR|O_NONBLOCK)
	if _, err := a.Write(ctx, fa, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Read(ctx, fb, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Ioctl(ctx, fa, zioQuery, IoctlArg{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Fcntl(fb, F_GETPIPE_SZ, 0); err != nil {
		t.Fatal(err)
	}
	for method, want := range map[string]*Task{"open": b, "write": a, "read": b, "ioctl": a, "fcntl": b} {
		if got := d.taskOf(method); got != want {
			t.Errorf("K1: %s saw task %v, want %s", method, got, want.Name())
		}
	}
	if got := d.taskOf("write").Cred(); got.UID != 1000 {
		t.Errorf("K1: the writer's credentials = %+v", got)
	}
	if TaskFromContext(context.Background()) != nil {
		t.Error("K1: a context from no system call names a task")
	}

	// A context derived from the call's still names the task.
	var derived *Task
	drv := &ctxProbe{fn: func(ctx context.Context) {
		sub, cancel := context.WithCancel(context.WithValue(ctx, probeKey{}, 1))
		defer cancel()
		derived = TaskFromContext(sub)
	}}
	k.Register("probe", drv)
	fd := mustOpen(t, a, "probe", O_RDONLY)
	a.Read(ctx, fd, make([]byte, 1))
	if derived != a {
		t.Errorf("K1: a derived context names %v, want task a", derived)
	}

	// No allocation for the lookup on the hot path.
	quick := &ctxProbe{fn: func(ctx context.Context) { _ = TaskFromContext(ctx).Cred() }}
	k.Register("quick", quick)
	fq := mustOpen(t, a, "quick", O_RDONLY)
	buf := make([]byte, 1)
	if allocs := testing.AllocsPerRun(1000, func() { a.Read(ctx, fq, buf) }); allocs != 0 {
		t.Errorf("K1: a Read whose driver asks for its task allocates %.1f times", allocs)
	}
}

type probeKey struct{}

// ctxProbe runs fn on every Read's ctx and returns at once.
type ctxProbe struct{ fn func(context.Context) }

func (p *ctxProbe) Read(ctx context.Context, f *File, b []byte) (int, error) {
	p.fn(ctx)
	return 0, nil
}

// TestSendSigInfoFromDriver checks K1: a driver sends SIGPIPE to the
// writing task from inside its Write with its own lock held; the handler
// runs once Write has returned EPIPE, and may call back into the same
// driver without deadlock. With the default action the task dies.
func TestSendSigInfoFromDriver(t *testing.T) {
	k := newKernel(t, Config{})
	d := newAPIDev(t, k, "api")
	d.sigpipe = true
	w := k.NewTask("w", Cred{UID: 1000, EUID: 1000})
	fd := mustOpen(t, w, "api", O_RDWR|O_NONBLOCK)
	var got []SigInfo
	w.Sigaction(SIGPIPE, Sigaction{Handler: func(t *Task, info *SigInfo) {
		got = append(got, *info)
		t.Read(context.Background(), fd, make([]byte, 1)) // takes the lock Write held
	}, Flags: SA_RESTART})
	n, err := w.Write(context.Background(), fd, []byte("data"))
	if n != 0 || err != EPIPE {
		t.Fatalf("K1: Write = %d, %v; want 0, EPIPE (not restarted)", n, err)
	}
	want := SigInfo{Signo: SIGPIPE, Code: SI_USER, Pid: w.Pid()}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("K1: handler saw %+v, want [%+v]", got, want)
	}

	v := k.NewTask("victim", Cred{})
	fv := mustOpen(t, v, "api", O_WRONLY)
	if _, err := v.Write(context.Background(), fv, []byte("x")); err != EPIPE && err != EBADF {
		t.Fatalf("K1: Write = %v, want EPIPE", err)
	}
	if v.Alive() {
		t.Error("K1: the default action of SIGPIPE left the writer alive")
	}
	if err := v.SendSigInfo(SigInfo{Signo: SIGPIPE}); err != ESRCH {
		t.Errorf("K1: SendSigInfo to a dead task = %v, want ESRCH", err)
	}
	for _, sig := range []int{-1, NSIG, math.MaxInt} {
		if err := w.SendSigInfo(SigInfo{Signo: sig}); err != EINVAL {
			t.Errorf("K1: SendSigInfo(%d) = %v, want EINVAL", sig, err)
		}
	}
	if err := w.SendSigInfo(SigInfo{}); err != nil {
		t.Errorf("K1: SendSigInfo(0) to a live task = %v", err)
	}
}

// TestFcntlDriver checks K2: F_SETPIPE_SZ and F_GETPIPE_SZ go to the
// driver's Fcntl with C's int argument, EBADF without one; other unknown
// commands stay EINVAL whether or not the driver has Fcntl.
func TestFcntlDriver(t *testing.T) {
	k := newKernel(t, Config{})
	newAPIDev(t, k, "api")
	newPipe(t, k, "plain")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "api", O_RDWR)
	plain := mustOpen(t, task, "plain", O_RDWR)
	if got := mustFcntl(t, task, fd, F_GETPIPE_SZ, 0); got != 4096 {
		t.Errorf("K2: F_GETPIPE_SZ = %d, want 4096", got)
	}
	if got := mustFcntl(t, task, fd, F_SETPIPE_SZ, 1<<32+8192); got != 8192 {
		t.Errorf("K2: F_SETPIPE_SZ of 1<<32+8192 = %d, want 8192 (C int)", got)
	}
	if v, err := task.Fcntl(fd, F_SETPIPE_SZ, -1); v != -1 || err != EINVAL {
		t.Errorf("K2: F_SETPIPE_SZ -1 = %d, %v; want the driver's EINVAL", v, err)
	}
	for _, cmd := range []int{F_SETPIPE_SZ, F_GETPIPE_SZ} {
		if v, err := task.Fcntl(plain, cmd, 4096); v != -1 || err != EBADF {
			t.Errorf("K2: fcntl %d without Fcntler = %d, %v; want -1, EBADF", cmd, v, err)
		}
	}
	for _, cmd := range []int{1033, 1026, 1029, 99, 1 << 20} {
		for _, f := range []int{fd, plain} {
			if v, err := task.Fcntl(f, cmd, 0); v != -1 || err != EINVAL {
				t.Errorf("K2: unknown fcntl %d = %d, %v; want -1, EINVAL", cmd, v, err)
			}
		}
	}
}

// TestDupfdCloexec checks K2: F_DUPFD_CLOEXEC gives the lowest free
// descriptor at or above arg with FD_CLOEXEC set on it alone, and the
// queries about descriptors answer as Linux does.
func TestDupfdCloexec(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDONLY)
	other := mustOpen(t, task, "pipe", O_RDONLY)
	if got := mustFcntl(t, task, fd, F_DUPFD_CLOEXEC, 5); got != 5 {
		t.Fatalf("K2: F_DUPFD_CLOEXEC 5 = %d", got)
	}
	if got := mustFcntl(t, task, fd, F_DUPFD_CLOEXEC, 0); got != 2 {
		t.Errorf("K2: F_DUPFD_CLOEXEC 0 = %d, want the lowest free, 2", got)
	}
	if got := mustFcntl(t, task, 5, F_GETFD, 0); got != FD_CLOEXEC {
		t.Errorf("K2: the new descriptor's F_GETFD = %d, want FD_CLOEXEC", got)
	}
	if got := mustFcntl(t, task, fd, F_GETFD, 0); got != 0 {
		t.Errorf("K2: the original's F_GETFD = %d, want 0", got)
	}
	if got := mustFcntl(t, task, fd, F_DUPFD, 5); got != 6 || mustFcntl(t, task, 6, F_GETFD, 0) != 0 {
		t.Errorf("K2: F_DUPFD after it = %d with F_GETFD set", got)
	}
	for _, bad := range []int{-1, maxFiles, math.MaxInt32} {
		if _, err := task.Fcntl(fd, F_DUPFD_CLOEXEC, bad); err != EINVAL {
			t.Errorf("K2: F_DUPFD_CLOEXEC %d = %v, want EINVAL", bad, err)
		}
	}
	// arg is C's int: 1<<32 + 7 is 7.
	if got := mustFcntl(t, task, fd, F_DUPFD_CLOEXEC, 1<<32+7); got != 7 {
		t.Errorf("K2: F_DUPFD_CLOEXEC 1<<32+7 = %d, want 7", got)
	}
	// Descriptor queries (fs/fcntl.c F_DUPFD_QUERY, F_CREATED_QUERY).
	if got := mustFcntl(t, task, fd, F_DUPFD_QUERY, 5); got != 1 {
		t.Errorf("K2: F_DUPFD_QUERY of a dup = %d, want 1", got)
	}
	if got := mustFcntl(t, task, fd, F_DUPFD_QUERY, other); got != 0 {
		t.Errorf("K2: F_DUPFD_QUERY of another open = %d, want 0", got)
	}
	if _, err := task.Fcntl(fd, F_DUPFD_QUERY, 99); err != EBADF {
		t.Errorf("K2: F_DUPFD_QUERY of a closed descriptor = %v, want EBADF", err)
	}
	if got := mustFcntl(t, task, fd, F_CREATED_QUERY, 0); got != 0 {
		t.Errorf("K2: F_CREATED_QUERY = %d, want 0", got)
	}
}

// TestSetflLinuxFlags checks K2: F_SETFL changes exactly O_APPEND,
// O_NONBLOCK, O_DIRECT and O_NOATIME (FASYNC through the driver),
// ignores the access mode and other bits, refuses O_DIRECT where the file
// does not allow it and O_NOATIME from a task that is not root, and lets
// the driver refuse with its own errno, nothing changing then.
func TestSetflLinuxFlags(t *testing.T) {
	k := newKernel(t, Config{})
	d := newAPIDev(t, k, "api")
	root := k.NewTask("root", Cred{})
	user := k.NewTask("user", Cred{UID: 1000, EUID: 1000, SUID: 1000})
	fd := mustOpen(t, root, "api", O_RDONLY)
	const (
		oCreat = 0x40
		oTrunc = 0x200
		oSync  = 0x101000
	)
	mustFcntl(t, root, fd, F_SETFL, O_RDWR|O_APPEND|O_NONBLOCK|O_NOATIME|oCreat|oTrunc|oSync)
	if got, want := mustFcntl(t, root, fd, F_GETFL, 0), O_RDONLY|O_APPEND|O_NONBLOCK|O_NOATIME; got != want {
		t.Errorf("K2: F_GETFL = %#x, want %#x", got, want)
	}
	if v, err := root.Fcntl(fd, F_SETFL, O_DIRECT); v != -1 || err != EINVAL {
		t.Errorf("K2: O_DIRECT without AllowDirect = %d, %v; want EINVAL", v, err)
	}
	if got := mustFcntl(t, root, fd, F_GETFL, 0); got&O_APPEND == 0 {
		t.Errorf("K2: a refused F_SETFL changed the flags to %#x", got)
	}
	d.direct = true
	dfd := mustOpen(t, root, "api", O_RDONLY)
	mustFcntl(t, root, dfd, F_SETFL, O_DIRECT)
	if got := mustFcntl(t, root, dfd, F_GETFL, 0); got != O_DIRECT {
		t.Errorf("K2: F_GETFL after O_DIRECT = %#x", got)
	}

	ufd := mustOpen(t, user, "api", O_RDONLY)
	if _, err := user.Fcntl(ufd, F_SETFL, O_NOATIME); err != EPERM {
		t.Errorf("K2: O_NOATIME by a user = %v, want EPERM", err)
	}
	mustFcntl(t, user, ufd, F_SETFL, O_NONBLOCK)

	// The driver refuses: its errno, and no flag, no Fasync changes.
	d.checkErr = EPERM
	before := d.events()
	if v, err := root.Fcntl(fd, F_SETFL, FASYNC); v != -1 || err != EPERM {
		t.Errorf("K2: F_SETFL refused by CheckFlags = %d, %v; want -1, EPERM", v, err)
	}
	if got := mustFcntl(t, root, fd, F_GETFL, 0); got != O_RDONLY|O_APPEND|O_NONBLOCK|O_NOATIME {
		t.Errorf("K2: refused F_SETFL left flags %#x", got)
	}
	if after := d.events(); len(after) != len(before) {
		t.Errorf("K2: refused F_SETFL still called the driver: %v", after[len(before):])
	}
	if c := d.checks(); len(c) == 0 || c[len(c)-1] != FASYNC {
		t.Errorf("K2: CheckFlags saw %v, want the requested flags last", c)
	}
	// FIONBIO does not consult CheckFlags (ioctl_fionbio).
	if _, err := root.Ioctl(context.Background(), fd, FIONBIO, IntArg(0)); err != nil {
		t.Errorf("K2: FIONBIO with a refusing CheckFlags = %v", err)
	}
	d.checkErr = nil
	if err := mustFile(t, root, fd).SetFlags(O_NOATIME); err != nil {
		t.Errorf("K2: File.SetFlags(O_NOATIME) = %v", err)
	}
}

func mustFile(tb testing.TB, task *Task, fd int) *File {
	tb.Helper()
	f, err := task.File(fd)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// TestIoctlKernelCommands checks I1: FIOCLEX/FIONCLEX, FIONBIO, FIOASYNC
// and FIOQSIZE are answered by the kernel, as do_vfs_ioctl does, and
// never reach the driver.
func TestIoctlKernelCommands(t *testing.T) {
	k := newKernel(t, Config{})
	d := newAPIDev(t, k, "api")
	bare := &bareDev{}
	k.Register("bare", bare)
	task := k.NewTask("t", Cred{})
	ctx := context.Background()
	fd := mustOpen(t, task, "api", O_RDONLY)
	dup, _ := task.Dup(fd)

	t.Run("I1/fioclex", func(t *testing.T) {
		if v, err := task.Ioctl(ctx, fd, FIOCLEX, IoctlArg{}); v != 0 || err != nil {
			t.Fatalf("FIOCLEX = %d, %v", v, err)
		}
		if got := mustFcntl(t, task, fd, F_GETFD, 0); got != FD_CLOEXEC {
			t.Errorf("F_GETFD after FIOCLEX = %d", got)
		}
		if got := mustFcntl(t, task, dup, F_GETFD, 0); got != 0 {
			t.Errorf("FIOCLEX is per descriptor: the dup has %d", got)
		}
		task.Ioctl(ctx, fd, FIONCLEX, IoctlArg{})
		if got := mustFcntl(t, task, fd, F_GETFD, 0); got != 0 {
			t.Errorf("F_GETFD after FIONCLEX = %d", got)
		}
		mustFcntl(t, task, fd, F_SETFD, FD_CLOEXEC)
		task.Ioctl(ctx, fd, FIONCLEX, IoctlArg{})
		if got := mustFcntl(t, task, fd, F_GETFD, 0); got != 0 {
			t.Errorf("FIONCLEX after F_SETFD = %d", got)
		}
	})
	t.Run("I1/fionbio", func(t *testing.T) {
		mustFcntl(t, task, fd, F_SETFL, O_APPEND)
		if _, err := task.Ioctl(ctx, fd, FIONBIO, IntArg(7)); err != nil {
			t.Fatal(err)
		}
		if got := mustFcntl(t, task, dup, F_GETFL, 0); got != O_RDONLY|O_APPEND|O_NONBLOCK {
			t.Errorf("F_GETFL after FIONBIO 7 = %#x", got)
		}
		if _, err := task.Ioctl(ctx, fd, FIONBIO, IntArg(0)); err != nil {
			t.Fatal(err)
		}
		if got := mustFcntl(t, task, fd, F_GETFL, 0); got != O_RDONLY|O_APPEND {
			t.Errorf("F_GETFL after FIONBIO 0 = %#x", got)
		}
		if _, err := task.Ioctl(ctx, fd, FIONBIO, IoctlArg{Mem: make([]byte, 3)}); err != EFAULT {
			t.Errorf("FIONBIO with 3 bytes = %v, want EFAULT", err)
		}
	})
	t.Run("I1/fioasync", func(t *testing.T) {
		before := len(d.events())
		if _, err := task.Ioctl(ctx, fd, FIOASYNC, IntArg(1)); err != nil {
			t.Fatal(err)
		}
		if got := mustFcntl(t, task, fd, F_GETFL, 0); got&FASYNC == 0 {
			t.Errorf("F_GETFL after FIOASYNC 1 = %#x", got)
		}
		task.Ioctl(ctx, fd, FIOASYNC, IntArg(1)) // no change: no driver call
		task.Ioctl(ctx, fd, FIOASYNC, IntArg(0))
		if got := d.events()[before:]; len(got) != 2 || got[0] != "fasync on" || got[1] != "fasync off" {
			t.Errorf("driver calls = %v, want fasync on, fasync off", got)
		}
		d.fasyncErr = EBUSY
		if v, err := task.Ioctl(ctx, fd, FIOASYNC, IntArg(1)); v != -1 || err != EBUSY {
			t.Errorf("FIOASYNC with a failing Fasync = %d, %v; want -1, EBUSY", v, err)
		}
		d.fasyncErr = nil
		bfd := mustOpen(t, task, "bare", O_RDONLY)
		if _, err := task.Ioctl(ctx, bfd, FIOASYNC, IntArg(0)); err != nil {
			t.Errorf("FIOASYNC 0 without Fasyncer = %v, want 0 (nothing changes)", err)
		}
		if _, err := task.Ioctl(ctx, bfd, FIOASYNC, IntArg(1)); err != ENOTTY {
			t.Errorf("FIOASYNC 1 without Fasyncer = %v, want ENOTTY", err)
		}
		if _, err := task.Ioctl(ctx, fd, FIOASYNC, IoctlArg{}); err != EFAULT {
			t.Errorf("FIOASYNC without memory = %v, want EFAULT", err)
		}
	})
	t.Run("I1/fioqsize", func(t *testing.T) {
		if v, err := task.Ioctl(ctx, fd, FIOQSIZE, IoctlArg{Mem: make([]byte, 8)}); v != -1 || err != ENOTTY {
			t.Errorf("FIOQSIZE on a device = %d, %v; want -1, ENOTTY", v, err)
		}
	})
	if d.taskOf("ioctl") != nil {
		t.Error("I1: a command the kernel answers reached the driver")
	}
	if v, err := task.Ioctl(ctx, 99, FIOCLEX, IoctlArg{}); v != -1 || err != EBADF {
		t.Errorf("I1: ioctl on a closed descriptor = %d, %v; want EBADF", v, err)
	}
}

// TestIoctlDriver checks I1: other commands reach the driver with their
// number and argument, its result and output come back, an unknown
// command or no Ioctler is ENOTTY, and a sleeping ioctl is interruptible
// and restartable like a read.
func TestIoctlDriver(t *testing.T) {
	k := newKernel(t, Config{})
	d := newAPIDev(t, k, "api")
	newPipe(t, k, "plain")
	task := k.NewTask("t", Cred{})
	ctx := context.Background()
	fd := mustOpen(t, task, "api", O_RDONLY)
	plain := mustOpen(t, task, "plain", O_RDONLY)

	if v, err := task.Ioctl(ctx, fd, zioQuery, IoctlArg{}); v != 4096 || err != nil {
		t.Errorf("I1: query = %d, %v; want 4096 as the result", v, err)
	}
	if _, err := task.Ioctl(ctx, fd, zioSet, IntArg(100)); err != nil {
		t.Fatal(err)
	}
	out := IoctlArg{Mem: make([]byte, IOC_SIZE(zioGet))}
	if _, err := task.Ioctl(ctx, fd, zioGet, out); err != nil {
		t.Fatal(err)
	}
	if v, _ := out.Int(); v != 100 {
		t.Errorf("I1: _IOR output = %d, want 100", v)
	}
	swap := IntArg(7)
	task.Ioctl(ctx, fd, zioSwap, swap)
	if v, _ := swap.Int(); v != 100 || d.pipeSize != 7 {
		t.Errorf("I1: _IOWR gave back %d and set %d, want 100 and 7", v, d.pipeSize)
	}
	if v, _ := task.Ioctl(ctx, fd, zioValue, IoctlArg{Value: 1234}); v != 1234 {
		t.Errorf("I1: the value argument arrived as %d", v)
	}
	if v, err := task.Ioctl(ctx, fd, zioGet|1<<32, out); v != 0 || err != nil {
		t.Errorf("I1: cmd is C's unsigned int: high bits = %d, %v", v, err)
	}
	if _, err := task.Ioctl(ctx, fd, zioGet, IoctlArg{Mem: make([]byte, 2)}); err != EFAULT {
		t.Errorf("I1: _IOR into 2 bytes = %v, want EFAULT", err)
	}
	big := IoctlArg{Mem: make([]byte, IOC_SIZE(zioBig))}
	if _, err := task.Ioctl(ctx, fd, zioBig, big); err != nil || big.Mem[1000] != byte(1000%256) {
		t.Errorf("I1: 8 KiB output: %v", err)
	}
	for _, cmd := range []uint{zioOther, zioNoCmd, IO('z', 99), FIONREAD} {
		if v, err := task.Ioctl(ctx, fd, cmd, IoctlArg{}); v != -1 || err != ENOTTY {
			t.Errorf("I1: unknown command %#x = %d, %v; want -1, ENOTTY", cmd, v, err)
		}
	}
	if v, err := task.Ioctl(ctx, plain, zioQuery, IoctlArg{}); v != -1 || err != ENOTTY {
		t.Errorf("I1: no Ioctler = %d, %v; want -1, ENOTTY", v, err)
	}

	// A sleeping ioctl: a signal with a handler gives EINTR, one with
	// SA_RESTART restarts it, a close gives EBADF, ctx its error.
	for _, c := range []struct {
		name  string
		flags int
		end   func(tb testing.TB, cancel context.CancelFunc)
		want  error
	}{
		{"I1/eintr", 0, func(tb testing.TB, _ context.CancelFunc) { k.Kill(task.Pid(), SIGUSR1) }, EINTR},
		{"I1/ctx", 0, func(tb testing.TB, cancel context.CancelFunc) { cancel() }, context.Canceled},
	} {
		t.Run(c.name, func(t *testing.T) {
			task.Sigaction(SIGUSR1, Sigaction{Handler: func(*Task, *SigInfo) {}, Flags: c.flags})
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := task.Ioctl(cctx, fd, zioSleep, IoctlArg{})
				done <- err
			}()
			waitBlocked(t, task, 1)
			c.end(t, cancel)
			if err := <-done; !errors.Is(err, c.want) {
				t.Errorf("sleeping ioctl ended with %v, want %v", err, c.want)
			}
		})
	}
	t.Run("I1/restart", func(t *testing.T) {
		ran := make(chan struct{}, 1)
		task.Sigaction(SIGUSR1, Sigaction{Handler: func(*Task, *SigInfo) { ran <- struct{}{} }, Flags: SA_RESTART})
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			_, err := task.Ioctl(cctx, fd, zioSleep, IoctlArg{})
			done <- err
		}()
		waitBlocked(t, task, 1)
		k.Kill(task.Pid(), SIGUSR1)
		<-ran
		waitBlocked(t, task, 1) // restarted, asleep again
		select {
		case err := <-done:
			t.Fatalf("ioctl returned %v after an SA_RESTART handler", err)
		default:
		}
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("restarted ioctl ended with %v", err)
		}
	})
}

// TestIocEncoding checks I1: the _IOC helpers build and take apart
// command numbers as Linux's macros do (values from LDD3's scull.h).
func TestIocEncoding(t *testing.T) {
	cases := []struct {
		name string
		cmd  uint
		want uint
	}{
		{"_IO('k', 13)", IO('k', 13), 0x6b0d},
		{"_IO('k', 14)", IO('k', 14), 0x6b0e},
		{"_IOW('k', 1, int)", IOW('k', 1, 4), 0x40046b01},
		{"_IOR('k', 5, int)", IOR('k', 5, 4), 0x80046b05},
		{"_IOWR('k', 9, int)", IOWR('k', 9, 4), 0xc0046b09},
		{"_IOC(3, 0xff, 0xff, 0x3fff)", IOC(3, 0xff, 0xff, 0x3fff), 0xffffffff},
		{"masked fields", IOC(7, 0x1ff, 0x1ff, 0x7fff), 0xffffffff},
	}
	for _, c := range cases {
		if c.cmd != c.want {
			t.Errorf("I1: %s = %#x, want %#x", c.name, c.cmd, c.want)
		}
	}
	cmd := IOWR('k', 9, 4)
	if IOC_DIR(cmd) != IOC_READ|IOC_WRITE || IOC_TYPE(cmd) != 'k' || IOC_NR(cmd) != 9 || IOC_SIZE(cmd) != 4 {
		t.Errorf("I1: %#x decodes to dir %d type %#x nr %d size %d", cmd, IOC_DIR(cmd), IOC_TYPE(cmd), IOC_NR(cmd), IOC_SIZE(cmd))
	}
	a := IntArg(-2)
	if v, err := a.Int(); v != -2 || err != nil {
		t.Errorf("I1: IntArg(-2).Int() = %d, %v", v, err)
	}
	if err := a.PutInt(1<<32 + 3); err != nil {
		t.Fatal(err)
	}
	if v, _ := a.Int(); v != 3 {
		t.Errorf("I1: PutInt truncates to C's int: got %d", v)
	}
	if _, err := (IoctlArg{}).Int(); err != EFAULT {
		t.Errorf("I1: Int without memory = %v", err)
	}
	if err := (IoctlArg{}).PutInt(1); err != EFAULT {
		t.Errorf("I1: PutInt without memory = %v", err)
	}
}

// appendOnly is a device whose files may never drop O_APPEND, as an
// append-only inode (chattr +a) refuses in Linux's setfl.
type appendOnly struct{}

func (appendOnly) CheckFlags(f *File, flags int) error {
	if (flags^f.Flags())&O_APPEND != 0 {
		return EPERM
	}
	return nil
}

// TestCheckFlagsAppendOnly checks K2: a driver's CheckFlags refuses a
// change with Linux's errno (EPERM for O_APPEND on an append-only
// device) and the F_SETFL changes nothing; other flags still change.
func TestCheckFlagsAppendOnly(t *testing.T) {
	k := newKernel(t, Config{})
	k.Register("log", appendOnly{})
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "log", O_WRONLY|O_APPEND)
	if v, err := task.Fcntl(fd, F_SETFL, O_NONBLOCK); v != -1 || err != EPERM {
		t.Errorf("K2: clearing O_APPEND = %d, %v; want -1, EPERM", v, err)
	}
	if got := mustFcntl(t, task, fd, F_GETFL, 0); got != O_WRONLY|O_APPEND {
		t.Errorf("K2: F_GETFL after the refusal = %#x", got)
	}
	mustFcntl(t, task, fd, F_SETFL, O_APPEND|O_NONBLOCK)
	if got := mustFcntl(t, task, fd, F_GETFL, 0); got != O_WRONLY|O_APPEND|O_NONBLOCK {
		t.Errorf("K2: F_GETFL = %#x, want O_APPEND|O_NONBLOCK kept", got)
	}
	plain := mustOpen(t, task, "log", O_WRONLY)
	if _, err := task.Fcntl(plain, F_SETFL, O_APPEND); err != EPERM {
		t.Errorf("K2: setting O_APPEND where it was clear = %v, want EPERM (any change)", err)
	}
}
