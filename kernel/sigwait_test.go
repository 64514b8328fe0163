package kernel

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// asyncOpen opens the test pipe on task with O_ASYNC owned by owner and
// F_SETSIG sig (0: plain SIGIO), and returns the descriptor.
func asyncOpen(tb testing.TB, task *Task, name string, owner, sig int) int {
	tb.Helper()
	fd := mustOpen(tb, task, name, O_RDWR|O_NONBLOCK)
	mustFcntl(tb, task, fd, F_SETOWN, owner)
	mustFcntl(tb, task, fd, F_SETSIG, sig)
	mustFcntl(tb, task, fd, F_SETFL, O_RDWR|O_NONBLOCK|FASYNC)
	return fd
}

// TestSigsuspendPending checks S7: with SIGIO blocked, a notification that
// lands between "nothing to read" and the sleep stays pending, and
// Sigsuspend with SIGIO unblocked runs its handler at once and returns
// EINTR with the mask restored: LDD3's asynctest without its race.
func TestSigsuspendPending(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("asynctest", Cred{})
	writer := k.NewTask("writer", Cred{})
	var l sigLog
	var inside Sigset
	task.Sigaction(SIGIO, Sigaction{Handler: func(tk *Task, info *SigInfo) {
		inside = currentMask(t, tk)
		l.handler(tk, info)
	}})
	mustMask(t, task, SIG_BLOCK, SigsetOf(SIGIO))
	fd := asyncOpen(t, task, "pipe", task.Pid(), 0)
	if _, err := task.Read(context.Background(), fd, make([]byte, 8)); err != EAGAIN {
		t.Fatalf("read = %v, want EAGAIN", err)
	}
	wfd := mustOpen(t, writer, "pipe", O_WRONLY)
	if _, err := writer.Write(context.Background(), wfd, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if len(l.got()) != 0 || task.Sigpending() != SigsetOf(SIGIO) {
		t.Fatalf("S7: SIGIO not held pending while blocked (ran %d, pending %#x)", len(l.got()), uint64(task.Sigpending()))
	}
	if err := task.Sigsuspend(context.Background(), SigsetOf(SIGUSR2)); err != EINTR {
		t.Fatalf("S7: Sigsuspend = %v, want EINTR", err)
	}
	if got := l.signos(); !reflect.DeepEqual(got, []int{SIGIO}) {
		t.Fatalf("S7: handlers %v, want [SIGIO]", got)
	}
	if want := SigsetOf(SIGUSR2, SIGIO); inside != want {
		t.Errorf("S7: mask in the handler %#x, want the suspend mask plus SIGIO %#x", uint64(inside), uint64(want))
	}
	if m := currentMask(t, task); m != SigsetOf(SIGIO) {
		t.Errorf("S7: mask after Sigsuspend %#x, want SIGIO", uint64(m))
	}
	if n, err := task.Read(context.Background(), fd, make([]byte, 8)); n != 1 || err != nil {
		t.Fatalf("read after the signal = %d, %v", n, err)
	}
}

// TestSigsuspendSleeps checks S7: Sigsuspend sleeps until a handled
// signal comes; an ignored one does not end it; ctx ending returns its
// error with the mask restored.
func TestSigsuspendSleeps(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("t", Cred{})
	var l sigLog
	l.handle(t, task, SIGUSR1, SA_RESTART) // SA_RESTART: sigsuspend still returns EINTR
	task.Sigaction(SIGHUP, Sigaction{Ignore: true})
	mustMask(t, task, SIG_BLOCK, SigsetOf(SIGUSR1))
	done := make(chan error, 1)
	go func() { done <- task.Sigsuspend(context.Background(), 0) }()
	waitBlocked(t, task, 1)
	k.Kill(task.Pid(), SIGHUP)
	k.Kill(task.Pid(), SIGWINCH)
	select {
	case err := <-done:
		t.Fatalf("S7: Sigsuspend returned %v on an ignored signal", err)
	default:
	}
	k.Kill(task.Pid(), SIGUSR1)
	select {
	case err := <-done:
		if err != EINTR {
			t.Fatalf("S7: Sigsuspend = %v, want EINTR", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("S7: Sigsuspend did not return after SIGUSR1")
	}
	if len(l.got()) != 1 {
		t.Fatalf("handler ran %d times", len(l.got()))
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- task.Sigsuspend(ctx, 0) }()
	waitBlocked(t, task, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Sigsuspend after cancel = %v", err)
	}
	if m := currentMask(t, task); m != SigsetOf(SIGUSR1) {
		t.Errorf("S7: mask after a cancelled Sigsuspend %#x", uint64(m))
	}
}

// TestSigtimedwaitOrder checks S8: signals come out of Sigtimedwait
// lowest number first, real-time instances of one number in sending
// order, with their siginfo; no handler runs.
func TestSigtimedwaitOrder(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("t", Cred{})
	sender := k.NewTask("s", Cred{})
	var l sigLog
	for _, sig := range []int{SIGUSR1, SIGRTMIN + 1, SIGRTMIN + 2} {
		l.handle(t, task, sig, 0)
	}
	set := SigsetOf(SIGUSR1, SIGRTMIN+1, SIGRTMIN+2)
	mustMask(t, task, SIG_BLOCK, set)
	sends := []struct{ sig, v int }{{SIGRTMIN + 2, 0}, {SIGRTMIN + 1, 1}, {SIGRTMIN + 2, 2}, {SIGUSR1, 3}, {SIGUSR1, 4}}
	for _, s := range sends {
		if err := sender.Sigqueue(task.Pid(), s.sig, s.v); err != nil {
			t.Fatal(err)
		}
	}
	want := []struct{ sig, v int }{{SIGUSR1, 3}, {SIGRTMIN + 1, 1}, {SIGRTMIN + 2, 0}, {SIGRTMIN + 2, 2}}
	for i, w := range want {
		info, err := task.Sigtimedwait(context.Background(), set, 0)
		if err != nil {
			t.Fatalf("S8: wait %d: %v", i, err)
		}
		if info.Signo != w.sig || info.Value != w.v || info.Code != SI_QUEUE || info.Pid != sender.Pid() {
			t.Errorf("S8: wait %d got %+v, want signo %d value %d from %d", i, info, w.sig, w.v, sender.Pid())
		}
	}
	if _, err := task.Sigtimedwait(context.Background(), set, 0); err != EAGAIN {
		t.Fatalf("S8: empty poll = %v, want EAGAIN", err)
	}
	if _, err := task.Sigtimedwait(context.Background(), set, time.Millisecond); err != EAGAIN {
		t.Fatalf("S8: timeout = %v, want EAGAIN", err)
	}
	if n := len(l.got()); n != 0 {
		t.Fatalf("S8: %d handlers ran", n)
	}
}

// goSigwait runs Sigtimedwait on a goroutine.
func goSigwait(ctx context.Context, task *Task, set Sigset, timeout time.Duration) <-chan sigwaitResult {
	ch := make(chan sigwaitResult, 1)
	go func() {
		info, err := task.Sigtimedwait(ctx, set, timeout)
		ch <- sigwaitResult{info, err}
	}()
	return ch
}

type sigwaitResult struct {
	info SigInfo
	err  error
}

func awaitSigwait(tb testing.TB, ch <-chan sigwaitResult) sigwaitResult {
	tb.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(waitTimeout):
		tb.Fatal("Sigtimedwait did not return")
		return sigwaitResult{}
	}
}

// TestSigwaitinfoWakes checks S8: a sleeping Sigwaitinfo takes a signal
// of its set sent later — a fasync notification with F_SETSIG, whose
// siginfo carries si_fd and si_band (A8) — with no handler run; a
// blocked default-fatal signal of the set does not kill; a handled signal
// outside the set ends the wait with EINTR.
func TestSigwaitinfoWakes(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("consumer", Cred{})
	writer := k.NewTask("writer", Cred{})
	var l sigLog
	l.handle(t, task, SIGUSR2, 0)
	set := SigsetOf(SIGRTMIN, SIGTERM)
	mustMask(t, task, SIG_BLOCK, set)
	fd := asyncOpen(t, task, "pipe", task.Pid(), SIGRTMIN)
	wfd := mustOpen(t, writer, "pipe", O_WRONLY)

	ch := goSigwait(context.Background(), task, set, -1)
	waitBlocked(t, task, 1)
	writer.Write(context.Background(), wfd, []byte("x"))
	r := awaitSigwait(t, ch)
	if r.err != nil || r.info.Signo != SIGRTMIN || r.info.Code != POLL_IN || r.info.Fd != fd || r.info.Band != POLLIN|POLLRDNORM {
		t.Fatalf("S8: got %+v, %v; want SIGRTMIN POLL_IN fd %d band %#x", r.info, r.err, fd, POLLIN|POLLRDNORM)
	}

	ch = goSigwait(context.Background(), task, set, -1)
	waitBlocked(t, task, 1)
	k.Kill(task.Pid(), SIGTERM)
	if r := awaitSigwait(t, ch); r.err != nil || r.info.Signo != SIGTERM || r.info.Code != SI_KERNEL {
		t.Fatalf("S8: got %+v, %v; want SIGTERM", r.info, r.err)
	}
	if !task.Alive() {
		t.Fatal("S8: SIGTERM in the waited set (and blocked) killed the task")
	}

	ch = goSigwait(context.Background(), task, set, -1)
	waitBlocked(t, task, 1)
	writer.Kill(task.Pid(), SIGUSR2)
	if r := awaitSigwait(t, ch); r.err != EINTR {
		t.Fatalf("S8: a handled signal outside the set gave %+v, %v; want EINTR", r.info, r.err)
	}
	if got := l.signos(); !reflect.DeepEqual(got, []int{SIGUSR2}) {
		t.Fatalf("handlers %v, want [SIGUSR2]", got)
	}
	if m := currentMask(t, task); m != set {
		t.Errorf("S8: mask after the wait %#x, want %#x", uint64(m), uint64(set))
	}
}

// TestSigtimedwaitNeverTakesKill checks S8: SIGKILL and SIGSTOP are not
// taken by a wait (they keep their actions), and a ctx ending returns
// its error.
func TestSigtimedwaitNeverTakesKill(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("t", Cred{})
	ctx, cancel := context.WithCancel(context.Background())
	ch := goSigwait(ctx, task, SigsetOf(SIGKILL, SIGSTOP, SIGUSR1), -1)
	waitBlocked(t, task, 1)
	cancel()
	if r := awaitSigwait(t, ch); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("cancelled wait = %v", r.err)
	}
	ch = goSigwait(context.Background(), task, SigsetOf(SIGKILL), -1)
	waitBlocked(t, task, 1)
	k.Kill(task.Pid(), SIGKILL)
	if r := awaitSigwait(t, ch); r.err != EBADF || task.Alive() {
		t.Fatalf("S8: SIGKILL during a wait for it: %+v, %v, alive %v; want EBADF, dead", r.info, r.err, task.Alive())
	}
}
