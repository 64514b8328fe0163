package kernel

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// epollFixture is a task with an epoll set and n pipeDev devices, each
// opened for reading by the task and for writing by a writer task.
type epollFixture struct {
	k      *Kernel
	task   *Task
	writer *Task
	ep     int
	devs   []*pipeDev
	rfds   []int
	wfds   []int
}

func newEpollFixture(tb testing.TB, n int) *epollFixture {
	tb.Helper()
	k := newKernel(tb, Config{})
	x := &epollFixture{k: k, task: k.NewTask("epoller", Cred{}), writer: k.NewTask("writer", Cred{})}
	ep, err := x.task.EpollCreate1(0)
	if err != nil {
		tb.Fatalf("EpollCreate1: %v", err)
	}
	x.ep = ep
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("p%d", i)
		x.devs = append(x.devs, newPipe(tb, k, name))
		x.rfds = append(x.rfds, mustOpen(tb, x.task, name, O_RDONLY))
		x.wfds = append(x.wfds, mustOpen(tb, x.writer, name, O_WRONLY))
	}
	return x
}

// add registers the i-th read end with events and data i.
func (x *epollFixture) add(tb testing.TB, i int, events uint32) {
	tb.Helper()
	if err := x.task.EpollCtl(x.ep, EPOLL_CTL_ADD, x.rfds[i], &EpollEvent{Events: events, Data: uint64(i)}); err != nil {
		tb.Fatalf("EpollCtl ADD %d: %v", x.rfds[i], err)
	}
}

// write writes s to the i-th device.
func (x *epollFixture) write(tb testing.TB, i int, s string) {
	tb.Helper()
	if _, err := x.writer.Write(context.Background(), x.wfds[i], []byte(s)); err != nil {
		tb.Fatalf("Write: %v", err)
	}
}

// read reads up to n bytes from the i-th read end.
func (x *epollFixture) read(tb testing.TB, i, n int) {
	tb.Helper()
	if _, err := x.task.Read(context.Background(), x.rfds[i], make([]byte, n)); err != nil {
		tb.Fatalf("Read: %v", err)
	}
}

// wait is EpollWait with room for max events and timeout 0, returning
// the events.
func (x *epollFixture) wait(tb testing.TB, max int) []EpollEvent {
	tb.Helper()
	evs := make([]EpollEvent, max)
	n, err := x.task.EpollWait(context.Background(), x.ep, evs, 0)
	if err != nil {
		tb.Fatalf("EpollWait: %v", err)
	}
	return evs[:n]
}

// goEpollWait runs EpollWait on a goroutine of its own.
func goEpollWait(ctx context.Context, task *Task, ep int, evs []EpollEvent, timeout time.Duration) <-chan result {
	ch := make(chan result, 1)
	go func() {
		n, err := task.EpollWait(ctx, ep, evs, timeout)
		ch <- result{n, err}
	}()
	return ch
}

// TestEpollCtlErrors checks SPEC E2: epoll_ctl's errors in Linux's order.
func TestEpollCtlErrors(t *testing.T) {
	x := newEpollFixture(t, 1)
	x.k.Register("bare", bareDev{})
	bare := mustOpen(t, x.task, "bare", O_RDWR)
	other, _ := x.task.EpollCreate1(0)
	r := x.rfds[0]
	ev := &EpollEvent{Events: EPOLLIN}
	cases := []struct {
		name      string
		epfd, op  int
		fd        int
		ev        *EpollEvent
		want      error
		wantAfter bool // ADD it first
	}{
		{"E2/EFAULT-nil-event-ADD", x.ep, EPOLL_CTL_ADD, r, nil, EFAULT, false},
		{"E2/EFAULT-nil-event-MOD", x.ep, EPOLL_CTL_MOD, r, nil, EFAULT, false},
		{"E2/EFAULT-before-EBADF", 99, EPOLL_CTL_ADD, 98, nil, EFAULT, false},
		{"E2/EFAULT-unknown-op", x.ep, 99, r, nil, EFAULT, false},
		{"E2/EBADF-epfd", 99, EPOLL_CTL_ADD, r, ev, EBADF, false},
		{"E2/EBADF-fd", x.ep, EPOLL_CTL_ADD, 99, ev, EBADF, false},
		{"E2/EBADF-negative", -1, EPOLL_CTL_DEL, r, nil, EBADF, false},
		{"E2/EPERM-no-poll", x.ep, EPOLL_CTL_ADD, bare, ev, EPERM, false},
		{"E2/EPERM-before-EINVAL", r, EPOLL_CTL_ADD, bare, ev, EPERM, false},
		{"E2/EINVAL-not-epoll", r, EPOLL_CTL_ADD, r, ev, EINVAL, false},
		{"E2/EINVAL-self", x.ep, EPOLL_CTL_ADD, x.ep, ev, EINVAL, false},
		{"E2/EINVAL-exclusive-MOD", x.ep, EPOLL_CTL_MOD, r, &EpollEvent{Events: EPOLLIN | EPOLLEXCLUSIVE}, EINVAL, false},
		{"E2/EINVAL-exclusive-epoll", x.ep, EPOLL_CTL_ADD, other, &EpollEvent{Events: EPOLLIN | EPOLLEXCLUSIVE}, EINVAL, false},
		{"E2/EINVAL-exclusive-oneshot", x.ep, EPOLL_CTL_ADD, r, &EpollEvent{Events: EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT}, EINVAL, false},
		{"E2/EINVAL-exclusive-pri", x.ep, EPOLL_CTL_ADD, r, &EpollEvent{Events: EPOLLPRI | EPOLLEXCLUSIVE}, EINVAL, false},
		{"E2/ENOENT-MOD", x.ep, EPOLL_CTL_MOD, r, ev, ENOENT, false},
		{"E2/ENOENT-DEL", x.ep, EPOLL_CTL_DEL, r, nil, ENOENT, false},
		{"E2/EINVAL-unknown-op", x.ep, 0, r, ev, EINVAL, false},
		{"E2/EEXIST", x.ep, EPOLL_CTL_ADD, r, ev, EEXIST, true},
		{"E2/EINVAL-unknown-op-registered", x.ep, 4, r, ev, EINVAL, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.wantAfter {
				if err := x.task.EpollCtl(x.ep, EPOLL_CTL_ADD, r, ev); err != nil {
					t.Fatal(err)
				}
				defer x.task.EpollCtl(x.ep, EPOLL_CTL_DEL, r, nil)
			}
			if err := x.task.EpollCtl(c.epfd, c.op, c.fd, c.ev); err != c.want {
				t.Errorf("EpollCtl(%d, %d, %d, %v) = %v, want %v", c.epfd, c.op, c.fd, c.ev, err, c.want)
			}
		})
	}
	t.Run("E2/EINVAL-MOD-exclusive-registration", func(t *testing.T) {
		if err := x.task.EpollCtl(x.ep, EPOLL_CTL_ADD, r, &EpollEvent{Events: EPOLLIN | EPOLLEXCLUSIVE}); err != nil {
			t.Fatal(err)
		}
		if err := x.task.EpollCtl(x.ep, EPOLL_CTL_MOD, r, ev); err != EINVAL {
			t.Errorf("MOD of an exclusive registration = %v, want EINVAL", err)
		}
		if err := x.task.EpollCtl(x.ep, EPOLL_CTL_DEL, r, nil); err != nil {
			t.Errorf("DEL: %v", err)
		}
	})
}

// TestEpollCreate checks SPEC E2: epoll_create1's flags and the file it makes.
func TestEpollCreate(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("t", Cred{})
	if _, err := task.EpollCreate1(1); err != EINVAL {
		t.Errorf("EpollCreate1(1) = %v, want EINVAL", err)
	}
	if _, err := task.EpollCreate(0); err != EINVAL {
		t.Errorf("EpollCreate(0) = %v, want EINVAL", err)
	}
	fd, err := task.EpollCreate(1)
	if err != nil || fd != 0 {
		t.Fatalf("EpollCreate(1) = %d, %v", fd, err)
	}
	if fl := mustFcntl(t, task, fd, F_GETFL, 0); fl != O_RDWR {
		t.Errorf("F_GETFL = %#x, want O_RDWR", fl)
	}
	if v := mustFcntl(t, task, fd, F_GETFD, 0); v != 0 {
		t.Errorf("F_GETFD = %d, want 0", v)
	}
	cfd, err := task.EpollCreate1(EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	if v := mustFcntl(t, task, cfd, F_GETFD, 0); v != 1 {
		t.Errorf("F_GETFD with EPOLL_CLOEXEC = %d, want FD_CLOEXEC", v)
	}
	if _, err := task.Read(context.Background(), fd, make([]byte, 8)); err != EINVAL {
		t.Errorf("read of an epoll = %v, want EINVAL", err)
	}
	// E6: O_ASYNC is accepted and never shows: epoll has no fasync.
	mustFcntl(t, task, fd, F_SETFL, O_ASYNC|O_RDWR)
	if fl := mustFcntl(t, task, fd, F_GETFL, 0); fl&O_ASYNC != 0 {
		t.Errorf("E6: F_GETFL shows O_ASYNC on an epoll: %#x", fl)
	}
	if _, err := task.Ioctl(context.Background(), fd, 0x1234, IoctlArg{}); err != EINVAL {
		t.Errorf("ioctl on an epoll = %v, want EINVAL", err)
	}
}

// TestEpollWaitArgs checks SPEC E2: epoll_wait's argument errors.
func TestEpollWaitArgs(t *testing.T) {
	x := newEpollFixture(t, 1)
	ctx := context.Background()
	if _, err := x.task.EpollWait(ctx, 99, make([]EpollEvent, 1), 0); err != EBADF {
		t.Errorf("bad epfd = %v, want EBADF", err)
	}
	if _, err := x.task.EpollWait(ctx, x.ep, nil, 0); err != EINVAL {
		t.Errorf("nil events = %v, want EINVAL", err)
	}
	if _, err := x.task.EpollWait(ctx, x.rfds[0], make([]EpollEvent, 1), 0); err != EINVAL {
		t.Errorf("not an epoll = %v, want EINVAL", err)
	}
	if _, err := x.task.EpollWait(ctx, 99, nil, 0); err != EBADF {
		t.Errorf("bad epfd and nil events = %v, want EBADF first", err)
	}
	if n, err := x.task.EpollWait(ctx, x.ep, make([]EpollEvent, 4), 0); n != 0 || err != nil {
		t.Errorf("empty set, timeout 0 = %d, %v", n, err)
	}
	if n, err := x.task.EpollWait(ctx, x.ep, make([]EpollEvent, 4), time.Millisecond); n != 0 || err != nil {
		t.Errorf("empty set, 1ms = %d, %v", n, err)
	}
}

// TestEpollLevelTriggered checks SPEC E4 (level-triggered) and E2 (data
// handed back, maxevents, order).
func TestEpollLevelTriggered(t *testing.T) {
	x := newEpollFixture(t, 3)
	for i := range 3 {
		x.add(t, i, EPOLLIN)
	}
	if evs := x.wait(t, 8); len(evs) != 0 {
		t.Fatalf("nothing written, got %v", evs)
	}
	x.write(t, 2, "a")
	x.write(t, 0, "b")
	if evs := x.wait(t, 8); len(evs) != 2 || evs[0] != (EpollEvent{EPOLLIN, 2}) || evs[1] != (EpollEvent{EPOLLIN, 0}) {
		t.Fatalf("E4: got %v, want [{IN 2} {IN 0}] in wake-up order", evs)
	}
	// Still readable: reported again (level-triggered), round-robin
	// with maxevents 1.
	if evs := x.wait(t, 1); len(evs) != 1 || evs[0].Data != 2 {
		t.Fatalf("E2 maxevents 1: got %v, want data 2", evs)
	}
	if evs := x.wait(t, 1); len(evs) != 1 || evs[0].Data != 0 {
		t.Fatalf("E2 maxevents 1, second call: got %v, want data 0", evs)
	}
	x.read(t, 2, 8)
	if evs := x.wait(t, 8); len(evs) != 1 || evs[0].Data != 0 {
		t.Fatalf("E4 after draining 2: got %v, want only 0", evs)
	}
}

// TestEpollEdgeTriggered checks SPEC E4: EPOLLET reports a file again only
// after a new wake-up of its queue, also after a partial read.
func TestEpollEdgeTriggered(t *testing.T) {
	x := newEpollFixture(t, 1)
	x.add(t, 0, EPOLLIN|EPOLLET)
	x.write(t, 0, "0123456789")
	if evs := x.wait(t, 8); len(evs) != 1 || evs[0].Events != EPOLLIN {
		t.Fatalf("E4: first wait got %v", evs)
	}
	if evs := x.wait(t, 8); len(evs) != 0 {
		t.Fatalf("E4: EPOLLET reported again without a wake-up: %v", evs)
	}
	x.write(t, 0, "x")
	if evs := x.wait(t, 8); len(evs) != 1 {
		t.Fatalf("E4: a new write did not re-arm EPOLLET: %v", evs)
	}
	// A partial read wakes the device's write queue: pipeDev's Poll
	// registered there too and its wake-ups carry no key, so, as for such
	// a driver on Linux, the registration is reported again.
	x.read(t, 0, 5)
	if evs := x.wait(t, 8); len(evs) != 1 {
		t.Fatalf("E4: an unkeyed wake-up after a partial read: %v", evs)
	}
	if evs := x.wait(t, 8); len(evs) != 0 {
		t.Fatalf("E4: reported twice for one wake-up: %v", evs)
	}
}

// TestEpollOneshot checks SPEC E4: EPOLLONESHOT disarms after one report
// until EPOLL_CTL_MOD.
func TestEpollOneshot(t *testing.T) {
	x := newEpollFixture(t, 1)
	x.add(t, 0, EPOLLIN|EPOLLONESHOT)
	x.write(t, 0, "a")
	if evs := x.wait(t, 8); len(evs) != 1 {
		t.Fatalf("first report: %v", evs)
	}
	x.write(t, 0, "b")
	if evs := x.wait(t, 8); len(evs) != 0 {
		t.Fatalf("E4: EPOLLONESHOT reported while disarmed: %v", evs)
	}
	if err := x.task.EpollCtl(x.ep, EPOLL_CTL_MOD, x.rfds[0], &EpollEvent{Events: EPOLLIN | EPOLLONESHOT, Data: 7}); err != nil {
		t.Fatal(err)
	}
	if evs := x.wait(t, 8); len(evs) != 1 || evs[0].Data != 7 {
		t.Fatalf("E4: MOD re-armed and the file is ready: got %v, want data 7", evs)
	}
	if err := x.task.EpollCtl(x.ep, EPOLL_CTL_ADD, x.rfds[0], &EpollEvent{Events: EPOLLIN}); err != EEXIST {
		t.Errorf("ADD of a disarmed registration = %v, want EEXIST", err)
	}
}

// TestEpollMaskBits checks SPEC E4: only the watched events are reported,
// EPOLLERR and EPOLLHUP always.
func TestEpollMaskBits(t *testing.T) {
	x := newEpollFixture(t, 1)
	rw := mustOpen(t, x.task, "p0", O_RDWR)
	if err := x.task.EpollCtl(x.ep, EPOLL_CTL_ADD, rw, &EpollEvent{Events: EPOLLOUT, Data: 1}); err != nil {
		t.Fatal(err)
	}
	x.write(t, 0, "a")
	evs := x.wait(t, 8)
	if len(evs) != 1 || evs[0].Events != EPOLLOUT {
		t.Fatalf("got %v, want only EPOLLOUT", evs)
	}
	if err := x.task.EpollCtl(x.ep, EPOLL_CTL_MOD, rw, &EpollEvent{Events: EPOLLIN | EPOLLRDNORM | EPOLLOUT, Data: 2}); err != nil {
		t.Fatal(err)
	}
	if evs := x.wait(t, 8); len(evs) != 1 || evs[0] != (EpollEvent{EPOLLIN | EPOLLRDNORM | EPOLLOUT, 2}) {
		t.Fatalf("after MOD got %v", evs)
	}
}
