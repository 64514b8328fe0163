package kernel

import (
	"context"
	"reflect"
	"testing"

	"github.com/fasync-go/fasync/internal/testutil"
)

// TestSigaction checks which dispositions may be set (S2).
func TestSigaction(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("t", Cred{})
	h := func(*Task, *SigInfo) {}
	cases := []struct {
		name string
		sig  int
		act  Sigaction
		want error
	}{
		{"S2/handler", SIGUSR1, Sigaction{Handler: h}, nil},
		{"S2/ignore", SIGUSR2, Sigaction{Ignore: true}, nil},
		{"S2/default", SIGTERM, Sigaction{}, nil},
		{"S2/realtime", SIGRTMAX, Sigaction{Handler: h, Flags: SA_SIGINFO | SA_RESTART}, nil},
		{"S2/SIGKILL", SIGKILL, Sigaction{Handler: h}, EINVAL},
		{"S2/SIGSTOP", SIGSTOP, Sigaction{Ignore: true}, EINVAL},
		{"S2/zero", 0, Sigaction{Handler: h}, EINVAL},
		{"S2/negative", -3, Sigaction{}, EINVAL},
		{"S2/too-big", NSIG, Sigaction{}, EINVAL},
		{"S2/both", SIGUSR1, Sigaction{Handler: h, Ignore: true}, EINVAL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := task.Sigaction(c.sig, c.act); err != c.want {
				t.Fatalf("Sigaction(%d) = %v, want %v", c.sig, err, c.want)
			}
		})
	}
	old, err := task.Sigaction(SIGUSR2, Sigaction{})
	if err != nil || !old.Ignore {
		t.Fatalf("Sigaction returned old %+v, %v; want the Ignore set before", old, err)
	}
}

// TestPendingSignals checks SPEC S1: standard signals coalesce keeping the
// first siginfo; real-time ones queue in order up to SigPendingMax.
func TestPendingSignals(t *testing.T) {
	k := newKernel(t, Config{SigPendingMax: 3})
	task := k.NewTask("target", Cred{})
	sender := k.NewTask("sender", Cred{})
	var log sigLog
	log.handle(t, task, SIGUSR1, 0)
	log.handle(t, task, SIGUSR2, 0)
	log.handle(t, task, SIGRTMIN, 0)
	log.handle(t, task, SIGRTMIN+1, 0)

	t.Run("S1/standard-coalesces", func(t *testing.T) {
		if err := sender.Kill(task.Pid(), SIGUSR1); err != nil {
			t.Fatal(err)
		}
		if err := k.Kill(task.Pid(), SIGUSR1); err != nil {
			t.Fatal(err)
		}
		if got := task.Pending(); !reflect.DeepEqual(got, []int{SIGUSR1}) {
			t.Fatalf("Pending = %v, want [SIGUSR1] once", got)
		}
		task.Pause(context.Background())
		got := log.got()
		if len(got) != 1 || got[0].Pid != sender.Pid() || got[0].Code != SI_USER {
			t.Fatalf("delivered %+v; want one SIGUSR1 with the first siginfo (SI_USER from %d)", got, sender.Pid())
		}
	})
	log = sigLog{}
	log.handle(t, task, SIGUSR1, 0)
	log.handle(t, task, SIGUSR2, 0)
	log.handle(t, task, SIGRTMIN, 0)
	log.handle(t, task, SIGRTMIN+1, 0)

	t.Run("S1/realtime-queues-in-order", func(t *testing.T) {
		for _, v := range []int{1, 2} {
			if err := sender.Sigqueue(task.Pid(), SIGRTMIN+1, v); err != nil {
				t.Fatal(err)
			}
		}
		if err := sender.Sigqueue(task.Pid(), SIGRTMIN, 3); err != nil {
			t.Fatal(err)
		}
		if err := sender.Sigqueue(task.Pid(), SIGRTMIN, 4); err != EAGAIN {
			t.Fatalf("Sigqueue beyond SigPendingMax = %v, want EAGAIN", err)
		}
		// kill(2) is not refused: its siginfo is lost, and SIGRTMIN is
		// already pending.
		if err := sender.Kill(task.Pid(), SIGRTMIN); err != nil {
			t.Fatalf("Kill beyond SigPendingMax = %v, want success", err)
		}
		k.Kill(task.Pid(), SIGUSR2) // standard signals are not limited
		want := []int{SIGUSR2, SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 1}
		if got := task.Pending(); !reflect.DeepEqual(got, want) {
			t.Fatalf("Pending = %v, want %v", got, want)
		}
		task.Pause(context.Background())
		var values []any
		for _, i := range log.got() {
			values = append(values, i.Value)
		}
		// Taken lowest first, FIFO within one number, each in a frame
		// set up before any handler runs: the last frame's handler
		// runs first, and the second SIGRTMIN+1, held back by the
		// first one's frame, gets its frame when that handler returns
		// (deliver.go, as Linux 6.18 runs them).
		ran := []int{SIGRTMIN + 1, SIGRTMIN + 1, SIGRTMIN, SIGUSR2}
		if got := log.signos(); !reflect.DeepEqual(got, ran) {
			t.Fatalf("delivered %v, want %v", got, ran)
		}
		if !reflect.DeepEqual(values, []any{1, 2, 3, nil}) {
			t.Fatalf("values %v, want [1 2 3 <nil>]", values)
		}
		if len(task.Pending()) != 0 {
			t.Fatal("signals left pending after delivery")
		}
	})
}

// TestSignalInfo checks the siginfo each sender produces (S2).
func TestSignalInfo(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("target", Cred{})
	sender := k.NewTask("sender", Cred{})
	var log sigLog
	for _, s := range []int{SIGUSR1, SIGUSR2, SIGRTMIN} {
		log.handle(t, task, s, 0)
	}
	sender.Kill(task.Pid(), SIGUSR1)
	k.Kill(task.Pid(), SIGUSR2)
	sender.Sigqueue(task.Pid(), SIGRTMIN, "payload")
	task.Pause(context.Background())
	// The handlers run highest number first (deliver.go).
	want := []SigInfo{
		{Signo: SIGRTMIN, Code: SI_QUEUE, Pid: sender.Pid(), Value: "payload"},
		{Signo: SIGUSR2, Code: SI_KERNEL},
		{Signo: SIGUSR1, Code: SI_USER, Pid: sender.Pid()},
	}
	if got := log.got(); !reflect.DeepEqual(got, want) {
		t.Fatalf("S2: delivered\n%+v\nwant\n%+v", got, want)
	}
}

// TestDefaultActions checks S2's dispositions and S10's default-action
// table: ignored signals are discarded at send time, SIGIO terminates by
// default as on Linux, SIGSTOP stops (the process survives), other
// signals terminate the task by default.
func TestDefaultActions(t *testing.T) {
	cases := []struct {
		name     string
		sig      int
		act      Sigaction
		survives bool
	}{
		{"S10/SIGIO-default-terminates", SIGIO, Sigaction{}, false},
		{"S10/SIGPIPE-default-terminates", SIGPIPE, Sigaction{}, false},
		{"S10/SIGALRM-default-terminates", SIGALRM, Sigaction{}, false},
		{"S2/SIGCHLD-default-ignored", SIGCHLD, Sigaction{}, true},
		{"S2/SIGURG-default-ignored", SIGURG, Sigaction{}, true},
		{"S2/SIGWINCH-default-ignored", SIGWINCH, Sigaction{}, true},
		{"S2/SIGCONT-default-ignored", SIGCONT, Sigaction{}, true},
		{"S2/SIG_IGN", SIGTERM, Sigaction{Ignore: true}, true},
		{"S2/SIGTERM-default-terminates", SIGTERM, Sigaction{}, false},
		{"S2/SIGUSR1-default-terminates", SIGUSR1, Sigaction{}, false},
		{"S2/realtime-default-terminates", SIGRTMIN, Sigaction{}, false},
		{"S2/SIGKILL-terminates", SIGKILL, Sigaction{}, false},
		{"S10/SIGSTOP-stops", SIGSTOP, Sigaction{}, true},
		{"S10/SIGTSTP-stops", SIGTSTP, Sigaction{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := newKernel(t, Config{})
			d := newPipe(t, k, "pipe")
			task := k.NewTask("t", Cred{})
			mustOpen(t, task, "pipe", O_RDWR)
			if c.sig != SIGKILL && c.sig != SIGSTOP {
				task.Sigaction(c.sig, c.act)
			}
			if err := k.Kill(task.Pid(), c.sig); err != nil {
				t.Fatal(err)
			}
			if got := task.Pending(); len(got) != 0 {
				t.Errorf("Pending = %v: ignored or fatal signals never become pending", got)
			}
			if task.Alive() != c.survives {
				t.Fatalf("Alive = %v, want %v", task.Alive(), c.survives)
			}
			if !c.survives {
				if _, ok := k.Task(task.Pid()); ok {
					t.Error("a terminated task is still listed")
				}
				testutil.WaitFor(t, "the terminated task's files to be released", func() bool {
					ev := d.events()
					return len(ev) == 2 && ev[1] == "release"
				})
				if err := k.Kill(task.Pid(), SIGTERM); err != ESRCH {
					t.Errorf("Kill of a dead task = %v, want ESRCH", err)
				}
			}
		})
	}
}

// TestIgnoreDiscardsPending checks that setting SIG_IGN (or a default that
// ignores) drops the pending instances of that signal (S2).
func TestIgnoreDiscardsPending(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("t", Cred{})
	var log sigLog
	log.handle(t, task, SIGUSR1, 0)
	log.handle(t, task, SIGRTMIN, 0)
	log.handle(t, task, SIGIO, 0)
	k.Kill(task.Pid(), SIGUSR1)
	k.Kill(task.Pid(), SIGRTMIN)
	k.Kill(task.Pid(), SIGRTMIN)
	k.Kill(task.Pid(), SIGIO)
	task.mu.Lock()
	// Change dispositions without passing a safe point.
	task.actions[SIGUSR1] = Sigaction{Ignore: true}
	task.mu.Unlock()
	if _, err := task.Sigaction(SIGRTMIN, Sigaction{Ignore: true}); err != nil {
		t.Fatal(err)
	}
	// Sigaction's own safe point delivered what remained: SIGIO, and
	// SIGUSR1, now ignored at delivery.
	if got := log.signos(); !reflect.DeepEqual(got, []int{SIGIO}) {
		t.Fatalf("delivered %v, want [SIGIO]", got)
	}
	if got := task.Pending(); len(got) != 0 {
		t.Fatalf("Pending = %v", got)
	}
}

// TestKillPermission checks the permission rule (S2, and A10's rule for
// kill): root, or the sender's uid/euid matching the target's uid/suid.
func TestKillPermission(t *testing.T) {
	cases := []struct {
		name     string
		from, to Cred
		allowed  bool
	}{
		{"root-to-user", Cred{}, Cred{UID: 1000, EUID: 1000, SUID: 1000}, true},
		{"same-uid", Cred{UID: 1000, EUID: 1000, SUID: 1000}, Cred{UID: 1000, EUID: 1000, SUID: 1000}, true},
		{"uid-matches-suid", Cred{UID: 1000, EUID: 1001, SUID: 1001}, Cred{UID: 2000, EUID: 2000, SUID: 1000}, true},
		{"euid-matches-uid", Cred{UID: 5, EUID: 2000, SUID: 5}, Cred{UID: 2000, EUID: 7, SUID: 7}, true},
		{"euid-zero", Cred{UID: 1000, EUID: 0, SUID: 1000}, Cred{UID: 2000, EUID: 2000, SUID: 2000}, true},
		{"other-user", Cred{UID: 1000, EUID: 1000, SUID: 1000}, Cred{UID: 2000, EUID: 2000, SUID: 2000}, false},
		{"target-euid-does-not-count", Cred{UID: 1000, EUID: 1000, SUID: 1000}, Cred{UID: 2000, EUID: 1000, SUID: 2000}, false},
		{"user-to-root", Cred{UID: 1000, EUID: 1000, SUID: 1000}, Cred{}, false},
	}
	for _, c := range cases {
		t.Run("S2/"+c.name, func(t *testing.T) {
			k := newKernel(t, Config{})
			from := k.NewTask("from", c.from)
			to := k.NewTask("to", c.to)
			var log sigLog
			log.handle(t, to, SIGUSR1, 0)
			want := error(nil)
			if !c.allowed {
				want = EPERM
			}
			if err := from.Kill(to.Pid(), 0); err != want {
				t.Errorf("Kill(sig 0) = %v, want %v", err, want)
			}
			if err := from.Kill(to.Pid(), SIGUSR1); err != want {
				t.Errorf("Kill = %v, want %v", err, want)
			}
			if got := len(to.Pending()) == 1; got != c.allowed {
				t.Errorf("signal pending = %v, want %v", got, c.allowed)
			}
			if err := k.Kill(to.Pid(), SIGUSR1); err != nil {
				t.Errorf("the kernel is never refused: %v", err)
			}
		})
	}
}

// TestKillTargets checks kill's pid selection: a task, 0 = own group, -1 =
// everyone else, -pgid = a group (S4), and the errors.
func TestKillTargets(t *testing.T) {
	k := newKernel(t, Config{})
	k.NewTask("init", Cred{}) // pid 1: kill(-1) means everyone, so no group 1 here
	a := k.NewTask("a", Cred{})
	b := k.NewTask("b", Cred{})
	c := k.NewTask("c", Cred{})
	if err := b.Setpgid(a.Pid()); err != nil {
		t.Fatal(err)
	}
	logs := map[*Task]*sigLog{a: {}, b: {}, c: {}}
	for task, l := range logs {
		l.handle(t, task, SIGUSR1, 0)
		l.handle(t, task, SIGUSR2, 0)
		l.handle(t, task, SIGHUP, 0)
	}
	pendingOn := func() []string {
		var who []string
		for _, task := range []*Task{a, b, c} {
			// A signal a task sends itself is delivered before Kill
			// returns, so count delivered ones too.
			l := logs[task]
			if len(task.Pending()) > 0 || len(l.got()) > 0 {
				who = append(who, task.Name())
			}
			l.mu.Lock()
			l.infos = nil
			l.mu.Unlock()
			task.mu.Lock()
			task.sigs = sigPending{}
			task.shared = sigPending{}
			task.nrt = 0
			task.npending.Store(0)
			task.mu.Unlock()
		}
		return who
	}
	cases := []struct {
		name string
		kill func() error
		want []string
	}{
		{"S4/kill-minus-pgid", func() error { return c.Kill(-a.Pid(), SIGUSR1) }, []string{"a", "b"}},
		{"S4/kernel-kill-minus-pgid", func() error { return k.Kill(-a.Pid(), SIGUSR1) }, []string{"a", "b"}},
		{"S4/kill-zero-own-group", func() error { return c.Kill(0, SIGUSR2) }, []string{"c"}},
		{"S4/kill-minus-one-all-but-self", func() error { return b.Kill(-1, SIGHUP) }, []string{"a", "c"}},
		{"S4/kernel-kill-minus-one-all", func() error { return k.Kill(-1, SIGHUP) }, []string{"a", "b", "c"}},
		{"S2/kill-self-delivers-before-return", func() error { return a.Kill(a.Pid(), SIGUSR1) }, []string{"a"}},
		{"S2/kill-pid", func() error { return a.Kill(c.Pid(), SIGUSR1) }, []string{"c"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.kill(); err != nil {
				t.Fatal(err)
			}
			if got := pendingOn(); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("signal reached %v, want %v", got, tc.want)
			}
		})
	}
	errCases := []struct {
		name string
		err  error
		want error
	}{
		{"S2/no-such-pid", a.Kill(999, SIGUSR1), ESRCH},
		{"S4/no-such-group", a.Kill(-999, SIGUSR1), ESRCH},
		{"S2/bad-signal", a.Kill(b.Pid(), NSIG), EINVAL},
		{"S2/negative-signal", a.Kill(b.Pid(), -1), EINVAL},
		{"S2/kernel-pid-zero", k.Kill(0, SIGUSR1), ESRCH},
		{"S2/most-negative-pid", a.Kill(-1<<63, SIGUSR1), ESRCH},
		{"S2/sigqueue-group", a.Sigqueue(-a.Pid(), SIGUSR1, nil), ESRCH},
		{"S2/sigqueue-bad-signal", a.Sigqueue(0, 99, nil), EINVAL},
	}
	for _, tc := range errCases {
		if tc.err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
}

// TestProcessGroups checks Setpgid and that -pgid reaches every member
// (S4), including one that joined later and not one that left.
func TestProcessGroups(t *testing.T) {
	k := newKernel(t, Config{})
	k.NewTask("init", Cred{}) // pid 1: kill(-1) means everyone
	leader := k.NewTask("leader", Cred{})
	m1 := k.NewTask("m1", Cred{})
	m2 := k.NewTask("m2", Cred{})
	if leader.Pgid() != leader.Pid() || m1.Pgid() != m1.Pid() {
		t.Fatal("S4: a new task must lead its own group")
	}
	for _, m := range []*Task{m1, m2} {
		if err := m.Setpgid(leader.Pid()); err != nil {
			t.Fatal(err)
		}
	}
	if err := m2.Setpgid(0); err != nil || m2.Pgid() != m2.Pid() {
		t.Fatalf("S4: Setpgid(0) = %v, pgid %d", err, m2.Pgid())
	}
	if err := m1.Setpgid(12345); err != EPERM { // as setpgid(2) on Linux 6.18
		t.Fatalf("S4: joining a missing group = %v, want EPERM", err)
	}
	if err := m1.Setpgid(-2); err != EINVAL {
		t.Fatalf("Setpgid(-2) = %v, want EINVAL", err)
	}
	var l1, l2, l3 sigLog
	l1.handle(t, leader, SIGUSR1, 0)
	l2.handle(t, m1, SIGUSR1, 0)
	l3.handle(t, m2, SIGUSR1, 0)
	if err := k.Kill(-leader.Pid(), SIGUSR1); err != nil {
		t.Fatal(err)
	}
	for _, task := range []*Task{leader, m1} {
		if len(task.Pending()) != 1 {
			t.Errorf("S4: %s did not get the group's signal", task.Name())
		}
	}
	if len(m2.Pending()) != 0 {
		t.Error("S4: a task that left the group got its signal")
	}
	leader.Exit()
	if err := k.Kill(-leader.Pid(), SIGUSR1); err != nil {
		t.Errorf("S4: a group outlives its leader: %v", err)
	}
	leader.Exit()
	m1.Exit()
	if err := k.Kill(-leader.Pid(), SIGUSR1); err != ESRCH {
		t.Errorf("S4: an empty group: %v, want ESRCH", err)
	}
	if err := m1.Setpgid(0); err != ESRCH {
		t.Errorf("Setpgid on a dead task = %v, want ESRCH", err)
	}
}
