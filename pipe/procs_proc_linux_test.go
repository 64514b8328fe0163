package pipe_test

import (
	"fmt"

	"github.com/fasync-go/fasync/kernel"
)

// The model's twins of testdata/procs/proc.c: threads and owners, fork,
// exec, wait, stop and default actions (SPEC T1-T5, S10). Facts from
// LTP's fcntl31, fork and exec tests, gVisor's fork.cc, exec.cc and
// fcntl.cc (F_OWNER_TID), and signal(7), fork(2), execve(2), wait4(2).

var procTwins = []procScenario{
	{"T2/F_OWNER_TID-names-a-thread-that-takes-it", func(p *pt) { p.ownerTid(false) }},
	{"T2/F_OWNER_TID-names-a-thread-that-blocks-it", func(p *pt) { p.ownerTid(true) }},
	{"T2/F_OWNER_PID-skips-the-leader-that-blocks", func(p *pt) {
		t := p.leader
		p.handle(t, 40, p.record, 0, 0)
		r, w := p.mkpipe(t, "r", "w")
		p.block(t, "", kernel.SIG_BLOCK, 40)
		p.say("leader: sigprocmask(SIG_BLOCK, {40}) -> ok")
		t1 := p.wstart("thread1")
		t1.do(func() { p.block(t1.t, "thread1", kernel.SIG_UNBLOCK, 40) })
		p.own(t, r, kernel.F_OWNER_PID, t.Pid(), 40)
		p.say("fcntl(r, F_SETOWN_EX, {F_OWNER_PID, me}), F_SETSIG 40, O_ASYNC")
		p.write(t, w, "write(w, 1) -> %d")
		t1.do(func() { p.collectw(t1) })
		p.say("leader: sigpending() -> %s", p.pend(t))
		p.say("leader collects")
		p.collect(t)
		t1.stop()
	}},
	{"T2/process-signal-goes-to-the-one-thread-not-blocking", func(p *pt) {
		t := p.leader
		p.handle(t, sigUSR1, p.record, 0, 0)
		p.block(t, "", kernel.SIG_BLOCK, sigUSR1)
		p.say("leader: sigprocmask(SIG_BLOCK, {SIGUSR1}) -> ok")
		t1, t2 := p.wstart("thread1"), p.wstart("thread2")
		t2.do(func() { p.block(t2.t, "thread2", kernel.SIG_UNBLOCK, sigUSR1) })
		p.say("kill(me, SIGUSR1) -> %s", errStr(t.Kill(t.Pid(), sigUSR1)))
		t2.do(func() { p.collectw(t2) })
		t1.do(func() { p.collectw(t1) })
		t1.do(func() { p.say("thread1: sigpending() -> %s", p.pend(t1.t)) })
		p.say("leader: sigpending() -> %s", p.pend(t))
		p.say("leader collects")
		p.collect(t)
		t1.stop()
		t2.stop()
	}},
	{"T2/process-signal-waits-while-all-threads-block", func(p *pt) {
		t := p.leader
		p.handle(t, sigUSR1, p.record, 0, 0)
		p.block(t, "", kernel.SIG_BLOCK, sigUSR1)
		p.say("leader: sigprocmask(SIG_BLOCK, {SIGUSR1}) -> ok")
		t1 := p.wstart("thread1")
		p.say("kill(me, SIGUSR1) -> %s", errStr(t.Kill(t.Pid(), sigUSR1)))
		p.say("kill(me, SIGUSR1) -> %s", errStr(t.Kill(t.Pid(), sigUSR1)))
		p.say("leader: sigpending() -> %s", p.pend(t))
		t1.do(func() { p.say("thread1: sigpending() -> %s", p.pend(t1.t)) })
		t1.do(func() { p.block(t1.t, "thread1", kernel.SIG_UNBLOCK, sigUSR1) })
		t1.do(func() { p.collectw(t1) })
		p.say("leader: sigpending() -> %s", p.pend(t))
		t1.stop()
	}},
	{"T2/P1/SIGPIPE-goes-to-the-writing-thread", func(p *pt) {
		t := p.leader
		p.handle(t, sigPIPE, p.record, 0, 0)
		r, w := p.mkpipe(t, "r", "w")
		p.say("close(r) -> %s", errStr(t.Close(r)))
		t1 := p.wstart("thread1")
		t1.do(func() {
			_, err := t1.t.Write(bg, w, []byte("x"))
			p.say("thread1: write(w, 1) -> %s", orOne(err))
		})
		t1.do(func() { p.collectw(t1) })
		p.say("leader collects")
		p.collect(t)
		t1.stop()
	}},
	{"T1/tgkill-of-an-exited-thread-ESRCH", func(p *pt) {
		t := p.leader
		t1 := p.wstart("thread1")
		tid := t1.t.Tid()
		p.say("tgkill(thread1, 0) -> %s", errStr(t.Tgkill(t.Pid(), tid, 0)))
		t1.stop()
		p.say("thread1 exits")
		p.say("tgkill(thread1, 0) -> %s", errStr(t.Tgkill(t.Pid(), tid, 0)))
		p.say("tgkill(thread1, SIGUSR1) -> %s", errStr(t.Tgkill(t.Pid(), tid, sigUSR1)))
	}},
	{"T1/threads-share-handlers", func(p *pt) {
		t := p.leader
		t1 := p.wstart("thread1")
		t1.do(func() {
			_, err := t1.t.Sigaction(sigUSR1, kernel.Sigaction{Handler: p.record, Flags: kernel.SA_SIGINFO})
			p.say("thread1: sigaction(SIGUSR1, handler) -> %s", errStr(err))
		})
		p.say("leader: sigaction(SIGUSR1) -> %s", dispName(action(t, sigUSR1)))
		p.say("tgkill(me, SIGUSR1) -> %s", errStr(p.tgkillSelf(t, sigUSR1)))
		p.say("leader collects")
		p.collect(t)
		t1.stop()
	}},
	{"T3/fork-with-an-owner-set", forkOwner},
	{"T3/fork-copies-mask-and-handlers-not-pending", forkMaskHandlers},
	{"T4/exec-closes-FD_CLOEXEC-and-keeps-FASYNC", execCloexec},
	{"T5/wait4-WNOHANG-SIGCHLD-ECHILD", waitNohang},
	{"S10/O_ASYNC-without-a-handler-dies-of-SIGIO", sigioDefaultKills},
	{"S10/T5/stop-continue-terminate", stopContinue},
	{"S10/default-actions", defaultActions},
}

func orOne(err error) string {
	if err != nil {
		return errStr(err)
	}
	return "1"
}

// block changes t's mask by sigs and, for a named thread, prints it as
// procs.c's block40 and friends do.
func (p *pt) block(t *kernel.Task, name string, how int, sigs ...int) {
	s := kernel.SigsetOf(sigs...)
	_, err := t.Sigprocmask(how, &s)
	if name != "" {
		p.say("%s: sigprocmask(%s, %s) -> %s", name, howName(how), setNames(uint64(s)), errStr(err))
	}
}

// collectw is procs.c's collectw: the worker prints its records.
func (p *pt) collectw(w *ptWorker) {
	p.say("%s collects", w.name)
	p.collect(w.t)
}

// write writes one byte and prints format with the count (or -1).
func (p *pt) write(t *kernel.Task, fd int, format string) {
	n, err := t.Write(bg, fd, []byte("x"))
	if err != nil {
		n = -1
	}
	p.say(format, n)
}

func (p *pt) ownerTid(block bool) {
	t := p.leader
	p.handle(t, 40, p.record, 0, 0)
	r, w := p.mkpipe(t, "r", "w")
	t1 := p.wstart("thread1")
	if block {
		t1.do(func() { p.block(t1.t, "thread1", kernel.SIG_BLOCK, 40) })
	}
	p.own(t, r, kernel.F_OWNER_TID, t1.t.Tid(), 40)
	p.say("fcntl(r, F_SETOWN_EX, {F_OWNER_TID, thread1}), F_SETSIG 40, O_ASYNC")
	p.write(t, w, "write(w, 1) -> %d")
	p.say("leader: sigpending() -> %s", p.pend(t))
	t1.do(func() { p.say("thread1: sigpending() -> %s", p.pend(t1.t)) })
	t1.do(func() { p.collectw(t1) })
	if block {
		t1.do(func() { p.block(t1.t, "thread1", kernel.SIG_UNBLOCK, 40) })
		t1.do(func() { p.collectw(t1) })
	}
	p.say("leader collects")
	p.collect(t)
	t1.stop()
}

// fork makes a child process of t, named "child" (its parent "parent").
func (p *pt) fork(t *kernel.Task) *kernel.Task {
	c, err := t.Fork("child")
	if err != nil {
		p.t.Fatalf("fork: %v", err)
	}
	p.mu.Lock()
	p.pids[t.Pid()], p.pids[c.Pid()], p.tids[c.Tid()] = "parent", "child", "child"
	p.mu.Unlock()
	return c
}

func forkOwner(p *pt) {
	t := p.leader
	r, w := p.mkpipe(t, "r", "w")
	p.block(t, "", kernel.SIG_BLOCK, 40)
	p.say("sigprocmask(SIG_BLOCK, {40}) -> ok")
	_, _ = t.Fcntl(r, kernel.F_SETOWN, t.Pid())
	_, _ = t.Fcntl(r, kernel.F_SETSIG, 40)
	_, _ = t.Fcntl(r, kernel.F_SETFL, kernel.O_ASYNC)
	p.say("fcntl(r, F_SETOWN, me), F_SETSIG 40, O_ASYNC")
	c := p.fork(t)
	own, _ := c.Fcntl(r, kernel.F_GETOWN, 0)
	p.say("child: fcntl(r, F_GETOWN) -> %s", p.pidName(c, own))
	fl, _ := c.Fcntl(r, kernel.F_GETFL, 0)
	p.say("child: fcntl(r, F_GETFL) -> %s", map[bool]string{true: "O_ASYNC", false: "0"}[fl&kernel.O_ASYNC != 0])
	p.write(c, w, "child: write(w, 1) -> %d")
	p.say("child: sigpending() -> %s", p.pend(c))
	_, _ = c.Fcntl(r, kernel.F_SETOWN, c.Pid())
	p.say("child: fcntl(r, F_SETOWN, me) -> ok")
	p.write(c, w, "child: write(w, 1) -> %d")
	p.say("child: sigpending() -> %s", p.pend(c))
	c.ExitGroup(0)
	p.waitLine(t, "wait4(child, 0)", c.Pid(), 0)
	own, _ = t.Fcntl(r, kernel.F_GETOWN, 0)
	p.say("fcntl(r, F_GETOWN) -> %s", p.pidName(t, own))
	p.say("sigpending() -> %s", p.pend(t))
	p.drain(t, "", 40)
}

// drain takes every pending sig with sigtimedwait and a zero timeout.
func (p *pt) drain(t *kernel.Task, prefix string, sig int) {
	for {
		si, err := t.Sigtimedwait(bg, kernel.SigsetOf(sig), 0)
		if err != nil {
			p.say("%ssigtimedwait({%s}, 0s) -> %s", prefix, sigName(sig), errStr(err))
			return
		}
		p.say("%ssigtimedwait({%s}, 0s) -> %s", prefix, sigName(sig), p.siline(t, &si))
	}
}

func forkMaskHandlers(p *pt) {
	t := p.leader
	p.handle(t, sigUSR2, p.record, 0, 0)
	p.block(t, "", kernel.SIG_BLOCK, sigUSR1)
	p.say("sigprocmask(SIG_BLOCK, {SIGUSR1}) -> ok")
	p.say("tgkill(me, SIGUSR1) -> %s", errStr(p.tgkillSelf(t, sigUSR1)))
	c := p.fork(t)
	p.say("child: mask -> %s", p.mask(c))
	p.say("child: sigpending() -> %s", p.pend(c))
	p.say("child: sigaction(SIGUSR2) -> %s", dispName(action(c, sigUSR2)))
	p.say("child: getppid() -> %s", p.pidName(c, c.Getppid()))
	p.say("child: tgkill(me, SIGUSR2) -> %s", errStr(p.tgkillSelf(c, sigUSR2)))
	p.say("child collects")
	p.collect(c)
	c.ExitGroup(7)
	p.waitLine(t, "wait4(-1, 0)", -1, 0)
	p.say("sigpending() -> %s", p.pend(t))
	p.say("mask -> %s", p.mask(t))
}

func execCloexec(p *pt) {
	t := p.leader
	r, w := p.mkpipe(t, "r", "w")
	r2, w2 := p.mkpipe(t, "r2", "w2")
	p.handle(t, sigUSR1, p.record, 0, 0)
	_, _ = t.Sigaction(sigUSR2, kernel.Sigaction{Ignore: true})
	p.block(t, "", kernel.SIG_BLOCK, 41, sigPIPE)
	p.say("sigprocmask(SIG_BLOCK, {SIGPIPE,41}) -> ok")
	p.own(t, r, kernel.F_OWNER_PID, t.Pid(), 41)
	_, _ = t.Fcntl(r, kernel.F_SETFD, kernel.FD_CLOEXEC)
	p.say("r: F_SETOWN_EX {F_OWNER_PID, me}, F_SETSIG 41, O_ASYNC, FD_CLOEXEC")
	p.own(t, r2, kernel.F_OWNER_PID, t.Pid(), 41)
	p.say("r2: F_SETOWN_EX {F_OWNER_PID, me}, F_SETSIG 41, O_ASYNC")
	p.say("tgkill(me, 41) -> %s", errStr(p.tgkillSelf(t, 41)))
	p.say("execve(self)")
	if err := t.Exec("procs"); err != nil {
		p.say("execve -> %s", errStr(err))
		return
	}
	_, err := t.Fcntl(r, kernel.F_GETFD, 0)
	p.say("exec'd: fcntl(r, F_GETFD) -> %s", map[bool]string{true: "open", false: errStr(err)}[err == nil])
	v, _ := t.Fcntl(w, kernel.F_GETFD, 0)
	p.say("exec'd: fcntl(w, F_GETFD) -> %d", v)
	fl, _ := t.Fcntl(r2, kernel.F_GETFL, 0)
	p.say("exec'd: fcntl(r2, F_GETFL) -> %s", map[bool]string{true: "O_ASYNC", false: "0"}[fl&kernel.O_ASYNC != 0])
	p.say("exec'd: sigaction(SIGUSR1) -> %s", dispName(action(t, sigUSR1)))
	p.say("exec'd: sigaction(SIGUSR2) -> %s", dispName(action(t, sigUSR2)))
	p.say("exec'd: mask -> %s", p.mask(t))
	p.say("exec'd: sigpending() -> %s", p.pend(t))
	p.write(t, w2, "exec'd: write(w2, 1) -> %d")
	p.drain(t, "exec'd: ", 41)
	_, err = t.Write(bg, w, []byte("x"))
	p.say("exec'd: write(w, 1) -> %s", orOne(err))
	p.say("exec'd: sigpending() -> %s", p.pend(t))
}

// childWaiting forks a child that exits with status 3 once it reads a
// byte from q; it returns the child and q's write end.
func (p *pt) childWaiting(t *kernel.Task) (*kernel.Task, int) {
	qr, qw := p.mkpipe(t, "q0", "q")
	c := p.fork(t)
	_ = c.Close(qw)
	go func() {
		buf := make([]byte, 1)
		for {
			if _, err := c.Read(bg, qr, buf); err != kernel.EINTR {
				break
			}
		}
		c.ExitGroup(3)
	}()
	_ = t.Close(qr)
	return c, qw
}

func waitNohang(p *pt) {
	t := p.leader
	p.block(t, "", kernel.SIG_BLOCK, sigCHLD)
	p.say("sigprocmask(SIG_BLOCK, {SIGCHLD}) -> ok")
	c, q := p.childWaiting(t)
	p.waitLine(t, "wait4(child, WNOHANG)", c.Pid(), kernel.WNOHANG)
	p.say("sigpending() -> %s", p.pend(t))
	p.write(t, q, "write(q, 1) -> %d")
	p.waitLine(t, "wait4(child, 0)", c.Pid(), 0)
	p.say("sigpending() -> %s", p.pend(t))
	si, err := t.Sigtimedwait(bg, kernel.SigsetOf(sigCHLD), -1)
	code := "?"
	if err == nil && si.Code == kernel.CLD_EXITED {
		code = "CLD_EXITED"
	}
	p.say("sigtimedwait({SIGCHLD}) -> signal %s code=%s status=%d", sigName(si.Signo), code, si.Status)
	p.waitLine(t, "wait4(-1, WNOHANG)", -1, kernel.WNOHANG)
	p.waitLine(t, "wait4(child, 0)", c.Pid(), 0)
}

func sigioDefaultKills(p *pt) {
	t := p.leader
	c := p.fork(t)
	r, w := p.mkpipe(c, "r", "w")
	_, _ = c.Fcntl(r, kernel.F_SETOWN, c.Pid())
	_, _ = c.Fcntl(r, kernel.F_SETFL, kernel.O_ASYNC)
	p.say("child: fcntl(r, F_SETOWN, me), O_ASYNC, no handler")
	p.say("child: sigaction(SIGIO) -> %s", dispName(action(c, sigIO)))
	n, _ := c.Write(bg, w, []byte("x"))
	if c.Alive() { // a process killed by the signal runs no more code
		p.say("child: write(w, 1) -> %d, still alive", n)
		c.ExitGroup(0)
	}
	p.waitLine(t, "wait4(child, 0)", c.Pid(), 0)
}

func stopContinue(p *pt) {
	t := p.leader
	c, _ := p.childWaiting(t)
	pid := c.Pid()
	p.say("kill(child, SIGSTOP) -> %s", errStr(t.Kill(pid, sigSTOP)))
	p.waitLine(t, "wait4(child, WUNTRACED)", pid, kernel.WUNTRACED)
	p.waitLine(t, "wait4(child, WUNTRACED|WNOHANG)", pid, kernel.WUNTRACED|kernel.WNOHANG)
	p.say("kill(child, SIGCONT) -> %s", errStr(t.Kill(pid, sigCONT)))
	p.waitLine(t, "wait4(child, WCONTINUED)", pid, kernel.WCONTINUED)
	p.say("kill(child, SIGTERM) -> %s", errStr(t.Kill(pid, sigTERM)))
	p.waitLine(t, "wait4(child, 0)", pid, 0)
	p.waitLine(t, "wait4(child, 0)", pid, 0)
}

func defaultActions(p *pt) {
	t := p.leader
	for _, sig := range []int{sigCHLD, sigCONT, sigUSR2, 40, sigPIPE} {
		c := p.fork(t)
		_ = p.tgkillSelf(c, sig)
		if c.Alive() {
			c.ExitGroup(0)
		}
		p.waitLine(t, fmt.Sprintf("child tgkill(me, %s); wait4(child, 0)", sigName(sig)), c.Pid(), 0)
	}
}
