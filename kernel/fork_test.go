package kernel

import (
	"context"
	"reflect"
	"testing"

	"github.com/fasync-go/fasync/internal/testutil"
)

// mustFork forks or fails the test.
func mustFork(tb testing.TB, t *Task, name string) *Task {
	tb.Helper()
	c, err := t.Fork(name)
	if err != nil {
		tb.Fatalf("Fork: %v", err)
	}
	return c
}

// TestFork checks T3: the child gets a new pid in the parent's group, a
// copy of the descriptor table naming the same open files (flags, owner
// and FASYNC shared: the owner stays the parent), FD_CLOEXEC copied, the
// handlers and the forking thread's mask, and no pending signals.
func TestFork(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	sh := k.NewTask("sh", Cred{})
	var l sigLog
	l.handle(t, sh, SIGIO, 0)
	l.handle(t, sh, SIGUSR1, 0)
	mustMask(t, sh, SIG_BLOCK, SigsetOf(SIGUSR1))
	sh.Kill(sh.Pid(), SIGUSR1) // pending, blocked
	fd := asyncOpen(t, sh, "pipe", sh.Pid(), 0)
	cfd, _ := sh.Fcntl(fd, F_DUPFD_CLOEXEC, 0)
	worker := mustThread(t, sh, "worker")
	mustMask(t, worker, SIG_SETMASK, SigsetOf(SIGHUP))
	child := mustFork(t, worker, "child")
	if child.Pid() == sh.Pid() || child.Tid() != child.Pid() || child.Pgid() != sh.Pgid() || child.Getppid() != sh.Pid() {
		t.Fatalf("T3: child pid %d tid %d pgid %d ppid %d", child.Pid(), child.Tid(), child.Pgid(), child.Getppid())
	}
	if got := child.Threads(); len(got) != 1 {
		t.Errorf("T3: the child has threads %v, want only its main thread", got)
	}
	if m := currentMask(t, child); m != SigsetOf(SIGHUP) {
		t.Errorf("T3: child mask %#x, want the forking thread's", uint64(m))
	}
	if p := child.Pending(); len(p) != 0 {
		t.Errorf("T3: the child inherited pending signals %v", p)
	}
	if old, _ := child.Sigaction(SIGIO, Sigaction{Handler: l.handler}); old.Handler == nil {
		t.Error("T3: the child did not inherit the SIGIO handler")
	}
	if v := mustFcntl(t, child, cfd, F_GETFD, 0); v != FD_CLOEXEC {
		t.Errorf("T3: FD_CLOEXEC not copied (F_GETFD %d)", v)
	}
	if own := mustFcntl(t, child, fd, F_GETOWN, 0); own != sh.Pid() {
		t.Errorf("T3: the child's copy of fd %d has owner %d, want the parent %d", fd, own, sh.Pid())
	}
	mustFcntl(t, child, fd, F_SETFL, O_RDWR) // the child clears O_NONBLOCK|FASYNC: shared file
	if fl := mustFcntl(t, sh, fd, F_GETFL, 0); fl&(O_NONBLOCK|FASYNC) != 0 {
		t.Errorf("T3: F_SETFL in the child did not reach the parent's file (flags %#x)", fl)
	}
	child.Close(fd)
	child.Close(cfd)
	for _, ev := range d.events() {
		if ev == "release" {
			t.Fatal("T3: the child's close released a file the parent still holds")
		}
	}
}

// TestExec checks T4: FD_CLOEXEC descriptors are closed (the file leaves
// its fasync list and is released), handlers return to the default while
// ignored signals stay ignored, the mask and pending signals are kept,
// the other threads end and an exec from a thread makes it the main one.
func TestExec(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	task := k.NewTask("sh", Cred{})
	var l sigLog
	l.handle(t, task, SIGUSR1, SA_RESTART)
	task.Sigaction(SIGHUP, Sigaction{Ignore: true, Flags: SA_RESTART})
	fd := asyncOpen(t, task, "pipe", task.Pid(), 0)
	mustFcntl(t, task, fd, F_SETFD, FD_CLOEXEC)
	keep := mustOpen(t, task, "pipe", O_RDONLY)
	mustMask(t, task, SIG_BLOCK, SigsetOf(SIGUSR2))
	task.Kill(task.Pid(), SIGUSR2)
	th := mustThread(t, task, "worker")
	other := mustThread(t, task, "other")
	ch := goRead(context.Background(), other, keep, make([]byte, 1))
	waitBlocked(t, other, 1)
	if err := th.Exec("cat"); err != nil {
		t.Fatal(err)
	}
	if r := await(t, ch); r.err != EBADF || other.Alive() || task.Alive() {
		t.Fatalf("T4: other threads after exec: read %v, alive other %v main %v", r.err, other.Alive(), task.Alive())
	}
	if th.Tid() != th.Pid() || th.Name() != "cat" || !reflect.DeepEqual(th.Threads(), []int{th.Pid()}) {
		t.Fatalf("T4: exec'ing thread tid %d pid %d name %q threads %v", th.Tid(), th.Pid(), th.Name(), th.Threads())
	}
	if got, ok := k.Task(th.Pid()); !ok || got != th {
		t.Error("T4: Kernel.Task(pid) does not find the exec'ing thread")
	}
	if _, err := th.Fcntl(fd, F_GETFD, 0); err != EBADF {
		t.Errorf("T4: the FD_CLOEXEC descriptor survived exec: %v", err)
	}
	if _, err := th.Fcntl(keep, F_GETFD, 0); err != nil {
		t.Errorf("T4: a descriptor without FD_CLOEXEC was closed: %v", err)
	}
	ev := d.events()
	if n := len(ev); n < 2 || ev[n-2] != "fasync off" || ev[n-1] != "release" {
		t.Errorf("T4: driver calls %v, want the exec to end with fasync off, release", ev)
	}
	old, _ := th.Sigaction(SIGUSR1, Sigaction{})
	if old.Handler != nil || old.Flags != 0 {
		t.Errorf("T4: SIGUSR1's handler survived exec: %+v", old)
	}
	old, _ = th.Sigaction(SIGHUP, Sigaction{Ignore: true})
	if !old.Ignore || old.Flags != 0 {
		t.Errorf("T4: SIGHUP after exec = %+v, want ignored, flags cleared", old)
	}
	if m := currentMask(t, th); m != SigsetOf(SIGUSR2) || th.Sigpending() != SigsetOf(SIGUSR2) {
		t.Errorf("T4: mask %#x pending %#x after exec, want SIGUSR2 both", uint64(m), uint64(th.Sigpending()))
	}
}

// TestWait4 checks T5: a child's exit sends its parent SIGCHLD (CLD_EXITED,
// with pid, uid and status) and leaves a zombie that Wait4 reaps once
// (pid selection, WNOHANG, ECHILD); a death by signal reports the signal.
func TestWait4(t *testing.T) {
	k := newKernel(t, Config{})
	sh := k.NewTask("sh", Cred{UID: 7, EUID: 7, SUID: 7})
	var l sigLog
	l.handle(t, sh, SIGCHLD, SA_RESTART)
	a := mustFork(t, sh, "a")
	b := mustFork(t, sh, "b")
	ctx := context.Background()
	if pid, st, err := sh.Wait4(ctx, -1, WNOHANG); pid != 0 || st != 0 || err != nil {
		t.Fatalf("T5: WNOHANG with running children = %d, %#x, %v", pid, st, err)
	}
	if _, _, err := sh.Wait4(ctx, 9999, 0); err != ECHILD {
		t.Fatalf("T5: Wait4(not a child) = %v, want ECHILD", err)
	}
	if _, _, err := a.Wait4(ctx, -1, 0); err != ECHILD {
		t.Fatalf("T5: Wait4 without children = %v, want ECHILD", err)
	}
	if _, _, err := sh.Wait4(ctx, -1, 0x40); err != EINVAL {
		t.Fatalf("T5: Wait4 with a bad option = %v, want EINVAL", err)
	}
	b.ExitGroup(3)
	sh.Getppid()
	if got := l.got(); len(got) != 1 || got[0].Code != CLD_EXITED || got[0].Pid != b.Pid() || got[0].Status != 3 || got[0].Uid != 7 {
		t.Fatalf("T5: SIGCHLD %+v", got)
	}
	pid, st, err := sh.Wait4(ctx, -1, 0)
	if err != nil || pid != b.Pid() || !st.Exited() || st.ExitStatus() != 3 || st != 3<<8 {
		t.Fatalf("T5: Wait4 = %d, %#x, %v; want %d exited 3", pid, st, err, b.Pid())
	}
	if _, _, err := sh.Wait4(ctx, b.Pid(), WNOHANG); err != ECHILD {
		t.Fatalf("T5: a reaped child is still waitable: %v", err)
	}
	done := make(chan result, 1)
	go func() {
		pid, st, err := sh.Wait4(ctx, 0, 0)
		if err == nil && (!st.Signaled() || st.Signal() != SIGTERM || st.CoreDump()) {
			t.Errorf("T5: status %#x, want killed by SIGTERM", st)
		}
		done <- result{pid, err}
	}()
	waitBlocked(t, sh, 1)
	k.Kill(a.Pid(), SIGTERM)
	if r := await(t, done); r.err != nil || r.n != a.Pid() {
		t.Fatalf("T5: Wait4 for the killed child = %d, %v", r.n, r.err)
	}
}

// TestWaitNoZombies checks T5: with SIGCHLD ignored (or SA_NOCLDWAIT) a
// child leaves no zombie, so Wait4 reports ECHILD; an orphan's exit
// leaves nothing behind either.
func TestWaitNoZombies(t *testing.T) {
	for _, act := range []Sigaction{{Ignore: true}, {Handler: func(*Task, *SigInfo) {}, Flags: SA_NOCLDWAIT}} {
		k := newKernel(t, Config{})
		sh := k.NewTask("sh", Cred{})
		sh.Sigaction(SIGCHLD, act)
		c := mustFork(t, sh, "c")
		g := mustFork(t, c, "grandchild")
		c.Exit()
		if g.Getppid() != 0 {
			t.Errorf("T5: an orphan's Getppid = %d, want 0", g.Getppid())
		}
		g.Exit()
		if _, _, err := sh.Wait4(context.Background(), -1, 0); err != ECHILD {
			t.Errorf("T5: %+v: Wait4 = %v, want ECHILD (no zombie)", act, err)
		}
	}
}

// TestStopContinue checks S10 and T5: SIGSTOP stops the process (its
// blocked calls stay asleep, signals other than SIGKILL wait), the parent
// sees CLD_STOPPED and Wait4(WUNTRACED); SIGCONT continues it (CLD_CONTINUED,
// WCONTINUED) and the interrupted call carries on; a handled SIGTSTP does
// not stop.
func TestStopContinue(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	sh := k.NewTask("sh", Cred{})
	var chld sigLog
	chld.handle(t, sh, SIGCHLD, SA_RESTART)
	job := mustFork(t, sh, "job")
	var l sigLog
	l.handle(t, job, SIGUSR1, SA_RESTART)
	l.handle(t, job, SIGTSTP, SA_RESTART)
	fd := mustOpen(t, job, "pipe", O_RDWR)
	ch := goRead(context.Background(), job, fd, make([]byte, 4))
	waitBlocked(t, job, 1)
	ctx := context.Background()
	sh.Kill(job.Pid(), SIGTSTP) // handled: no stop
	// The reader runs the handler and restarts (SA_RESTART); a SIGCONT
	// would discard a SIGTSTP still pending.
	testutil.WaitFor(t, "the SIGTSTP handler", func() bool { return len(l.got()) == 1 })
	waitBlocked(t, job, 1)
	if pid, _, _ := sh.Wait4(ctx, job.Pid(), WNOHANG|WUNTRACED); pid != 0 {
		t.Fatal("S10: a handled SIGTSTP stopped the job")
	}
	sh.Kill(job.Pid(), SIGSTOP)
	pid, st, err := sh.Wait4(ctx, job.Pid(), WUNTRACED)
	if err != nil || pid != job.Pid() || !st.Stopped() || st.StopSignal() != SIGSTOP {
		t.Fatalf("T5: Wait4(WUNTRACED) = %d, %#x, %v", pid, st, err)
	}
	if pid, _, _ := sh.Wait4(ctx, job.Pid(), WNOHANG|WUNTRACED); pid != 0 {
		t.Fatal("T5: a stop was reported twice")
	}
	sh.Kill(job.Pid(), SIGUSR1) // waits for the continuation
	if len(l.got()) > 1 {
		t.Fatalf("S10: a handler ran in a stopped process: %v", l.signos())
	}
	if !job.Alive() {
		t.Fatal("S10: SIGSTOP killed the job")
	}
	sh.Kill(job.Pid(), SIGCONT)
	pid, st, err = sh.Wait4(ctx, job.Pid(), WCONTINUED)
	if err != nil || pid != job.Pid() || !st.Continued() {
		t.Fatalf("T5: Wait4(WCONTINUED) = %d, %#x, %v", pid, st, err)
	}
	job.Write(ctx, fd, []byte("go"))
	if r := await(t, ch); r.err != nil || r.n != 2 {
		t.Fatalf("S10: the read interrupted by the stop = %d, %v; want 2 bytes", r.n, r.err)
	}
	if got := l.signos(); !reflect.DeepEqual(got, []int{SIGTSTP, SIGUSR1}) {
		t.Errorf("S10: handlers %v, want [SIGTSTP SIGUSR1]", got)
	}
	var codes []int
	for _, info := range chld.got() {
		codes = append(codes, info.Code)
	}
	if !reflect.DeepEqual(codes, []int{CLD_STOPPED, CLD_CONTINUED}) {
		t.Errorf("T5: SIGCHLD codes %v, want [CLD_STOPPED CLD_CONTINUED]", codes)
	}
	sh.Kill(job.Pid(), SIGSTOP)
	sh.Kill(job.Pid(), SIGKILL)
	pid, st, err = sh.Wait4(ctx, job.Pid(), 0)
	if err != nil || !st.Signaled() || st.Signal() != SIGKILL {
		t.Fatalf("S10: SIGKILL of a stopped job: %d, %#x, %v", pid, st, err)
	}
}

// TestKillZombie checks T5: an exited child not yet reaped still exists
// for kill(2) (0, nothing happens); once reaped its pid is ESRCH.
func TestKillZombie(t *testing.T) {
	k := newKernel(t, Config{})
	sh := k.NewTask("sh", Cred{})
	c := mustFork(t, sh, "c")
	c.Exit()
	if err := sh.Kill(c.Pid(), SIGTERM); err != nil {
		t.Fatalf("T5: kill of a zombie = %v, want nil", err)
	}
	if _, _, err := sh.Wait4(context.Background(), c.Pid(), 0); err != nil {
		t.Fatal(err)
	}
	if err := sh.Kill(c.Pid(), SIGTERM); err != ESRCH {
		t.Fatalf("T5: kill of a reaped child = %v, want ESRCH", err)
	}
}
