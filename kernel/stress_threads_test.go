package kernel

import (
	"context"
	"math/rand"
	"runtime"
	"sync"
	"testing"
	"time"
)

// rtLedger counts each sigqueue value's deliveries, by handler or
// Sigtimedwait.
type rtLedger struct {
	mu   sync.Mutex
	sent map[int]bool
	got  map[int]int
}

func (l *rtLedger) take(tb testing.TB, info SigInfo) {
	v, ok := info.Value.(int)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got[v]++
	if l.got[v] > 1 {
		tb.Errorf("S1: value %d delivered %d times", v, l.got[v])
	}
}

// TestConcurrentThreadsSignals drives thread creation and exit, masks,
// Sigtimedwait, Pause, exec from any thread, fork and wait, stops and
// continues, against process-directed real-time signals sent all the
// while, then checks that every signal sigqueue accepted was taken
// exactly once (by a handler or a Sigtimedwait), that nothing panicked
// or hung, and that no goroutine outlives the kernel (S1, S5, S7, S8,
// S10, T1–T5).
func TestConcurrentThreadsSignals(t *testing.T) {
	before := runtime.NumGoroutine()
	k := New(Config{SigPendingMax: 64})
	proc := k.NewTask("proc", Cred{})
	sh := k.NewTask("sh", Cred{})
	l := &rtLedger{sent: map[int]bool{}, got: map[int]int{}}
	handled := SigsetOf(SIGRTMIN, SIGUSR1)
	install := func(p *Task) {
		p.Sigaction(SIGRTMIN, Sigaction{Handler: func(_ *Task, info *SigInfo) { l.take(t, *info) }, Flags: SA_RESTART})
		p.Sigaction(SIGUSR1, Sigaction{Handler: func(*Task, *SigInfo) {}})
		p.Sigaction(SIGCHLD, Sigaction{Ignore: true})
	}
	install(proc)
	// The main thread blocks the handled signals for good, and a thread
	// unblocks them only while holding unblocked, which an exec takes
	// whole: after an exec the handlers are gone until installed again.
	proc.Sigprocmask(SIG_BLOCK, &handled)
	var unblocked sync.RWMutex
	deadline := time.Now().Add(300 * time.Millisecond)
	var wg sync.WaitGroup
	run := func(f func(r *rand.Rand)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewSource(time.Now().UnixNano()))
			for time.Now().Before(deadline) {
				f(r)
			}
		}()
	}
	var vmu sync.Mutex
	next := 0
	run(func(*rand.Rand) { // the sender
		vmu.Lock()
		next++
		v := next
		vmu.Unlock()
		if sh.Sigqueue(proc.Pid(), SIGRTMIN, v) == nil {
			l.mu.Lock()
			l.sent[v] = true
			l.mu.Unlock()
		}
		sh.Kill(proc.Pid(), SIGUSR1)
	})
	wg.Add(1)
	go func() { // job control, ending with the process continued
		defer wg.Done()
		defer sh.Kill(proc.Pid(), SIGCONT)
		for r := rand.New(rand.NewSource(time.Now().UnixNano())); time.Now().Before(deadline); {
			sh.Kill(proc.Pid(), []int{SIGSTOP, SIGCONT, SIGCONT}[r.Intn(3)])
		}
	}()
	for range 3 {
		run(func(r *rand.Rand) {
			if main, ok := k.Task(proc.Pid()); ok {
				threadLife(t, l, main, &unblocked, r)
			}
		})
	}
	run(func(r *rand.Rand) { // exec from the main thread or another, fork and wait
		main, ok := k.Task(proc.Pid())
		if !ok {
			return
		}
		if r.Intn(4) == 0 {
			unblocked.Lock()
			th := main
			if r.Intn(2) == 0 {
				th, _ = main.NewThread("execer")
			}
			if th != nil && th.Exec("proc") == nil {
				install(th)
			}
			unblocked.Unlock()
		}
		if c, err := main.Fork("child"); err == nil {
			c.ExitGroup(r.Intn(3))
		}
		main.Wait4(context.Background(), -1, WNOHANG)
	})
	wg.Wait()
	sh.Kill(proc.Pid(), SIGCONT)
	leader, ok := k.Task(proc.Pid())
	if !ok {
		t.Fatal("the process has no main thread")
	}
	for {
		info, err := leader.Sigtimedwait(context.Background(), SigsetOf(SIGRTMIN), 0)
		if err != nil {
			break
		}
		l.take(t, info)
	}
	leader.Sigprocmask(SIG_SETMASK, new(Sigset))
	l.mu.Lock()
	for v := range l.sent {
		if l.got[v] != 1 {
			t.Errorf("S1: value %d sent, taken %d times", v, l.got[v])
		}
	}
	t.Logf("%d real-time signals sent and taken", len(l.sent))
	l.mu.Unlock()
	k.Close()
	testWaitGoroutines(t, before)
}

// threadLife starts a thread of main's process (its mask blocks
// SIGRTMIN and SIGUSR1) that unblocks them for a while, waits for
// SIGRTMIN, pauses briefly, and exits.
func threadLife(tb testing.TB, l *rtLedger, main *Task, unblocked *sync.RWMutex, r *rand.Rand) {
	th, err := main.NewThread("worker")
	if err != nil {
		return // main has exited meanwhile (an exec from another thread)
	}
	set := SigsetOf(SIGRTMIN, SIGUSR1)
	for range r.Intn(4) {
		unblocked.RLock()
		th.Sigprocmask(SIG_UNBLOCK, &set)
		if info, err := th.Sigtimedwait(context.Background(), SigsetOf(SIGRTMIN), time.Millisecond); err == nil {
			l.take(tb, info)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		th.Pause(ctx)
		cancel()
		th.Sigprocmask(SIG_BLOCK, &set)
		unblocked.RUnlock()
		if info, err := th.Sigtimedwait(context.Background(), SigsetOf(SIGRTMIN), 0); err == nil {
			l.take(tb, info)
		}
	}
	th.ExitThread()
}

// testWaitGoroutines waits until the goroutine count is back to before
// (or fails after a bound): the kernel leaves no goroutine behind.
func testWaitGoroutines(tb testing.TB, before int) {
	tb.Helper()
	end := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(end) {
			buf := make([]byte, 1<<16)
			tb.Fatalf("goroutines: %d, before %d\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}
