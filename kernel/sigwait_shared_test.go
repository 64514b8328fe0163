package kernel

import (
	"context"
	"testing"
)

// goCall runs call on a goroutine of its own; its error arrives on the
// returned channel.
func goCall(call func() error) <-chan result {
	ch := make(chan result, 1)
	go func() { ch <- result{err: call()} }()
	return ch
}

// TestSharedTaskSigsuspendMask checks S7 for goroutines sharing one
// *Task (doc.go: they act as one thread): two Sigsuspends that end in
// the order they began leave the mask as it was before the first, and
// the one still suspended keeps its own mask until it ends.
func TestSharedTaskSigsuspendMask(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("t", Cred{})
	m0 := SigsetOf(SIGUSR1, SIGUSR2)
	mustMask(t, task, SIG_SETMASK, m0)
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	first := goCall(func() error { return task.Sigsuspend(ctx1, SigsetOf(SIGUSR2)) })
	waitBlocked(t, task, 1)
	second := goCall(func() error { return task.Sigsuspend(ctx2, SigsetOf(SIGUSR1)) })
	waitBlocked(t, task, 2)
	cancel1()
	await(t, first)
	if m := currentMask(t, task); m != SigsetOf(SIGUSR1) {
		t.Errorf("S7: mask with the second Sigsuspend still asleep = %#x, want its own %#x", uint64(m), uint64(SigsetOf(SIGUSR1)))
	}
	cancel2()
	await(t, second)
	if m := currentMask(t, task); m != m0 {
		t.Errorf("S7: mask after both Sigsuspends = %#x, want %#x", uint64(m), uint64(m0))
	}
}

// TestSharedTaskSigwaitMask checks S8 for goroutines sharing one *Task:
// while one Sigwaitinfo still waits for its set, another one ending does
// not block that set again (a process-directed signal of it still comes
// to the thread and ends the wait), and once both have ended the mask is
// the one they found.
func TestSharedTaskSigwaitMask(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("t", Cred{})
	m0 := SigsetOf(SIGUSR1, SIGUSR2)
	mustMask(t, task, SIG_SETMASK, m0)
	ctx1, cancel1 := context.WithCancel(context.Background())
	defer cancel1()
	first := goCall(func() error { _, err := task.Sigwaitinfo(ctx1, SigsetOf(SIGUSR1)); return err })
	waitBlocked(t, task, 1)
	got := make(chan SigInfo, 1)
	second := goCall(func() error {
		info, err := task.Sigwaitinfo(context.Background(), SigsetOf(SIGUSR2))
		got <- info
		return err
	})
	waitBlocked(t, task, 2)
	cancel1()
	await(t, first)
	if err := k.Kill(task.Pid(), SIGUSR2); err != nil {
		t.Fatal(err)
	}
	if r := await(t, second); r.err != nil || (<-got).Signo != SIGUSR2 {
		t.Fatalf("S8: the Sigwaitinfo still waiting = %v, want SIGUSR2", r.err)
	}
	if m := currentMask(t, task); m != m0 {
		t.Errorf("S8: mask after both waits = %#x, want %#x", uint64(m), uint64(m0))
	}
}

// TestSigtimedwaitStopContinue checks S8 and S10 as signal(7) lists
// sigtimedwait among the calls that fail with EINTR after the process is
// stopped and continued, even without a handler (checked with a C
// program on Linux 6.18).
func TestSigtimedwaitStopContinue(t *testing.T) {
	ctx := context.Background()
	k := newKernel(t, Config{})
	sh := k.NewTask("sh", Cred{})
	job := mustFork(t, sh, "job")
	set := SigsetOf(SIGUSR1)
	mustMask(t, job, SIG_BLOCK, set)
	waiting := goCall(func() error { _, err := job.Sigwaitinfo(ctx, set); return err })
	waitBlocked(t, job, 1)
	sh.Kill(job.Pid(), SIGSTOP)
	if _, st, err := sh.Wait4(ctx, job.Pid(), WUNTRACED); err != nil || !st.Stopped() {
		t.Fatalf("Wait4(WUNTRACED) = %#x, %v", st, err)
	}
	sh.Kill(job.Pid(), SIGCONT)
	if r := await(t, waiting); r.err != EINTR {
		t.Errorf("S8: Sigwaitinfo across a stop and SIGCONT = %v, want EINTR", r.err)
	}
}

// TestEpollWaitStopContinue checks E2 and S10: signal(7) lists
// epoll_wait among the calls that fail with EINTR after the process is
// stopped and continued, even without a handler.
func TestEpollWaitStopContinue(t *testing.T) {
	ctx := context.Background()
	k := newKernel(t, Config{})
	sh := k.NewTask("sh", Cred{})
	job := mustFork(t, sh, "job")
	ep, err := job.EpollCreate1(0)
	if err != nil {
		t.Fatal(err)
	}
	waiting := goCall(func() error {
		_, err := job.EpollWait(ctx, ep, make([]EpollEvent, 1), -1)
		return err
	})
	waitBlocked(t, job, 1)
	sh.Kill(job.Pid(), SIGSTOP)
	if _, st, err := sh.Wait4(ctx, job.Pid(), WUNTRACED); err != nil || !st.Stopped() {
		t.Fatalf("Wait4(WUNTRACED) = %#x, %v", st, err)
	}
	sh.Kill(job.Pid(), SIGCONT)
	if r := await(t, waiting); r.err != EINTR {
		t.Errorf("E2: EpollWait across a stop and SIGCONT = %v, want EINTR", r.err)
	}
}
