package kernel

import (
	"context"
	"testing"
)

// TestNilContext checks that a nil ctx is EINVAL for every Task method
// that takes one, never a panic (A14).
func TestNilContext(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDWR)
	var nilCtx context.Context
	calls := []struct {
		name string
		call func() error
	}{
		{"Open", func() error { _, err := task.Open(nilCtx, "pipe", O_RDONLY); return err }},
		{"Read", func() error { _, err := task.Read(nilCtx, fd, nil); return err }},
		{"Write", func() error { _, err := task.Write(nilCtx, fd, []byte("x")); return err }},
		{"ReadFlags", func() error { _, err := task.ReadFlags(nilCtx, fd, nil, RWF_NOWAIT); return err }},
		{"Poll", func() error { _, err := task.Poll(nilCtx, nil, 0); return err }},
		{"Pause", func() error { return task.Pause(nilCtx) }},
		{"Sigsuspend", func() error { return task.Sigsuspend(nilCtx, 0) }},
		{"Sigtimedwait", func() error { _, err := task.Sigtimedwait(nilCtx, SigsetOf(SIGUSR1), 0); return err }},
		{"Sigwaitinfo", func() error { _, err := task.Sigwaitinfo(nilCtx, SigsetOf(SIGUSR1)); return err }},
		{"Wait4", func() error { _, _, err := task.Wait4(nilCtx, -1, WNOHANG); return err }},
	}
	for _, c := range calls {
		if err := c.call(); err != EINVAL {
			t.Errorf("%s(nil ctx) = %v, want EINVAL", c.name, err)
		}
	}
	// The test device has no Ioctler: ENOTTY comes before the call.
	if _, err := task.Ioctl(nilCtx, fd, 0x1234, IoctlArg{}); err != ENOTTY {
		t.Errorf("Ioctl(nil ctx) = %v, want ENOTTY", err)
	}
	if m := currentMask(t, task); m != 0 {
		t.Errorf("a failed Sigsuspend left the mask %#x", uint64(m))
	}
}

// TestDeadThreadCalls checks the new entry points on an exited thread
// and process: ESRCH or EBADF as the man pages give, never a panic or a
// hang (S5–S9, T1–T5).
func TestDeadThreadCalls(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("t", Cred{})
	set := SigsetOf(SIGUSR1)
	task.Exit()
	ctx := context.Background()
	if _, err := task.NewThread("x"); err != ESRCH {
		t.Errorf("T1: NewThread = %v, want ESRCH", err)
	}
	if _, err := task.Fork("x"); err != ESRCH {
		t.Errorf("T3: Fork = %v, want ESRCH", err)
	}
	if err := task.Exec("x"); err != ESRCH {
		t.Errorf("T4: Exec = %v, want ESRCH", err)
	}
	if _, err := task.Signalfd(-1, set, 0); err != ESRCH {
		t.Errorf("S9: Signalfd = %v, want ESRCH", err)
	}
	if err := task.Sigsuspend(ctx, 0); err != EBADF {
		t.Errorf("S7: Sigsuspend = %v, want EBADF", err)
	}
	if _, err := task.Sigtimedwait(ctx, set, -1); err != EBADF {
		t.Errorf("S8: Sigtimedwait = %v, want EBADF", err)
	}
	if _, err := task.Sigtimedwait(ctx, set, 0); err != EAGAIN {
		t.Errorf("S8: Sigtimedwait(0) = %v, want EAGAIN", err)
	}
	if _, _, err := task.Wait4(ctx, -1, 0); err != EBADF {
		t.Errorf("T5: Wait4 = %v, want EBADF", err)
	}
	if err := task.Tgkill(task.Pid(), task.Tid(), SIGUSR1); err != ESRCH {
		t.Errorf("T2: Tgkill = %v, want ESRCH", err)
	}
	if _, err := task.Sigprocmask(SIG_BLOCK, &set); err != nil {
		t.Errorf("S5: Sigprocmask = %v", err)
	}
	task.ExitThread()
	task.ExitGroup(1)
}

// TestClosedKernel checks the new entry points on a closed kernel.
func TestClosedKernel(t *testing.T) {
	k := New(Config{})
	task := k.NewTask("t", Cred{})
	k.Close()
	late := k.NewTask("late", Cred{})
	for _, tk := range []*Task{task, late} {
		if _, err := tk.NewThread("x"); err != ESRCH {
			t.Errorf("T1: NewThread on a closed kernel = %v", err)
		}
		if _, err := tk.Fork("x"); err != ESRCH {
			t.Errorf("T3: Fork on a closed kernel = %v", err)
		}
	}
}
