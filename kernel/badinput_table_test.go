package kernel

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// A badCall is one exported Task method called with bad input, and the
// errno it must give on a live task (the others give their own, listed
// per state in TestTaskBadInput).
type badCall struct {
	name string
	call func(t *Task) error
}

// badCalls calls every exported Task method that takes arguments with
// arguments Linux refuses: descriptors not open or out of range, signals
// outside 0..64, nil pointers and slices, flags and commands it does not
// know (A14).
func badCalls(ctx context.Context) []badCall {
	const huge = 1 << 40
	full := ^Sigset(0)
	short := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, time.Millisecond) }
	return []badCall{
		{"InstallFiles(nil driver)", func(t *Task) error { _, err := t.InstallFiles("x", nil); return err }},
		{"InstallFiles(bad flags)", func(t *Task) error { _, err := t.InstallFiles("x", struct{}{}, -1); return err }},
		{"Pause(ending ctx)", func(t *Task) error { c, cancel := short(); defer cancel(); return t.Pause(c) }},
		{"EpollCreate1(-1)", func(t *Task) error { _, err := t.EpollCreate1(-1); return err }},
		{"EpollCreate(-1)", func(t *Task) error { _, err := t.EpollCreate(-1); return err }},
		{"EpollCtl(nil event)", func(t *Task) error { return t.EpollCtl(-1, EPOLL_CTL_ADD, -1, nil) }},
		{"EpollWait(bad fd, nil)", func(t *Task) error { _, err := t.EpollWait(ctx, huge, nil, 0); return err }},
		{"EpollPwait(bad fd, nil)", func(t *Task) error { _, err := t.EpollPwait(ctx, -1, nil, -5, nil); return err }},
		{"Fcntl(bad fd)", func(t *Task) error { _, err := t.Fcntl(huge, huge, huge); return err }},
		{"FcntlOwnerEx(bad fd, nil)", func(t *Task) error { return t.FcntlOwnerEx(-1, huge, nil) }},
		{"File(bad fd)", func(t *Task) error { _, err := t.File(huge); return err }},
		{"Dup(bad fd)", func(t *Task) error { _, err := t.Dup(-huge); return err }},
		{"Close(bad fd)", func(t *Task) error { return t.Close(huge) }},
		{"Mkfifo(\"\")", func(t *Task) error { return t.Mkfifo("", 0o600) }},
		{"Unlink(\"\")", func(t *Task) error { return t.Unlink("") }},
		{"Open(bad flags)", func(t *Task) error { _, err := t.Open(ctx, "", -1); return err }},
		{"Read(bad fd, nil)", func(t *Task) error { _, err := t.Read(ctx, huge, nil); return err }},
		{"Write(bad fd, nil)", func(t *Task) error { _, err := t.Write(ctx, -1, nil); return err }},
		{"ReadFlags(bad fd, bad flags)", func(t *Task) error { _, err := t.ReadFlags(ctx, 99, nil, -1); return err }},
		{"WriteFlags(bad fd, bad flags)", func(t *Task) error { _, err := t.WriteFlags(ctx, 99, nil, -1); return err }},
		{"Ioctl(bad fd)", func(t *Task) error { _, err := t.Ioctl(ctx, -1, ^uint(0), IoctlArg{}); return err }},
		{"Kill(bad sig)", func(t *Task) error { return t.Kill(-huge, huge) }},
		{"Kill(-1, -1)", func(t *Task) error { return t.Kill(-1, -1) }},
		{"Sigqueue(bad sig)", func(t *Task) error { return t.Sigqueue(-1, huge, nil) }},
		{"Tgkill(-1, -1, -1)", func(t *Task) error { return t.Tgkill(-1, -1, -1) }},
		{"Tkill(bad sig)", func(t *Task) error { return t.Tkill(huge, huge) }},
		{"SendSigInfo(bad sig)", func(t *Task) error { return t.SendSigInfo(SigInfo{Signo: -3}) }},
		{"AioRead(bad fd, nil)", func(t *Task) error { return t.AioRead(-1, nil) }},
		{"AioWrite(nil)", func(t *Task) error { return t.AioWrite(0, nil) }},
		{"Select(nfds -1)", func(t *Task) error { _, err := t.Select(ctx, -1, nil, nil, nil, nil); return err }},
		{"Sigprocmask(bad how)", func(t *Task) error { _, err := t.Sigprocmask(huge, &full); return err }},
		{"Sigsuspend(ending ctx)", func(t *Task) error { c, cancel := short(); defer cancel(); return t.Sigsuspend(c, full) }},
		{"Sigaction(bad sig)", func(t *Task) error { _, err := t.Sigaction(huge, Sigaction{}); return err }},
		{"Sigaction(SIGKILL)", func(t *Task) error { _, err := t.Sigaction(SIGKILL, Sigaction{Ignore: true}); return err }},
		{"Signalfd(bad flags)", func(t *Task) error { _, err := t.Signalfd(huge, full, -1); return err }},
		{"Signalfd(bad fd)", func(t *Task) error { _, err := t.Signalfd(huge, full, 0); return err }},
		{"Sigtimedwait(empty set)", func(t *Task) error { _, err := t.Sigtimedwait(ctx, 0, time.Millisecond); return err }},
		{"Sigwaitinfo(ending ctx)", func(t *Task) error { c, cancel := short(); defer cancel(); _, err := t.Sigwaitinfo(c, 0); return err }},
		{"Setpgid(-huge)", func(t *Task) error { return t.Setpgid(-huge) }},
		{"Wait4(bad options)", func(t *Task) error { _, _, err := t.Wait4(ctx, -huge, huge); return err }},
	}
}

// TestTaskBadInput calls every exported Task method with bad input on a
// live task, a thread that has exited, a process that has exited and a
// closed kernel: each returns its errno within a bound, and none panics
// or hangs (A14). On a task that cannot run (the last
// three) the calls that need a live caller give ESRCH or EBADF; the rest
// check their arguments first, as Linux does.
func TestTaskBadInput(t *testing.T) {
	ctx := context.Background()
	// dead is what a call needing a live thread gives once it has gone.
	dead := map[string]error{
		"Pause(ending ctx)":       EBADF,
		"Sigsuspend(ending ctx)":  EBADF,
		"Sigtimedwait(empty set)": EBADF,
		"Sigwaitinfo(ending ctx)": EBADF,
		"Signalfd(bad fd)":        EBADF,
	}
	live := map[string]error{
		"Pause(ending ctx)": context.DeadlineExceeded, "Sigsuspend(ending ctx)": context.DeadlineExceeded,
		"Sigwaitinfo(ending ctx)": context.DeadlineExceeded, "Sigtimedwait(empty set)": EAGAIN,
		"EpollCtl(nil event)": EFAULT, "Mkfifo(\"\")": ENOENT, "Unlink(\"\")": ENOENT,
		"Kill(-1, -1)": EINVAL, "Tgkill(-1, -1, -1)": EINVAL, "Signalfd(bad fd)": EBADF,
		"Fcntl(bad fd)": EBADF, "FcntlOwnerEx(bad fd, nil)": EBADF, "File(bad fd)": EBADF,
		"Dup(bad fd)": EBADF, "Close(bad fd)": EBADF, "Read(bad fd, nil)": EBADF,
		"Write(bad fd, nil)": EBADF, "ReadFlags(bad fd, bad flags)": EBADF,
		"WriteFlags(bad fd, bad flags)": EBADF, "Ioctl(bad fd)": EBADF,
		"EpollWait(bad fd, nil)": EBADF, "EpollPwait(bad fd, nil)": EBADF,
	}
	states := []struct {
		name string
		make func(k *Kernel) *Task
	}{
		{"live", func(k *Kernel) *Task { return k.NewTask("t", Cred{}) }},
		{"exited-thread", func(k *Kernel) *Task {
			th := mustThread(t, k.NewTask("t", Cred{}), "th")
			th.ExitThread()
			return th
		}},
		{"exited-process", func(k *Kernel) *Task { task := k.NewTask("t", Cred{}); task.Exit(); return task }},
		{"closed-kernel", func(k *Kernel) *Task { task := k.NewTask("t", Cred{}); k.Close(); return task }},
	}
	for _, st := range states {
		k := newKernel(t, Config{})
		task := st.make(k)
		for _, c := range badCalls(ctx) {
			want, ok := live[c.name]
			if !ok {
				want = EINVAL
			}
			if d, ok := dead[c.name]; ok && st.name != "live" {
				want = d
			}
			if got := callBounded(c.call, task); got != fmt.Sprint(want) {
				t.Errorf("A14: %s: %s = %s, want %v", st.name, c.name, got, want)
			}
		}
	}
}

// callBounded runs call on task and returns its error as text, or says
// that it panicked or did not return within a second.
func callBounded(call func(*Task) error, task *Task) string {
	done := make(chan string, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Sprintf("panic: %v", r)
			}
		}()
		done <- fmt.Sprint(call(task))
	}()
	select {
	case got := <-done:
		return got
	case <-time.After(time.Second):
		return "no return within 1s"
	}
}

// TestDriverHelpersNilContext checks K1 and A14 for the helpers a driver
// calls on its ctx: a nil one is no system call (NoWait false,
// TaskFromContext nil), never a panic.
func TestDriverHelpersNilContext(t *testing.T) {
	var nilCtx context.Context
	if got := callBounded(func(*Task) error {
		if NoWait(nilCtx) || TaskFromContext(nilCtx) != nil {
			return EINVAL
		}
		return nil
	}, nil); got != "<nil>" {
		t.Errorf("K1: NoWait and TaskFromContext of a nil ctx: %s", got)
	}
}
