package kernel

import (
	"context"
	"reflect"
	"sync"
	"testing"
)

// orderLog records events in order, from any goroutine.
type orderLog struct {
	mu  sync.Mutex
	evs []string
}

func (l *orderLog) add(ev string) {
	l.mu.Lock()
	l.evs = append(l.evs, ev)
	l.mu.Unlock()
}

func (l *orderLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.evs...)
}

// mustMask runs Sigprocmask or fails the test, returning the old mask.
func mustMask(tb testing.TB, task *Task, how int, set Sigset) Sigset {
	tb.Helper()
	old, err := task.Sigprocmask(how, &set)
	if err != nil {
		tb.Fatalf("Sigprocmask(%d, %#x): %v", how, uint64(set), err)
	}
	return old
}

// currentMask returns task's mask through Sigprocmask's query form.
func currentMask(tb testing.TB, task *Task) Sigset {
	tb.Helper()
	m, err := task.Sigprocmask(SIG_BLOCK, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// TestSigprocmaskOps checks SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK, the
// query form, EINVAL, and that SIGKILL and SIGSTOP stay unblocked (S5).
func TestSigprocmaskOps(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("t", Cred{})
	steps := []struct {
		name    string
		how     int
		set     Sigset
		want    Sigset
		wantErr error
	}{
		{"S5/block", SIG_BLOCK, SigsetOf(SIGUSR1, SIGIO), SigsetOf(SIGUSR1, SIGIO), nil},
		{"S5/block-adds", SIG_BLOCK, SigsetOf(SIGRTMIN), SigsetOf(SIGUSR1, SIGIO, SIGRTMIN), nil},
		{"S5/unblock", SIG_UNBLOCK, SigsetOf(SIGIO, SIGHUP), SigsetOf(SIGUSR1, SIGRTMIN), nil},
		{"S5/setmask", SIG_SETMASK, SigsetOf(SIGTERM), SigsetOf(SIGTERM), nil},
		{"S5/kill-stop-unblockable", SIG_SETMASK, ^Sigset(0), ^Sigset(0) &^ SigsetOf(SIGKILL, SIGSTOP), nil},
		{"S5/bad-how", 3, SigsetOf(SIGHUP), ^Sigset(0) &^ SigsetOf(SIGKILL, SIGSTOP), EINVAL},
		{"S5/bad-how-negative", -1, 0, ^Sigset(0) &^ SigsetOf(SIGKILL, SIGSTOP), EINVAL},
	}
	for _, s := range steps {
		before := currentMask(t, task)
		set := s.set
		old, err := task.Sigprocmask(s.how, &set)
		if err != s.wantErr {
			t.Fatalf("%s: err %v, want %v", s.name, err, s.wantErr)
		}
		if old != before {
			t.Errorf("%s: old mask %#x, want %#x", s.name, uint64(old), uint64(before))
		}
		if got := currentMask(t, task); got != s.want {
			t.Errorf("%s: mask %#x, want %#x", s.name, uint64(got), uint64(s.want))
		}
	}
	// The query form ignores how (S5).
	if _, err := task.Sigprocmask(99, nil); err != nil {
		t.Errorf("S5: Sigprocmask(99, nil) = %v, want nil", err)
	}
}

// TestBlockedSignalWaits checks S5: a blocked signal stays pending
// (observable with Sigpending) and is delivered once, when unblocked,
// before Sigprocmask returns; standard signals coalesce and real-time
// ones queue in order meanwhile (S1).
func TestBlockedSignalWaits(t *testing.T) {
	cases := []struct {
		name  string
		sig   int
		sends int
		runs  int
	}{
		{"S5/standard-once", SIGUSR1, 1, 1},
		{"S5/standard-coalesces", SIGUSR1, 3, 1},
		{"S5/realtime-queues", SIGRTMIN + 2, 3, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := newKernel(t, Config{})
			task := k.NewTask("t", Cred{})
			var l sigLog
			l.handle(t, task, c.sig, 0)
			mustMask(t, task, SIG_BLOCK, SigsetOf(c.sig))
			for i := range c.sends {
				if err := task.Sigqueue(task.Pid(), c.sig, i); err != nil {
					t.Fatal(err)
				}
			}
			if n := len(l.got()); n != 0 {
				t.Fatalf("%d handlers ran while the signal was blocked", n)
			}
			if got := task.Sigpending(); got != SigsetOf(c.sig) {
				t.Fatalf("Sigpending = %#x, want %#x", uint64(got), uint64(SigsetOf(c.sig)))
			}
			mustMask(t, task, SIG_UNBLOCK, SigsetOf(c.sig))
			got := l.got()
			if len(got) != c.runs {
				t.Fatalf("handler ran %d times after unblocking, want %d", len(got), c.runs)
			}
			for i, info := range got {
				if info.Value != i {
					t.Errorf("run %d had value %v, want %d (arrival order)", i, info.Value, i)
				}
			}
			if p := task.Sigpending(); p != 0 {
				t.Errorf("Sigpending after delivery = %#x", uint64(p))
			}
		})
	}
}

// TestBlockedSignalInterruptsNothing checks S5: a blocked signal leaves a
// sleeping call asleep; the call completes normally, and the signal is
// delivered when unblocked.
func TestBlockedSignalInterruptsNothing(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	writer := k.NewTask("w", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDONLY)
	wfd := mustOpen(t, writer, "pipe", O_WRONLY)
	var l sigLog
	l.handle(t, task, SIGUSR1, 0)
	mustMask(t, task, SIG_BLOCK, SigsetOf(SIGUSR1))
	ch := goRead(context.Background(), task, fd, make([]byte, 8))
	waitBlocked(t, task, 1)
	if err := k.Kill(task.Pid(), SIGUSR1); err != nil {
		t.Fatal(err)
	}
	task.mu.Lock()
	st := task.calls[0].state.Load()
	task.mu.Unlock()
	if st != callLive {
		t.Fatalf("S5: the blocked signal interrupted the read (state %d)", st)
	}
	if _, err := writer.Write(context.Background(), wfd, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if r := await(t, ch); r.err != nil || r.n != 2 {
		t.Fatalf("read = %d, %v; want 2, nil", r.n, r.err)
	}
	if n := len(l.got()); n != 0 {
		t.Fatalf("handler ran %d times while blocked", n)
	}
	mustMask(t, task, SIG_UNBLOCK, SigsetOf(SIGUSR1))
	if got := l.signos(); !reflect.DeepEqual(got, []int{SIGUSR1}) {
		t.Fatalf("after unblocking: %v, want [SIGUSR1]", got)
	}
}

// TestBlockedNeverIgnored checks S5 with S10: a blocked signal whose
// action ignores it is still queued (the action may change before it is
// unblocked); a blocked fatal one kills only once unblocked.
func TestBlockedNeverIgnored(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("t", Cred{})
	mustMask(t, task, SIG_BLOCK, SigsetOf(SIGCHLD, SIGTERM))
	for _, sig := range []int{SIGCHLD, SIGTERM} {
		if err := k.Kill(task.Pid(), sig); err != nil {
			t.Fatal(err)
		}
	}
	if got := task.Sigpending(); got != SigsetOf(SIGCHLD, SIGTERM) {
		t.Fatalf("S5: Sigpending = %#x, want SIGCHLD|SIGTERM", uint64(got))
	}
	if !task.Alive() {
		t.Fatal("S5: a blocked SIGTERM killed the task")
	}
	mustMask(t, task, SIG_UNBLOCK, SigsetOf(SIGCHLD))
	if !task.Alive() || task.Sigpending() != SigsetOf(SIGTERM) {
		t.Fatalf("S10: unblocking SIGCHLD (default ignore): alive %v, pending %#x", task.Alive(), uint64(task.Sigpending()))
	}
	mustMask(t, task, SIG_UNBLOCK, SigsetOf(SIGTERM))
	if task.Alive() {
		t.Fatal("S10: SIGTERM unblocked with the default action did not kill")
	}
}

// TestHandlerMask checks S6: a handler runs with sa_mask and its own
// signal blocked, restored when it returns (also after the handler
// changed it); SA_NODEFER leaves the signal unblocked, so it nests.
func TestHandlerMask(t *testing.T) {
	cases := []struct {
		name  string
		flags int
		mask  Sigset
		raise int // raised from inside the first run
		want  []string
	}{
		{"S6/sa_mask-defers", 0, SigsetOf(SIGUSR2), SIGUSR2, []string{"usr1 start", "usr1 end", "usr2"}},
		{"S6/unmasked-nests", 0, 0, SIGUSR2, []string{"usr1 start", "usr2", "usr1 end"}},
		{"S6/self-blocked", 0, 0, SIGUSR1, []string{"usr1 start", "usr1 end", "usr1 start", "usr1 end"}},
		{"S6/SA_NODEFER-nests", SA_NODEFER, 0, SIGUSR1, []string{"usr1 start", "usr1 start", "usr1 end", "usr1 end"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := newKernel(t, Config{})
			task := k.NewTask("t", Cred{})
			var l orderLog
			raised := false
			var inside Sigset
			_, err := task.Sigaction(SIGUSR1, Sigaction{Flags: c.flags, Mask: c.mask, Handler: func(tk *Task, _ *SigInfo) {
				l.add("usr1 start")
				if !raised {
					raised = true
					inside = currentMask(t, tk)
					tk.Kill(tk.Pid(), c.raise)
					// Changes made inside are undone on return.
					mustMask(t, tk, SIG_BLOCK, SigsetOf(SIGHUP))
				}
				l.add("usr1 end")
			}})
			if err != nil {
				t.Fatal(err)
			}
			task.Sigaction(SIGUSR2, Sigaction{Handler: func(*Task, *SigInfo) { l.add("usr2") }})
			mustMask(t, task, SIG_BLOCK, SigsetOf(SIGWINCH))
			if err := task.Kill(task.Pid(), SIGUSR1); err != nil {
				t.Fatal(err)
			}
			if got := l.get(); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("order %q, want %q", got, c.want)
			}
			want := SigsetOf(SIGWINCH) | c.mask
			if c.flags&SA_NODEFER == 0 {
				want.Add(SIGUSR1)
			}
			if inside != want {
				t.Errorf("mask inside the handler %#x, want %#x", uint64(inside), uint64(want))
			}
			if m := currentMask(t, task); m != SigsetOf(SIGWINCH) {
				t.Errorf("mask after the handler %#x, want SIGWINCH only", uint64(m))
			}
		})
	}
}

// TestResetHand checks S6: SA_RESETHAND restores the default action when
// the signal is delivered, so the second SIGUSR1 kills.
func TestResetHand(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("t", Cred{})
	var l sigLog
	if _, err := task.Sigaction(SIGUSR1, Sigaction{Handler: l.handler, Flags: SA_RESETHAND | SA_RESTART}); err != nil {
		t.Fatal(err)
	}
	if err := task.Kill(task.Pid(), SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if len(l.got()) != 1 {
		t.Fatalf("S6: handler ran %d times, want 1", len(l.got()))
	}
	old, err := task.Sigaction(SIGUSR1, Sigaction{})
	if err != nil {
		t.Fatal(err)
	}
	// Linux resets only the handler; the flags stay (a C program's
	// sigaction reports SA_RESETHAND still set).
	if old.Handler != nil || old.Ignore || old.Flags != SA_RESETHAND|SA_RESTART {
		t.Fatalf("S6: after delivery the action is %+v, want SIG_DFL with the flags kept", old)
	}
	task.Sigaction(SIGUSR1, Sigaction{Handler: l.handler, Flags: SA_RESETHAND})
	task.Kill(task.Pid(), SIGUSR1)
	if err := k.Kill(task.Pid(), SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if task.Alive() {
		t.Fatal("S6: the second SIGUSR1 after SA_RESETHAND did not kill (default action)")
	}
}
