package kernel

import (
	"context"
	"math"
	"math/rand"
	"reflect"
	"testing"
)

// TestFcntlOwner checks A9: F_SETOWN / F_GETOWN and the _EX forms.
func TestFcntlOwner(t *testing.T) {
	k := newKernel(t, Config{})
	k.NewTask("init", Cred{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	peer := k.NewTask("peer", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDONLY)

	setown := []struct {
		name    string
		arg     int
		wantErr error
		getown  int
		ex      FOwnerEx
	}{
		{"A9/initial", 0, nil, 0, FOwnerEx{F_OWNER_PID, 0}},
		{"A9/process", peer.Pid(), nil, peer.Pid(), FOwnerEx{F_OWNER_PID, peer.Pid()}},
		{"A9/group", -task.Pgid(), nil, -task.Pgid(), FOwnerEx{F_OWNER_PGRP, task.Pgid()}},
		{"A9/unknown-pid", 4242, ESRCH, -task.Pgid(), FOwnerEx{F_OWNER_PGRP, task.Pgid()}},
		{"A9/unknown-group", -4242, ESRCH, -task.Pgid(), FOwnerEx{F_OWNER_PGRP, task.Pgid()}},
		{"A9/int-min", math.MinInt32, EINVAL, -task.Pgid(), FOwnerEx{F_OWNER_PGRP, task.Pgid()}},
		// arg is C's int: the low 32 bits count, as the system call truncates.
		{"A9/c-int-high-bits", 1<<32 + peer.Pid(), nil, peer.Pid(), FOwnerEx{F_OWNER_PID, peer.Pid()}},
		{"A9/c-int-most-negative-64", math.MinInt, nil, 0, FOwnerEx{F_OWNER_PID, 0}},
		{"A9/c-int-negative-high-bits", 1<<40 - task.Pgid(), nil, -task.Pgid(), FOwnerEx{F_OWNER_PGRP, task.Pgid()}},
		{"A9/clear", 0, nil, 0, FOwnerEx{F_OWNER_PID, 0}},
	}
	for _, c := range setown {
		t.Run(c.name, func(t *testing.T) {
			if _, err := task.Fcntl(fd, F_SETOWN, c.arg); err != c.wantErr {
				t.Fatalf("F_SETOWN %d = %v, want %v", c.arg, err, c.wantErr)
			}
			if got := mustFcntl(t, task, fd, F_GETOWN, 0); got != c.getown {
				t.Errorf("F_GETOWN = %d, want %d", got, c.getown)
			}
			var ex FOwnerEx
			if err := task.FcntlOwnerEx(fd, F_GETOWN_EX, &ex); err != nil || ex != c.ex {
				t.Errorf("F_GETOWN_EX = %+v, %v; want %+v", ex, err, c.ex)
			}
		})
	}
	setownEx := []struct {
		name    string
		o       FOwnerEx
		wantErr error
		getown  int
	}{
		{"A9/ex-tid", FOwnerEx{F_OWNER_TID, peer.Pid()}, nil, peer.Pid()},
		{"A9/ex-pid", FOwnerEx{F_OWNER_PID, task.Pid()}, nil, task.Pid()},
		{"A9/ex-pgrp", FOwnerEx{F_OWNER_PGRP, peer.Pgid()}, nil, -peer.Pgid()},
		{"A9/ex-bad-type", FOwnerEx{3, task.Pid()}, EINVAL, -peer.Pgid()},
		{"A9/ex-negative-type", FOwnerEx{-1, task.Pid()}, EINVAL, -peer.Pgid()},
		{"A9/ex-unknown-pid", FOwnerEx{F_OWNER_PID, 4242}, ESRCH, -peer.Pgid()},
		{"A9/ex-negative-pid", FOwnerEx{F_OWNER_PID, -5}, ESRCH, -peer.Pgid()},
		{"A9/ex-clear", FOwnerEx{F_OWNER_PGRP, 0}, nil, 0},
	}
	for _, c := range setownEx {
		t.Run(c.name, func(t *testing.T) {
			o := c.o
			if err := task.FcntlOwnerEx(fd, F_SETOWN_EX, &o); err != c.wantErr {
				t.Fatalf("F_SETOWN_EX %+v = %v, want %v", c.o, err, c.wantErr)
			}
			if got := mustFcntl(t, task, fd, F_GETOWN, 0); got != c.getown {
				t.Errorf("F_GETOWN = %d, want %d", got, c.getown)
			}
			if c.wantErr == nil {
				var ex FOwnerEx
				task.FcntlOwnerEx(fd, F_GETOWN_EX, &ex)
				if ex != c.o {
					t.Errorf("F_GETOWN_EX = %+v, want %+v", ex, c.o)
				}
			}
		})
	}
}

// TestFcntlOwnerNotifies checks A9's owner kinds end to end: a TID owner
// set with F_SETOWN_EX is notified like a process, a group owner reaches
// every member (S4).
func TestFcntlOwnerNotifies(t *testing.T) {
	k := newKernel(t, Config{})
	k.NewTask("init", Cred{})
	d := newPipe(t, k, "pipe")
	a := k.NewTask("a", Cred{})
	b := k.NewTask("b", Cred{})
	b.Setpgid(a.Pid())
	for _, task := range []*Task{a, b} {
		task.Sigaction(SIGIO, Sigaction{Handler: func(*Task, *SigInfo) {}})
	}
	fd := mustOpen(t, a, "pipe", O_RDONLY)
	if err := a.FcntlOwnerEx(fd, F_SETOWN_EX, &FOwnerEx{F_OWNER_TID, b.Pid()}); err != nil {
		t.Fatal(err)
	}
	mustFcntl(t, a, fd, F_SETFL, FASYNC)
	d.async.Kill(SIGIO, POLL_IN)
	if len(a.Pending()) != 0 || len(b.Pending()) != 1 {
		t.Fatalf("A9: TID owner: pending a=%v b=%v", a.Pending(), b.Pending())
	}
	b.Pause(context.Background())
	mustFcntl(t, a, fd, F_SETOWN, -a.Pid())
	d.async.Kill(SIGIO, POLL_OUT)
	if len(a.Pending()) != 1 || len(b.Pending()) != 1 {
		t.Fatalf("A9/S4: group owner: pending a=%v b=%v", a.Pending(), b.Pending())
	}
}

// TestFcntlSetfl checks A11: the driver's Fasync runs only when FASYNC
// changes; its error aborts the whole F_SETFL; without Fasyncer FASYNC
// never shows.
func TestFcntlSetfl(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	k.Register("bare", bareDev{})
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDWR)
	steps := []struct {
		name    string
		arg     int
		fail    error
		wantErr error
		flags   int
		calls   []string
	}{
		{"A11/nonblock-only", O_NONBLOCK, nil, nil, O_RDWR | O_NONBLOCK, nil},
		{"A11/fasync-on", FASYNC | O_NONBLOCK, nil, nil, O_RDWR | O_NONBLOCK | FASYNC, []string{"fasync on"}},
		{"A11/fasync-unchanged", FASYNC | O_APPEND, nil, nil, O_RDWR | O_APPEND | FASYNC, nil},
		{"A11/access-mode-ignored", O_WRONLY | FASYNC | O_APPEND, nil, nil, O_RDWR | O_APPEND | FASYNC, nil},
		{"A11/driver-error-aborts", O_NONBLOCK, EAGAIN, EAGAIN, O_RDWR | O_APPEND | FASYNC, []string{"fasync off"}},
		{"A11/fasync-off", 0, nil, nil, O_RDWR, []string{"fasync off"}},
		{"A11/driver-error-on-enable", FASYNC | O_NONBLOCK, EPERM, EPERM, O_RDWR, []string{"fasync on"}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			d.fasyncErr = s.fail
			before := len(d.events())
			_, err := task.Fcntl(fd, F_SETFL, s.arg)
			if err != s.wantErr {
				t.Fatalf("F_SETFL %#x = %v, want %v", s.arg, err, s.wantErr)
			}
			if got := mustFcntl(t, task, fd, F_GETFL, 0); got != s.flags {
				t.Errorf("F_GETFL = %#x, want %#x", got, s.flags)
			}
			if calls := d.events()[before:]; !reflect.DeepEqual(calls, s.calls) && len(calls)+len(s.calls) > 0 {
				t.Errorf("driver calls %v, want %v", calls, s.calls)
			}
		})
	}
	d.fasyncErr = nil
	t.Run("A11/no-fasync-method", func(t *testing.T) {
		bfd := mustOpen(t, task, "bare", O_RDONLY)
		if _, err := task.Fcntl(bfd, F_SETFL, FASYNC|O_NONBLOCK); err != nil {
			t.Fatalf("F_SETFL = %v, want success", err)
		}
		if got := mustFcntl(t, task, bfd, F_GETFL, 0); got != O_RDONLY|O_NONBLOCK {
			t.Errorf("F_GETFL = %#x, want O_NONBLOCK without FASYNC", got)
		}
		f, _ := task.File(bfd)
		if err := f.SetFlags(FASYNC); err != nil || f.Flags()&FASYNC != 0 {
			t.Errorf("SetFlags(FASYNC) = %v, flags %#x", err, f.Flags())
		}
	})
	t.Run("A11/SetFlags-without-task", func(t *testing.T) {
		f, _ := task.File(fd)
		before := len(d.events())
		if err := f.SetFlags(FASYNC); err != nil || f.Flags()&FASYNC == 0 {
			t.Fatalf("SetFlags(FASYNC) = %v, flags %#x", err, f.Flags())
		}
		if err := f.SetFlags(FASYNC | O_NONBLOCK); err != nil {
			t.Fatal(err)
		}
		if calls := d.events()[before:]; !reflect.DeepEqual(calls, []string{"fasync on"}) {
			t.Errorf("driver calls %v, want one fasync on", calls)
		}
		if fd := d.async.entries()[0].fd; fd != -1 {
			t.Errorf("SetFlags registered fd %d, want -1", fd)
		}
	})
}

// TestFcntlSetsig checks A12: F_SETSIG accepts 0..64; F_GETSIG returns it,
// default 0.
func TestFcntlSetsig(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDONLY)
	if got := mustFcntl(t, task, fd, F_GETSIG, 0); got != 0 {
		t.Fatalf("A12: default F_GETSIG = %d, want 0", got)
	}
	cases := []struct {
		arg, want int
		err       error
	}{
		{SIGRTMIN, SIGRTMIN, nil},
		{64, 64, nil},
		{65, 64, EINVAL},
		{-1, 64, EINVAL},
		{math.MaxInt, 64, EINVAL},
		{SIGUSR1, SIGUSR1, nil},
		{0, 0, nil},
	}
	for _, c := range cases {
		if _, err := task.Fcntl(fd, F_SETSIG, c.arg); err != c.err {
			t.Errorf("A12: F_SETSIG %d = %v, want %v", c.arg, err, c.err)
		}
		if got := mustFcntl(t, task, fd, F_GETSIG, 0); got != c.want {
			t.Errorf("A12: F_GETSIG after F_SETSIG %d = %d, want %d", c.arg, got, c.want)
		}
	}
	mustFcntl(t, task, fd, F_SETSIG, SIGRTMIN)
	mustFcntl(t, task, fd, F_SETOWN, task.Pid())
	if got := mustFcntl(t, task, fd, F_GETSIG, 0); got != SIGRTMIN {
		t.Errorf("A12: F_SETOWN changed the signal to %d", got)
	}
}

// TestFcntlFd checks F_DUPFD, F_GETFD and F_SETFD.
func TestFcntlFd(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDONLY)
	if got := mustFcntl(t, task, fd, F_DUPFD, 5); got != 5 {
		t.Errorf("F_DUPFD 5 = %d", got)
	}
	if got := mustFcntl(t, task, fd, F_DUPFD, 5); got != 6 {
		t.Errorf("F_DUPFD 5 again = %d, want 6", got)
	}
	if got := mustFcntl(t, task, fd, F_DUPFD, 0); got != 1 {
		t.Errorf("F_DUPFD 0 = %d, want 1", got)
	}
	for _, bad := range []int{-1, maxFiles, math.MaxInt} {
		if _, err := task.Fcntl(fd, F_DUPFD, bad); err != EINVAL {
			t.Errorf("A14: F_DUPFD %d = %v, want EINVAL", bad, err)
		}
	}
	if got := mustFcntl(t, task, fd, F_GETFD, 0); got != 0 {
		t.Errorf("F_GETFD = %d", got)
	}
	mustFcntl(t, task, fd, F_SETFD, FD_CLOEXEC)
	if got := mustFcntl(t, task, fd, F_GETFD, 0); got != FD_CLOEXEC {
		t.Errorf("F_GETFD = %d, want FD_CLOEXEC", got)
	}
	if got := mustFcntl(t, task, 5, F_GETFD, 0); got != 0 {
		t.Errorf("FD_CLOEXEC is per descriptor: dup has %d", got)
	}
}

// TestCloseLastDescriptor checks A13: closing the last descriptor of a
// file with FASYNC calls Fasync(off) before Release; closing one of two
// descriptors does neither; no notification reaches the owner afterwards.
func TestCloseLastDescriptor(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	task.Sigaction(SIGIO, Sigaction{Handler: func(*Task, *SigInfo) {}})
	fd := mustOpen(t, task, "pipe", O_RDONLY)
	dup, _ := task.Dup(fd)
	mustFcntl(t, task, fd, F_SETOWN, task.Pid())
	mustFcntl(t, task, fd, F_SETFL, FASYNC)
	task.Close(fd)
	if got := d.events(); !reflect.DeepEqual(got, []string{"open", "fasync on"}) {
		t.Fatalf("A13: closing one of two descriptors: driver calls %v", got)
	}
	task.Close(dup)
	if got := d.events(); !reflect.DeepEqual(got, []string{"open", "fasync on", "fasync off", "release"}) {
		t.Fatalf("A13: driver calls %v, want fasync off before release", got)
	}
	if d.async.Len() != 0 {
		t.Fatal("A13: the closed file is still listed")
	}
	d.async.Kill(SIGIO, POLL_IN)
	if len(task.Pending()) != 0 {
		t.Fatal("A13: a notification reached the owner of a closed file")
	}
	// Without FASYNC there is no fasync call at close.
	fd = mustOpen(t, task, "pipe", O_RDONLY)
	task.Close(fd)
	if got := d.events()[4:]; !reflect.DeepEqual(got, []string{"open", "release"}) {
		t.Fatalf("A13: without FASYNC: driver calls %v", got)
	}
}

// TestFcntlBadArguments checks A14: EBADF for bad descriptors, EINVAL for
// unknown commands, and no panic for any argument.
func TestFcntlBadArguments(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDWR)
	closed := mustOpen(t, task, "pipe", O_RDWR)
	task.Close(closed)
	cmds := []int{F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_SETOWN, F_GETOWN, F_SETSIG, F_GETSIG}
	for _, bad := range []int{-1, closed, 99, maxFiles, math.MaxInt, math.MinInt} {
		for _, cmd := range cmds {
			if _, err := task.Fcntl(bad, cmd, 0); err != EBADF {
				t.Errorf("A14: Fcntl(%d, %d) = %v, want EBADF", bad, cmd, err)
			}
		}
		if err := task.FcntlOwnerEx(bad, F_GETOWN_EX, &FOwnerEx{}); err != EBADF {
			t.Errorf("A14: FcntlOwnerEx(%d) = %v, want EBADF", bad, err)
		}
	}
	for _, cmd := range []int{-1, 5, 6, 7, 12, 1024, 1029, 1033, F_SETOWN_EX, F_GETOWN_EX, math.MaxInt, 1<<32 - 1} {
		if v, err := task.Fcntl(fd, cmd, 0); err != EINVAL || v != -1 {
			t.Errorf("A14: Fcntl(cmd %d) = %d, %v; want -1, EINVAL", cmd, v, err)
		}
	}
	if err := task.FcntlOwnerEx(fd, F_SETOWN, &FOwnerEx{}); err != EINVAL {
		t.Errorf("A14: FcntlOwnerEx(F_SETOWN) = %v, want EINVAL", err)
	}
	if err := task.FcntlOwnerEx(fd, F_SETOWN_EX, nil); err != EFAULT {
		t.Errorf("A14: FcntlOwnerEx(nil) = %v, want EFAULT", err)
	}
	// A sweep of random arguments: whatever they are, no panic, and the
	// errors are the man page's.
	rng := rand.New(rand.NewSource(14))
	interesting := []int{0, 1, -1, 2, 3, 31, 32, 64, 65, maxFiles - 1, maxFiles, math.MaxInt, math.MinInt, math.MaxInt32, -math.MaxInt32}
	pick := func() int {
		if rng.Intn(2) == 0 {
			return interesting[rng.Intn(len(interesting))]
		}
		return int(rng.Int63()) - math.MaxInt64/2
	}
	allowed := map[error]bool{nil: true, EBADF: true, EINVAL: true, ESRCH: true, EMFILE: true}
	for i := 0; i < 20000; i++ {
		fdArg := pick()
		if rng.Intn(2) == 0 {
			fdArg = fd
		}
		cmd := cmds[rng.Intn(len(cmds))]
		if rng.Intn(4) == 0 {
			cmd = pick()
		}
		_, err := task.Fcntl(fdArg, cmd, pick())
		if !allowed[err] {
			t.Fatalf("A14: Fcntl(%d, %d, ...) = %v", fdArg, cmd, err)
		}
		o := FOwnerEx{Type: pick(), Pid: pick()}
		if err := task.FcntlOwnerEx(fdArg, F_SETOWN_EX+rng.Intn(2), &o); !allowed[err] {
			t.Fatalf("A14: FcntlOwnerEx = %v", err)
		}
		if rng.Intn(64) == 0 { // keep the table from filling with dups
			for n := 3; n < maxFiles; n++ {
				task.Close(n)
			}
		}
	}
}
