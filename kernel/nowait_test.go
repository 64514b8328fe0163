package kernel

import (
	"context"
	"sync"
	"testing"
)

// M2, M1: RWF_NOWAIT makes one call fail with EAGAIN where it would
// sleep, without setting O_NONBLOCK on the file: a blocking call on the
// same open file keeps sleeping, and data or room makes the call succeed.
func TestReadWriteFlagsNowait(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	d.size = 4
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDWR)
	f, _ := task.File(fd)
	ctx := context.Background()
	buf := make([]byte, 8)

	if n, err := task.ReadFlags(ctx, fd, buf, RWF_NOWAIT); n != 0 || err != EAGAIN {
		t.Fatalf("M2: ReadFlags(RWF_NOWAIT) on empty = %d, %v; want EAGAIN", n, err)
	}
	if f.Nonblock() {
		t.Fatal("M2: RWF_NOWAIT left O_NONBLOCK set on the file")
	}
	blocked := goRead(ctx, task, fd, buf[:2])
	waitBlocked(t, task, 1)
	if n, err := task.ReadFlags(ctx, fd, buf, RWF_NOWAIT); err != EAGAIN {
		t.Fatalf("M2: ReadFlags(RWF_NOWAIT) beside a sleeper = %d, %v; want EAGAIN", n, err)
	}
	if n, err := task.WriteFlags(ctx, fd, []byte("abcdef"), RWF_NOWAIT); n != 4 || err != nil {
		t.Fatalf("M2: WriteFlags(RWF_NOWAIT) with room = %d, %v; want 4", n, err)
	}
	if res := await(t, blocked); res.n != 2 || res.err != nil {
		t.Fatalf("M1: the blocking read beside the nowait calls = %d, %v; want 2 bytes", res.n, res.err)
	}
	if n, err := task.WriteFlags(ctx, fd, []byte("gh"), RWF_NOWAIT); n != 2 || err != nil {
		t.Fatalf("WriteFlags = %d, %v", n, err)
	}
	if n, err := task.WriteFlags(ctx, fd, []byte("x"), RWF_NOWAIT); n != 0 || err != EAGAIN {
		t.Fatalf("M2: WriteFlags(RWF_NOWAIT) on full = %d, %v; want EAGAIN", n, err)
	}
	if n, err := task.ReadFlags(ctx, fd, buf, RWF_NOWAIT); n != 4 || err != nil || string(buf[:n]) != "cdgh" {
		t.Fatalf("M2: ReadFlags(RWF_NOWAIT) with data = %q, %v; want cdgh", buf[:n], err)
	}
	for _, fl := range []int{0x1, 0x10, RWF_NOWAIT | 0x2} {
		if _, err := task.ReadFlags(ctx, fd, buf, fl); err != EOPNOTSUPP {
			t.Errorf("ReadFlags(%#x) = %v, want EOPNOTSUPP", fl, err)
		}
		if _, err := task.WriteFlags(ctx, fd, buf, fl); err != EOPNOTSUPP {
			t.Errorf("WriteFlags(%#x) = %v, want EOPNOTSUPP", fl, err)
		}
	}
	task.Write(ctx, fd, []byte("z"))
	if n, err := task.ReadFlags(ctx, fd, buf, 0); n != 1 || err != nil {
		t.Fatalf("ReadFlags(0), a plain read, = %d, %v; want 1 byte", n, err)
	}
}

// derivingDev sleeps on a context derived from its call's, as a driver
// adding a deadline would; RWF_NOWAIT must reach it through that.
type derivingDev struct {
	q      WaitQueue
	noWait []bool // NoWait(ctx) as each Read saw it
	mu     sync.Mutex
}

func (d *derivingDev) Read(ctx context.Context, f *File, p []byte) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d.mu.Lock()
	d.noWait = append(d.noWait, NoWait(ctx))
	d.mu.Unlock()
	return 0, d.q.Wait(ctx, nil, func() bool { return false })
}

// M2: NoWait and WaitQueue.Wait see RWF_NOWAIT through a derived context.
func TestNoWaitDerivedContext(t *testing.T) {
	k := newKernel(t, Config{})
	d := &derivingDev{}
	if err := k.Register("derive", d); err != nil {
		t.Fatal(err)
	}
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "derive", O_RDONLY)
	if _, err := task.ReadFlags(context.Background(), fd, make([]byte, 1), RWF_NOWAIT); err != EAGAIN {
		t.Fatalf("M2: RWF_NOWAIT read through a derived context = %v, want EAGAIN", err)
	}
	if NoWait(context.Background()) {
		t.Error("NoWait(Background) = true")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.noWait) != 1 || !d.noWait[0] {
		t.Fatalf("NoWait as the driver saw it: %v, want [true]", d.noWait)
	}
}

// M2: a nowait call that finds data or fails at once allocates nothing,
// like the calls of TestCallAllocs.
func TestNowaitAllocs(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDWR)
	buf := make([]byte, 4)
	ctx := context.Background()
	if got := testing.AllocsPerRun(1000, func() { task.ReadFlags(ctx, fd, buf, RWF_NOWAIT) }); got != 0 {
		t.Fatalf("M2: an EAGAIN nowait read allocates %v times", got)
	}
}
