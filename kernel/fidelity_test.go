package kernel

import (
	"context"
	"math"
	"testing"
)

// TestGetownExitedOwner checks A9 as Linux 6.x answers it: F_GETOWN and
// F_GETOWN_EX report 0 for an owner that has exited (the model has no
// zombies: Exit is exit and reap), keeping the owner type; a group owner
// reads 0 once the group has no member.
func TestGetownExitedOwner(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDONLY)
	for _, c := range []struct {
		name string
		set  func(owner *Task) error
		typ  int
	}{
		{"A9/pid", func(o *Task) error { _, err := task.Fcntl(fd, F_SETOWN, o.Pid()); return err }, F_OWNER_PID},
		{"A9/tid", func(o *Task) error { return task.FcntlOwnerEx(fd, F_SETOWN_EX, &FOwnerEx{F_OWNER_TID, o.Pid()}) }, F_OWNER_TID},
		{"A9/pgrp", func(o *Task) error { _, err := task.Fcntl(fd, F_SETOWN, -o.Pgid()); return err }, F_OWNER_PGRP},
	} {
		t.Run(c.name, func(t *testing.T) {
			owner := k.NewTask("owner", Cred{})
			if err := c.set(owner); err != nil {
				t.Fatal(err)
			}
			want := owner.Pid()
			if c.typ == F_OWNER_PGRP {
				want = -owner.Pid()
			}
			if got := mustFcntl(t, task, fd, F_GETOWN, 0); got != want {
				t.Fatalf("F_GETOWN of a live owner = %d, want %d", got, want)
			}
			owner.Exit()
			if got := mustFcntl(t, task, fd, F_GETOWN, 0); got != 0 {
				t.Errorf("F_GETOWN after the owner exited = %d, want 0", got)
			}
			var ex FOwnerEx
			if err := task.FcntlOwnerEx(fd, F_GETOWN_EX, &ex); err != nil || ex != (FOwnerEx{c.typ, 0}) {
				t.Errorf("F_GETOWN_EX after exit = %+v, %v; want {%d 0}", ex, err, c.typ)
			}
		})
	}
	// A group outlives its leader while it has members.
	t.Run("A9/group-without-leader", func(t *testing.T) {
		leader := k.NewTask("leader", Cred{})
		member := k.NewTask("member", Cred{})
		if err := member.Setpgid(leader.Pid()); err != nil {
			t.Fatal(err)
		}
		mustFcntl(t, task, fd, F_SETOWN, -leader.Pid())
		leader.Exit()
		if got := mustFcntl(t, task, fd, F_GETOWN, 0); got != -leader.Pid() {
			t.Errorf("F_GETOWN with the group still populated = %d, want %d", got, -leader.Pid())
		}
		// F_SETOWN of the group's id as a process: the id is in use (the
		// group's), so it is accepted, but no process has it.
		if _, err := task.Fcntl(fd, F_SETOWN, leader.Pid()); err != nil {
			t.Errorf("F_SETOWN of a live group's id = %v, want success", err)
		}
		if got := mustFcntl(t, task, fd, F_GETOWN, 0); got != 0 {
			t.Errorf("F_GETOWN of a pid only a group has = %d, want 0", got)
		}
		member.Exit()
		if _, err := task.Fcntl(fd, F_SETOWN, -leader.Pid()); err != ESRCH {
			t.Errorf("F_SETOWN of a group with no member left = %v, want ESRCH", err)
		}
	})
	// A live process that leads no group may still be named as a group.
	t.Run("A9/pid-as-group", func(t *testing.T) {
		a := k.NewTask("a", Cred{})
		b := k.NewTask("b", Cred{})
		if err := b.Setpgid(a.Pid()); err != nil {
			t.Fatal(err)
		}
		if _, err := task.Fcntl(fd, F_SETOWN, -b.Pid()); err != nil {
			t.Fatalf("F_SETOWN of -pid of a live process = %v, want success", err)
		}
		if got := mustFcntl(t, task, fd, F_GETOWN, 0); got != 0 {
			t.Errorf("F_GETOWN of an empty group = %d, want 0", got)
		}
	})
}

// TestSetownIntMin checks A9: F_SETOWN's argument is C's int, whose most
// negative value has no process group: EINVAL, the owner unchanged.
func TestSetownIntMin(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDONLY)
	mustFcntl(t, task, fd, F_SETOWN, task.Pid())
	for _, arg := range []int{math.MinInt32, math.MinInt32 + 1<<32, math.MinInt32 - 1<<33} {
		if v, err := task.Fcntl(fd, F_SETOWN, arg); v != -1 || err != EINVAL {
			t.Errorf("A9: F_SETOWN %d = %d, %v; want -1, EINVAL", arg, v, err)
		}
	}
	if got := mustFcntl(t, task, fd, F_GETOWN, 0); got != task.Pid() {
		t.Errorf("A9: a refused F_SETOWN changed the owner to %d", got)
	}
	if v, err := task.Fcntl(fd, F_SETOWN, math.MinInt32+1); v != -1 || err != ESRCH {
		t.Errorf("A9: F_SETOWN INT_MIN+1 = %d, %v; want ESRCH (no such group)", v, err)
	}
}

// TestSetsigSignalSpecificCodes checks A7: with F_SETSIG naming a signal
// that has si_codes of its own, the notification's code is SI_SIGIO
// instead of the band (fd and band still filled in), as send_sigio_to_task
// does; other signals keep the band.
func TestSetsigSignalSpecificCodes(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDONLY)
	mustFcntl(t, task, fd, F_SETOWN, task.Pid())
	mustFcntl(t, task, fd, F_SETFL, FASYNC)
	for _, c := range []struct {
		sig, code int
	}{
		{SIGILL, SI_SIGIO}, {SIGTRAP, SI_SIGIO}, {SIGBUS, SI_SIGIO}, {SIGFPE, SI_SIGIO},
		{SIGSEGV, SI_SIGIO}, {SIGCHLD, SI_SIGIO}, {SIGSYS, SI_SIGIO},
		{SIGIO, POLL_IN}, {SIGUSR1, POLL_IN}, {SIGRTMIN, POLL_IN}, {SIGPIPE, POLL_IN},
	} {
		var log sigLog
		log.handle(t, task, c.sig, 0)
		mustFcntl(t, task, fd, F_SETSIG, c.sig)
		d.async.Kill(SIGIO, POLL_IN)
		task.Pause(context.Background())
		want := SigInfo{Signo: c.sig, Code: c.code, Fd: fd, Band: POLLIN | POLLRDNORM}
		if got := log.got(); len(got) != 1 || got[0] != want {
			t.Errorf("A7: F_SETSIG %d: got %+v, want %+v", c.sig, got, want)
		}
	}
}

// TestKillFasyncPlainIsSigio checks A7 as kill_fasync works: with F_SETSIG
// 0 the notification is plain SIGIO whatever signal the driver named,
// and a SIGURG notification skips files without F_SETSIG.
func TestKillFasyncPlainIsSigio(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	var log sigLog
	log.handle(t, task, SIGIO, 0)
	log.handle(t, task, SIGURG, 0)
	log.handle(t, task, SIGUSR1, 0)
	fd := mustOpen(t, task, "pipe", O_RDONLY)
	mustFcntl(t, task, fd, F_SETOWN, task.Pid())
	mustFcntl(t, task, fd, F_SETFL, FASYNC)
	d.async.Kill(SIGUSR1, POLL_IN)
	d.async.Kill(SIGURG, POLL_PRI)
	task.Pause(context.Background())
	if got := log.got(); len(got) != 1 || got[0] != (SigInfo{Signo: SIGIO, Code: SI_KERNEL}) {
		t.Errorf("A7: plain notifications = %+v, want one SIGIO", got)
	}
	mustFcntl(t, task, fd, F_SETSIG, SIGURG)
	d.async.Kill(SIGURG, POLL_PRI)
	task.Pause(context.Background())
	want := SigInfo{Signo: SIGURG, Code: POLL_PRI, Fd: fd, Band: POLLPRI | POLLRDBAND}
	if got := log.got(); len(got) != 2 || got[1] != want {
		t.Errorf("A7: SIGURG with F_SETSIG = %+v, want %+v last", got, want)
	}
}
