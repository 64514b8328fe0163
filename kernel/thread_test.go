package kernel

import (
	"context"
	"reflect"
	"sync"
	"testing"
)

// threadLog records which thread ran each handler.
type threadLog struct {
	mu  sync.Mutex
	who []int // Tid of the thread that ran the handler
	sig []int
}

func (l *threadLog) handler(t *Task, info *SigInfo) {
	l.mu.Lock()
	l.who = append(l.who, t.Tid())
	l.sig = append(l.sig, info.Signo)
	l.mu.Unlock()
}

func (l *threadLog) tids() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int(nil), l.who...)
}

// mustThread starts a thread or fails the test.
func mustThread(tb testing.TB, t *Task, name string) *Task {
	tb.Helper()
	th, err := t.NewThread(name)
	if err != nil {
		tb.Fatalf("NewThread: %v", err)
	}
	return th
}

// TestThreadsShare checks T1: threads share the pid, descriptors and
// handlers; each has its own tid and mask (copied at creation), and its
// own pending set for thread-directed signals.
func TestThreadsShare(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	main := k.NewTask("main", Cred{})
	mustMask(t, main, SIG_BLOCK, SigsetOf(SIGUSR2))
	th := mustThread(t, main, "worker")
	if th.Pid() != main.Pid() || main.Tid() != main.Pid() || th.Tid() == th.Pid() {
		t.Fatalf("T1: pid/tid main %d/%d thread %d/%d", main.Pid(), main.Tid(), th.Pid(), th.Tid())
	}
	if got := main.Threads(); !reflect.DeepEqual(got, []int{main.Tid(), th.Tid()}) {
		t.Errorf("T1: Threads = %v", got)
	}
	if m := currentMask(t, th); m != SigsetOf(SIGUSR2) {
		t.Errorf("T1: the new thread's mask %#x, want the creator's", uint64(m))
	}
	fd := mustOpen(t, main, "pipe", O_RDWR|O_NONBLOCK)
	if _, err := th.Write(context.Background(), fd, []byte("ab")); err != nil {
		t.Fatalf("T1: the thread cannot use the main thread's descriptor: %v", err)
	}
	var l threadLog
	th.Sigaction(SIGUSR1, Sigaction{Handler: l.handler})
	if old, _ := main.Sigaction(SIGUSR1, Sigaction{Handler: l.handler}); old.Handler == nil {
		t.Error("T1: a handler set by one thread is not the process's")
	}
	mustMask(t, th, SIG_SETMASK, SigsetOf(SIGUSR1))
	if m := currentMask(t, main); m != SigsetOf(SIGUSR2) {
		t.Errorf("T1: a thread's Sigprocmask changed another's mask: %#x", uint64(m))
	}
	if err := main.Tgkill(main.Pid(), th.Tid(), SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if th.Sigpending() != SigsetOf(SIGUSR1) || main.Sigpending() != 0 {
		t.Errorf("T1: thread-directed SIGUSR1 pending thread %#x main %#x", uint64(th.Sigpending()), uint64(main.Sigpending()))
	}
	if len(l.tids()) != 0 {
		t.Fatalf("T2: a thread-directed signal ran on another thread: %v", l.tids())
	}
	mustMask(t, th, SIG_SETMASK, 0)
	if got := l.tids(); !reflect.DeepEqual(got, []int{th.Tid()}) {
		t.Fatalf("T2: handler ran on %v, want [%d]", got, th.Tid())
	}
}

// TestProcessDirectedChoice checks T2: a process-directed signal goes to
// the main thread when it does not block it, else to a thread that does
// not; with every thread blocking it, it waits on the process until one
// unblocks it.
func TestProcessDirectedChoice(t *testing.T) {
	cases := []struct {
		name    string
		blocked []bool // per thread: main, t1, t2
		want    int    // index of the thread that runs the handler; -1 none
	}{
		{"T2/main-first", []bool{false, false, false}, 0},
		{"T2/main-blocks", []bool{true, false, false}, 1},
		{"T2/all-but-last-block", []bool{true, true, false}, 2},
		{"T2/all-block", []bool{true, true, true}, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := newKernel(t, Config{})
			main := k.NewTask("main", Cred{})
			threads := []*Task{main, mustThread(t, main, "t1"), mustThread(t, main, "t2")}
			var l threadLog
			main.Sigaction(SIGUSR1, Sigaction{Handler: l.handler})
			for i, b := range c.blocked {
				if b {
					mustMask(t, threads[i], SIG_BLOCK, SigsetOf(SIGUSR1))
				}
			}
			if err := k.Kill(main.Pid(), SIGUSR1); err != nil {
				t.Fatal(err)
			}
			// Each thread reaches a safe point (a call's return).
			for _, th := range threads {
				th.Sigpending()
				th.Getppid()
				th.Dup(-1)
			}
			if c.want < 0 {
				if len(l.tids()) != 0 || main.Sigpending() != SigsetOf(SIGUSR1) {
					t.Fatalf("T2: blocked everywhere: ran on %v, pending %#x", l.tids(), uint64(main.Sigpending()))
				}
				mustMask(t, threads[1], SIG_UNBLOCK, SigsetOf(SIGUSR1))
				if got := l.tids(); !reflect.DeepEqual(got, []int{threads[1].Tid()}) {
					t.Fatalf("T2: after t1 unblocked: ran on %v", got)
				}
				return
			}
			if got := l.tids(); !reflect.DeepEqual(got, []int{threads[c.want].Tid()}) {
				t.Fatalf("T2: ran on %v, want [%d]", got, threads[c.want].Tid())
			}
		})
	}
}

// TestProcessDirectedWakesOneThread checks T2: with every thread but one
// blocking the signal, only that thread's sleeping call is interrupted.
func TestProcessDirectedWakesOneThread(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	main := k.NewTask("main", Cred{})
	th := mustThread(t, main, "worker")
	fd := mustOpen(t, main, "pipe", O_RDWR)
	var l threadLog
	main.Sigaction(SIGIO, Sigaction{Handler: l.handler})
	mustMask(t, main, SIG_BLOCK, SigsetOf(SIGIO))
	mainRead := goRead(context.Background(), main, fd, make([]byte, 4))
	thRead := goRead(context.Background(), th, fd, make([]byte, 4))
	waitBlocked(t, main, 1)
	waitBlocked(t, th, 1)
	if err := k.Kill(main.Pid(), SIGIO); err != nil {
		t.Fatal(err)
	}
	if r := await(t, thRead); r.err != EINTR {
		t.Fatalf("T2: the worker's read = %v, want EINTR", r.err)
	}
	if got := l.tids(); !reflect.DeepEqual(got, []int{th.Tid()}) {
		t.Fatalf("T2: handler ran on %v, want the worker %d", got, th.Tid())
	}
	if inFlight(main) != 1 {
		t.Fatal("T2: the main thread's read was disturbed")
	}
	main.Close(fd)
	if r := await(t, mainRead); r.err != EBADF {
		t.Fatalf("main read after close = %v", r.err)
	}
}

// TestOwnerTid checks T2 and A9: F_SETOWN_EX(F_OWNER_TID) aims the
// notifications at one thread: its handler runs there; while that thread
// blocks the signal it waits pending on that thread and no other thread
// takes it; when the thread exits, F_GETOWN_EX reports 0 and
// notifications are dropped.
func TestOwnerTid(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	main := k.NewTask("server", Cred{})
	worker := mustThread(t, main, "sigio-thread")
	writer := k.NewTask("writer", Cred{})
	var l threadLog
	main.Sigaction(SIGRTMIN, Sigaction{Handler: l.handler})
	fd := mustOpen(t, main, "pipe", O_RDWR|O_NONBLOCK)
	if err := main.FcntlOwnerEx(fd, F_SETOWN_EX, &FOwnerEx{Type: F_OWNER_TID, Pid: worker.Tid()}); err != nil {
		t.Fatal(err)
	}
	mustFcntl(t, main, fd, F_SETSIG, SIGRTMIN)
	mustFcntl(t, main, fd, F_SETFL, O_RDWR|O_NONBLOCK|FASYNC)
	wfd := mustOpen(t, writer, "pipe", O_WRONLY)
	write := func() {
		t.Helper()
		if _, err := writer.Write(context.Background(), wfd, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	write()
	worker.Sigpending() // a safe point of the worker
	main.Sigpending()
	if got := l.tids(); !reflect.DeepEqual(got, []int{worker.Tid()}) {
		t.Fatalf("T2: notification ran on %v, want the worker %d", got, worker.Tid())
	}
	mustMask(t, worker, SIG_BLOCK, SigsetOf(SIGRTMIN))
	write()
	main.Getppid()
	if len(l.tids()) != 1 || worker.Sigpending() != SigsetOf(SIGRTMIN) || main.Sigpending() != 0 {
		t.Fatalf("T2: blocked on the owner thread: ran %v, worker pending %#x, main %#x",
			l.tids(), uint64(worker.Sigpending()), uint64(main.Sigpending()))
	}
	worker.ExitThread()
	var o FOwnerEx
	if err := main.FcntlOwnerEx(fd, F_GETOWN_EX, &o); err != nil || o != (FOwnerEx{F_OWNER_TID, 0}) {
		t.Fatalf("T2: F_GETOWN_EX after the owner thread exited = %+v, %v", o, err)
	}
	write()
	if len(l.tids()) != 1 || main.Sigpending() != 0 || len(main.Pending()) != 0 {
		t.Fatalf("T2: a notification reached the process after its owner thread exited: %v %v", l.tids(), main.Pending())
	}
}

// TestTgkillErrors checks Tgkill's and Tkill's errors (T2).
func TestTgkillErrors(t *testing.T) {
	k := newKernel(t, Config{})
	a := k.NewTask("a", Cred{})
	th := mustThread(t, a, "a2")
	b := k.NewTask("b", Cred{UID: 1000, EUID: 1000, SUID: 1000})
	a.Sigaction(SIGUSR1, Sigaction{Ignore: true})
	cases := []struct {
		name string
		call func() error
		want error
	}{
		{"T2/tgkill-ok", func() error { return a.Tgkill(a.Pid(), th.Tid(), SIGUSR1) }, nil},
		{"T2/tgkill-probe", func() error { return a.Tgkill(a.Pid(), th.Tid(), 0) }, nil},
		{"T2/tgkill-wrong-group", func() error { return a.Tgkill(b.Pid(), th.Tid(), SIGUSR1) }, ESRCH},
		{"T2/tgkill-no-thread", func() error { return a.Tgkill(a.Pid(), 9999, SIGUSR1) }, ESRCH},
		{"T2/tgkill-zero-tgid", func() error { return a.Tgkill(0, th.Tid(), SIGUSR1) }, EINVAL},
		{"T2/tgkill-zero-tid", func() error { return a.Tgkill(a.Pid(), 0, SIGUSR1) }, EINVAL},
		{"T2/tgkill-bad-signal", func() error { return a.Tgkill(a.Pid(), th.Tid(), 65) }, EINVAL},
		{"T2/tgkill-negative-signal", func() error { return a.Tgkill(a.Pid(), th.Tid(), -1) }, EINVAL},
		{"T2/tgkill-eperm", func() error { return b.Tgkill(a.Pid(), th.Tid(), SIGUSR1) }, EPERM},
		{"T2/tkill-ok", func() error { return a.Tkill(th.Tid(), SIGUSR1) }, nil},
		{"T2/tkill-no-thread", func() error { return a.Tkill(9999, SIGUSR1) }, ESRCH},
		{"T2/tkill-negative", func() error { return a.Tkill(-5, SIGUSR1) }, EINVAL},
	}
	for _, c := range cases {
		if err := c.call(); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// TestExitThread checks T5 for threads: a thread's exit ends its calls
// with EBADF and leaves the process; the main thread may exit first and
// the process keeps its pid for kill(2); the last thread's exit ends the
// process.
func TestExitThread(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	main := k.NewTask("main", Cred{})
	th := mustThread(t, main, "worker")
	fd := mustOpen(t, main, "pipe", O_RDWR)
	var l threadLog
	main.Sigaction(SIGUSR1, Sigaction{Handler: l.handler})
	ch := goRead(context.Background(), main, fd, make([]byte, 4))
	waitBlocked(t, main, 1)
	main.ExitThread()
	if r := await(t, ch); r.err != EBADF {
		t.Fatalf("T5: the exiting thread's read = %v, want EBADF", r.err)
	}
	if main.Alive() || !th.Alive() {
		t.Fatalf("T5: alive main %v worker %v", main.Alive(), th.Alive())
	}
	if _, err := th.Write(context.Background(), fd, []byte("x")); err != nil {
		t.Fatalf("T5: the descriptor table went with the main thread: %v", err)
	}
	if err := k.Kill(main.Pid(), SIGUSR1); err != nil {
		t.Fatalf("T5: kill of the process after its main thread exited: %v", err)
	}
	th.Sigpending()
	if got := l.tids(); !reflect.DeepEqual(got, []int{th.Tid()}) {
		t.Fatalf("T5: ran on %v, want the worker", got)
	}
	th.ExitThread()
	if err := k.Kill(main.Pid(), 0); err != ESRCH {
		t.Fatalf("T5: kill after the last thread exited = %v, want ESRCH", err)
	}
	if _, err := th.NewThread("x"); err != ESRCH {
		t.Fatalf("NewThread on an exited thread = %v, want ESRCH", err)
	}
}

// TestRealtimeLimitPerProcess checks S1 with T1: the real-time queue
// limit counts the process's and its threads' queued instances, and
// taking, discarding or a thread's exit frees their places.
func TestRealtimeLimitPerProcess(t *testing.T) {
	k := newKernel(t, Config{SigPendingMax: 2})
	main := k.NewTask("main", Cred{})
	set := SigsetOf(SIGRTMIN, SIGRTMIN+1)
	mustMask(t, main, SIG_BLOCK, set)
	th := mustThread(t, main, "worker")
	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"S1/process-1", func() error { return k.Kill(main.Pid(), SIGRTMIN) }, nil},
		{"S1/thread-2", func() error { return main.Tgkill(main.Pid(), th.Tid(), SIGRTMIN+1) }, nil},
		{"S1/full", func() error { return main.Sigqueue(main.Pid(), SIGRTMIN, 1) }, EAGAIN},
		{"S1/full-thread", func() error { return main.Tkill(main.Tid(), SIGRTMIN) }, EAGAIN},
		{"S1/take-frees", func() error {
			_, err := main.Sigtimedwait(context.Background(), set, 0)
			return err
		}, nil},
		{"S1/again", func() error { return k.Kill(main.Pid(), SIGRTMIN) }, nil},
		{"S1/exit-frees", func() error { th.ExitThread(); return k.Kill(main.Pid(), SIGRTMIN) }, nil},
		{"S1/full-again", func() error { return main.Tgkill(main.Pid(), main.Tid(), SIGRTMIN) }, EAGAIN},
		{"S1/ignore-frees", func() error {
			main.Sigaction(SIGRTMIN, Sigaction{Ignore: true})
			main.Sigaction(SIGRTMIN, Sigaction{})
			return main.Tkill(main.Tid(), SIGRTMIN+1)
		}, nil},
	}
	for _, s := range steps {
		if err := s.do(); err != s.want {
			t.Fatalf("%s: %v, want %v", s.name, err, s.want)
		}
	}
	if got := main.Pending(); !reflect.DeepEqual(got, []int{SIGRTMIN + 1}) {
		t.Errorf("pending %v, want [SIGRTMIN+1]", got)
	}
}

// TestRealtimeLimitKillLosesInfo checks S1 as Linux's
// __send_signal_locked treats a full queue (checked with a C program on
// Linux 6.18 with RLIMIT_SIGPENDING 2): sigqueue, tgkill and an
// F_SETSIG'd notification fail with EAGAIN, but kill(2) and the kernel's
// own signals are sent all the same with their siginfo lost — pending
// once however often sent, delivered as SI_USER from pid 0 — and take
// no place in the queue.
func TestRealtimeLimitKillLosesInfo(t *testing.T) {
	ctx := context.Background()
	k := newKernel(t, Config{SigPendingMax: 2})
	task := k.NewTask("t", Cred{UID: 1000, EUID: 1000, SUID: 1000})
	set := SigsetOf(SIGRTMIN, SIGRTMIN+1)
	mustMask(t, task, SIG_BLOCK, set)
	for range 2 {
		if err := task.Sigqueue(task.Pid(), SIGRTMIN+1, 7); err != nil {
			t.Fatal(err)
		}
	}
	if err := task.Sigqueue(task.Pid(), SIGRTMIN+1, 7); err != EAGAIN {
		t.Fatalf("S1: Sigqueue on a full queue = %v, want EAGAIN", err)
	}
	for _, kill := range []func() error{
		func() error { return task.Kill(task.Pid(), SIGRTMIN) },
		func() error { return task.Kill(task.Pid(), SIGRTMIN) },
		func() error { return k.Kill(task.Pid(), SIGRTMIN) },
	} {
		if err := kill(); err != nil {
			t.Fatalf("S1: kill on a full queue = %v, want success", err)
		}
	}
	want := []int{SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 1}
	if got := task.Pending(); !reflect.DeepEqual(got, want) {
		t.Fatalf("S1: pending %v, want %v", got, want)
	}
	info, err := task.Sigtimedwait(ctx, set, 0)
	if err != nil || info != (SigInfo{Signo: SIGRTMIN, Code: SI_USER}) {
		t.Fatalf("S1: the lost-info signal = %+v, %v; want SI_USER from pid 0", info, err)
	}
	if _, err := task.Sigtimedwait(ctx, set, 0); err != nil {
		t.Fatal(err)
	}
	// One queued instance taken: one place free, and only one.
	if err := task.Sigqueue(task.Pid(), SIGRTMIN, 8); err != nil {
		t.Fatalf("S1: Sigqueue after a queued instance was taken = %v", err)
	}
	if err := task.Sigqueue(task.Pid(), SIGRTMIN, 9); err != EAGAIN {
		t.Fatalf("S1: Sigqueue on a full queue again = %v, want EAGAIN", err)
	}
}
