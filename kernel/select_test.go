package kernel

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

// fdSetOf returns a set holding fds.
func fdSetOf(fds ...int) *FdSet {
	var s FdSet
	for _, fd := range fds {
		s.Set(fd)
	}
	return &s
}

// TestFdSet checks SPEC E1: FD_SET, FD_CLR, FD_ISSET and FD_ZERO, and no
// panic out of range or on a nil set.
func TestFdSet(t *testing.T) {
	s := fdSetOf(0, 63, 64, 1023)
	for _, fd := range []int{0, 63, 64, 1023} {
		if !s.IsSet(fd) {
			t.Errorf("E1: %d not set", fd)
		}
	}
	s.Clear(63)
	if s.IsSet(63) || s.Bits[0] != 1 {
		t.Errorf("E1: Clear(63) left %#x", s.Bits[0])
	}
	for _, fd := range []int{-1, 1024, math.MaxInt, math.MinInt} {
		s.Set(fd)
		s.Clear(fd)
		if s.IsSet(fd) {
			t.Errorf("E1: out-of-range %d reported set", fd)
		}
	}
	s.Zero()
	if *s != (FdSet{}) {
		t.Error("E1: Zero left bits")
	}
	var nilSet *FdSet
	nilSet.Set(1)
	nilSet.Zero()
	if nilSet.IsSet(1) {
		t.Error("E1: nil set reported a member")
	}
}

// TestSelect checks SPEC E1: readiness per set, the sets written back,
// exceptfds from POLLPRI, the timeout written back, the argument errors.
func TestSelect(t *testing.T) {
	x := newEpollFixture(t, 2)
	ctx := context.Background()
	r0, r1 := x.rfds[0], x.rfds[1]
	w0 := mustOpen(t, x.task, "p0", O_WRONLY)

	t.Run("E1/ready-sets", func(t *testing.T) {
		x.write(t, 1, "a")
		rd, wr, ex := fdSetOf(r0, r1), fdSetOf(w0), fdSetOf(r0, r1)
		zero := time.Duration(0)
		n, err := x.task.Select(ctx, w0+1, rd, wr, ex, &zero)
		if n != 2 || err != nil {
			t.Fatalf("Select = %d, %v; want 2", n, err)
		}
		if *rd != *fdSetOf(r1) || *wr != *fdSetOf(w0) || *ex != (FdSet{}) {
			t.Errorf("sets = %v %v %v", rd.Bits[0], wr.Bits[0], ex.Bits[0])
		}
		x.read(t, 1, 8)
	})
	t.Run("E1/timeout-zeroes-sets", func(t *testing.T) {
		rd := fdSetOf(r0)
		d := 10 * time.Millisecond
		n, err := x.task.Select(ctx, r0+1, rd, nil, nil, &d)
		if n != 0 || err != nil || *rd != (FdSet{}) {
			t.Errorf("Select = %d, %v, set %#x; want 0, empty", n, err, rd.Bits[0])
		}
		if d != 0 {
			t.Errorf("remaining time after a timeout = %v, want 0", d)
		}
	})
	t.Run("E1/remaining-time", func(t *testing.T) {
		rd := fdSetOf(r0)
		d := time.Hour
		ch := make(chan result, 1)
		go func() {
			n, err := x.task.Select(ctx, r0+1, rd, nil, nil, &d)
			ch <- result{n, err}
		}()
		waitBlocked(t, x.task, 1)
		x.write(t, 0, "b")
		if r := await(t, ch); r.n != 1 || r.err != nil {
			t.Fatalf("Select woken by a write = %v", r)
		}
		if d <= 0 || d >= time.Hour || d%time.Microsecond != 0 {
			t.Errorf("remaining time = %v, want in (0, 1h), whole microseconds", d)
		}
		x.read(t, 0, 8)
	})
	t.Run("E1/EBADF", func(t *testing.T) {
		rd := fdSetOf(r0, 40)
		before := *rd
		zero := time.Duration(0)
		if _, err := x.task.Select(ctx, 41, rd, nil, nil, &zero); err != EBADF {
			t.Errorf("closed descriptor in a set = %v, want EBADF", err)
		}
		if *rd != before {
			t.Error("E1: sets changed by a failed select")
		}
	})
	t.Run("E1/EINVAL", func(t *testing.T) {
		zero, neg := time.Duration(0), -time.Second
		if _, err := x.task.Select(ctx, -1, nil, nil, nil, &zero); err != EINVAL {
			t.Errorf("nfds -1 = %v, want EINVAL", err)
		}
		if _, err := x.task.Select(ctx, 1, nil, nil, nil, &neg); err != EINVAL {
			t.Errorf("negative timeout = %v, want EINVAL", err)
		}
	})
	t.Run("E1/huge-nfds", func(t *testing.T) {
		// Cut down to the table size (64): fd 100 is never looked at.
		rd := fdSetOf(r0, 100)
		zero := time.Duration(0)
		x.write(t, 0, "c")
		n, err := x.task.Select(ctx, math.MaxInt, rd, nil, nil, &zero)
		if n != 1 || err != nil || !rd.IsSet(r0) || !rd.IsSet(100) {
			t.Errorf("Select(MaxInt) = %d, %v, set %v", n, err, rd.Bits[:2])
		}
		x.read(t, 0, 8)
	})
	t.Run("E1/EINTR", func(t *testing.T) {
		var log sigLog
		log.handle(t, x.task, SIGUSR2, SA_RESTART)
		rd := fdSetOf(r0)
		before := *rd
		d := time.Hour
		ch := make(chan result, 1)
		go func() {
			n, err := x.task.Select(ctx, r0+1, rd, nil, nil, &d)
			ch <- result{n, err}
		}()
		waitBlocked(t, x.task, 1)
		x.k.Kill(x.task.Pid(), SIGUSR2)
		if r := await(t, ch); r.err != EINTR {
			t.Errorf("signal with SA_RESTART: %v, want EINTR (never restarted)", r)
		}
		if *rd != before || d >= time.Hour {
			t.Errorf("after EINTR: set %#x (want unchanged), remaining %v (want written back)", rd.Bits[0], d)
		}
	})
	t.Run("E1/ctx", func(t *testing.T) {
		c, cancel := context.WithCancel(ctx)
		ch := make(chan result, 1)
		go func() {
			n, err := x.task.Select(c, 0, nil, nil, nil, nil)
			ch <- result{n, err}
		}()
		waitBlocked(t, x.task, 1)
		cancel()
		if r := await(t, ch); !errors.Is(r.err, context.Canceled) {
			t.Errorf("ctx cancelled: %v", r)
		}
	})
}

// priDev reports POLLPRI and nothing else, for exceptfds.
type priDev struct{}

func (priDev) Poll(f *File, pt *PollTable) int16 { return POLLPRI }

// TestSelectExcept checks SPEC E1: exceptfds reports POLLPRI; a file
// without Poll is readable and writable.
func TestSelectExcept(t *testing.T) {
	k := newKernel(t, Config{})
	k.Register("pri", priDev{})
	k.Register("bare", bareDev{})
	task := k.NewTask("t", Cred{})
	pri := mustOpen(t, task, "pri", O_RDWR)
	bare := mustOpen(t, task, "bare", O_RDWR)
	rd, wr, ex := fdSetOf(pri, bare), fdSetOf(pri, bare), fdSetOf(pri, bare)
	n, err := task.Select(context.Background(), 2, rd, wr, ex, nil)
	if n != 3 || err != nil {
		t.Fatalf("Select = %d, %v; want 3", n, err)
	}
	if *rd != *fdSetOf(bare) || *wr != *fdSetOf(bare) || *ex != *fdSetOf(pri) {
		t.Errorf("sets = %#x %#x %#x", rd.Bits[0], wr.Bits[0], ex.Bits[0])
	}
}
