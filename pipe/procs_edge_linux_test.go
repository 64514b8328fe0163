package pipe_test

import (
	"encoding/binary"
	"strconv"

	"github.com/fasync-go/fasync/kernel"
)

// The model's twins of testdata/procs/edge.c: stopped children, wait4's
// pid forms, kill's group forms, tgkill's checks and fork from a thread
// (SPEC S1, S3, S10, T1, T3, T5). Facts from the kernel's signal.c
// (prepare_signal, wants_signal, complete_signal, do_tkill), exit.c
// (do_wait's eligible_pid), fork(2), wait4(2), kill(2), tgkill(2) and
// signal(7).

var edgeTwins = []procScenario{
	{"E1/S10/poll-restarts-after-a-stop", func(p *pt) {
		p.stoppedCall("poll({r}, -1)", func(c *kernel.Task, r int) error {
			_, err := c.Poll(bg, []kernel.PollFd{{Fd: r, Events: kernel.POLLIN}}, -1)
			return err
		})
	}},
	{"E1/S10/select-restarts-after-a-stop", func(p *pt) {
		p.stoppedCall("select({r}, NULL)", func(c *kernel.Task, r int) error {
			var rd kernel.FdSet
			rd.Set(r)
			_, err := c.Select(bg, r+1, &rd, nil, nil, nil)
			return err
		})
	}},
	{"E2/S10/epoll_wait-is-not-restarted-after-a-stop", func(p *pt) {
		t := p.leader
		r, w := p.mkpipe(t, "r", "w")
		p.pids[t.Pid()] = "parent"
		c := p.fork(t)
		ids := make(chan uint64, 1)
		go func() {
			ep, _ := c.EpollCreate1(0)
			_ = c.EpollCtl(ep, kernel.EPOLL_CTL_ADD, r, &kernel.EpollEvent{Events: kernel.EPOLLIN})
			ids <- goid()
			_, err := c.EpollWait(bg, ep, make([]kernel.EpollEvent, 1), -1)
			p.say("child: epoll_wait(ep, 1, -1) -> %s", orOne(err))
			c.ExitGroup(3)
		}()
		g := <-ids
		pid := c.Pid()
		p.say("child asleep in epoll_wait: %d", b2i(waitFor(func() bool { return parkedInKernel(g) })))
		p.say("kill(child, SIGSTOP) -> %s", errStr(t.Kill(pid, sigSTOP)))
		p.waitLine(t, "wait4(child, WUNTRACED)", pid, kernel.WUNTRACED)
		// As in firstDecides: on Linux the child has stopped when wait4
		// returns.
		waitFor(func() bool { return parkedAt(g, "kernel.(*Task).dequeueForDelivery") })
		p.say("kill(child, SIGCONT), write(w, 1)")
		_ = t.Kill(pid, sigCONT)
		if n, err := t.Write(bg, w, []byte("x")); n != 1 {
			p.say("write: %s", errStr(err))
		}
		p.waitLine(t, "wait4(child, 0)", pid, 0)
	}},
	{"S8/S10/sigtimedwait-is-not-restarted-after-a-stop", func(p *pt) {
		t := p.leader
		p.block(t, "", kernel.SIG_BLOCK, sigUSR1)
		p.pids[t.Pid()] = "parent"
		c := p.fork(t)
		ids := make(chan uint64, 1)
		go func() {
			ids <- goid()
			si, err := c.Sigtimedwait(bg, kernel.SigsetOf(sigUSR1), -1)
			res := errStr(err)
			if err == nil {
				res = p.siline(c, &si)
			}
			p.say("child: sigtimedwait({SIGUSR1}, NULL) -> %s", res)
			c.ExitGroup(3)
		}()
		g := <-ids
		pid := c.Pid()
		p.say("child asleep in rt_sigtimedwait: %d", b2i(waitFor(func() bool { return parkedInKernel(g) })))
		p.say("kill(child, SIGSTOP) -> %s", errStr(t.Kill(pid, sigSTOP)))
		p.waitLine(t, "wait4(child, WUNTRACED)", pid, kernel.WUNTRACED)
		// As in firstDecides: on Linux the child has stopped when wait4
		// returns.
		waitFor(func() bool { return parkedAt(g, "kernel.(*Task).dequeueForDelivery") })
		p.say("kill(child, SIGCONT), kill(child, SIGUSR1)")
		_ = t.Kill(pid, sigCONT)
		_ = t.Kill(pid, sigUSR1)
		p.waitLine(t, "wait4(child, 0)", pid, 0)
	}},
	{"K1/S2/SIGPIPE-ignored-blocked-and-handled", func(p *pt) {
		t := p.leader
		r, w := p.mkpipe(t, "r", "w")
		_ = t.Close(r)
		wr1 := func() string {
			_, err := t.Write(bg, w, []byte("x"))
			return orOne(err)
		}
		_, _ = t.Sigaction(sigPIPE, kernel.Sigaction{Ignore: true})
		p.say("sigaction(SIGPIPE, SIG_IGN); write(w, 1) -> %s", wr1())
		p.say("sigpending() -> %s", p.pend(t))
		p.block(t, "", kernel.SIG_BLOCK, sigPIPE)
		p.say("SIGPIPE blocked; write(w, 1) -> %s", wr1())
		p.say("sigpending() -> %s", p.pend(t))
		_, _ = t.Sigaction(sigPIPE, kernel.Sigaction{})
		p.say("sigaction(SIGPIPE, SIG_DFL); sigpending() -> %s", p.pend(t))
		p.handle(t, sigPIPE, p.record, 0, 0)
		s := kernel.SigsetOf(sigPIPE)
		_, err := t.Sigprocmask(kernel.SIG_UNBLOCK, &s)
		p.say("sigaction(SIGPIPE, handler); sigprocmask(SIG_UNBLOCK, {SIGPIPE}) -> %s", errStr(err))
		p.collect(t)
		p.say("write(w, 1) -> %s", wr1())
		p.collect(t)
	}},
	{"E2/S7/epoll_pwait's-first-frame-restores-the-old-mask", func(p *pt) {
		t := p.leader
		p.handle(t, sigUSR1, p.record, 0, kernel.SigsetOf(sigUSR2))
		p.handle(t, sigUSR2, p.record, 0, 0)
		p.block(t, "", kernel.SIG_BLOCK, sigUSR1, sigUSR2)
		p.say("SIGUSR1's sa_mask {SIGUSR2}; both blocked")
		p.say("tgkill(me, SIGUSR2) -> %s", errStr(p.tgkillSelf(t, sigUSR2)))
		p.say("tgkill(me, SIGUSR1) -> %s", errStr(p.tgkillSelf(t, sigUSR1)))
		r, _ := p.mkpipe(t, "r", "w")
		ep, _ := t.EpollCreate1(0)
		_ = t.EpollCtl(ep, kernel.EPOLL_CTL_ADD, r, &kernel.EpollEvent{Events: kernel.EPOLLIN})
		none := kernel.Sigset(0)
		_, err := t.EpollPwait(bg, ep, make([]kernel.EpollEvent, 1), -1, &none)
		p.say("epoll_pwait(ep, 1, -1, {}) -> %s", errStr(err))
		p.collect(t)
		p.say("sigpending() -> %s", p.pend(t))
		p.say("mask -> %s", p.mask(t))
	}},
	{"T4/S10/exec-keeps-pending-signals-and-resets-their-handlers", func(p *pt) {
		t := p.leader
		c := p.fork(t)
		p.handle(c, sigUSR1, p.record, 0, 0)
		p.handle(c, sigCHLD, p.record, 0, 0)
		p.block(c, "", kernel.SIG_BLOCK, sigUSR1, sigCHLD)
		_ = p.tgkillSelf(c, sigUSR1)
		_ = p.tgkillSelf(c, sigCHLD)
		p.say("child: handlers for SIGUSR1 and SIGCHLD, both blocked and pending; execve(self)")
		if err := c.Exec("procs"); err != nil {
			p.say("child: execve -> %s", errStr(err))
		}
		p.say("exec'd child: sigaction(SIGUSR1) -> %s", dispName(action(c, sigUSR1)))
		p.say("exec'd child: mask -> %s", p.mask(c))
		p.say("exec'd child: sigpending() -> %s", p.pend(c))
		p.block(c, "", kernel.SIG_UNBLOCK, sigCHLD)
		p.say("exec'd child: unblock SIGCHLD; sigpending() -> %s", p.pend(c))
		p.block(c, "", kernel.SIG_UNBLOCK, sigUSR1)
		if c.Alive() { // a process killed by the signal runs no more code
			p.say("exec'd child: still alive after unblocking SIGUSR1")
			c.ExitGroup(0)
		}
		p.waitLine(t, "wait4(child, 0)", c.Pid(), 0)
	}},
	{"S1/S6/SA_NODEFER-runs-a-queue-newest-first", func(p *pt) {
		t := p.leader
		for _, nodefer := range []bool{false, true} {
			flags, name := 0, "0"
			if nodefer {
				flags, name = kernel.SA_NODEFER, "SA_NODEFER"
			}
			p.handle(t, 40, func(t *kernel.Task, si *kernel.SigInfo) {
				p.say("handler %s value=%v mask=%s", sigName(si.Signo), si.Value, p.mask(t))
			}, flags, 0)
			p.block(t, "", kernel.SIG_BLOCK, 40)
			p.say("40 %s, blocked", name)
			for v := 1; v <= 3; v++ {
				p.say("sigqueue(me, 40, %d) -> %s", v, errStr(t.Sigqueue(t.Pid(), 40, v)))
			}
			s := kernel.SigsetOf(40)
			_, err := t.Sigprocmask(kernel.SIG_UNBLOCK, &s)
			p.say("sigprocmask(SIG_UNBLOCK, {40}) -> %s", errStr(err))
		}
	}},
	{"S2/S10/SIG_DFL-of-a-default-ignored-signal-discards-it", func(p *pt) {
		t := p.leader
		p.block(t, "", kernel.SIG_BLOCK, sigCHLD, sigCONT)
		p.say("sigprocmask(SIG_BLOCK, {SIGCHLD,SIGCONT}) -> ok")
		p.say("tgkill(me, SIGCHLD) -> %s", errStr(p.tgkillSelf(t, sigCHLD)))
		p.say("tgkill(me, SIGCONT) -> %s", errStr(p.tgkillSelf(t, sigCONT)))
		p.say("sigpending() -> %s", p.pend(t))
		p.handle(t, sigCHLD, p.record, 0, 0)
		p.handle(t, sigCONT, p.record, 0, 0)
		p.say("sigaction(SIGCHLD, SIGCONT: handler); sigpending() -> %s", p.pend(t))
		_, _ = t.Sigaction(sigCHLD, kernel.Sigaction{})
		p.say("sigaction(SIGCHLD, SIG_DFL); sigpending() -> %s", p.pend(t))
		_, _ = t.Sigaction(sigCONT, kernel.Sigaction{})
		p.say("sigaction(SIGCONT, SIG_DFL); sigpending() -> %s", p.pend(t))
		p.say("tgkill(me, SIGCHLD) -> %s", errStr(p.tgkillSelf(t, sigCHLD)))
		p.say("sigpending() -> %s", p.pend(t))
		s := kernel.SigsetOf(sigCHLD, sigCONT)
		_, err := t.Sigprocmask(kernel.SIG_UNBLOCK, &s)
		p.say("sigprocmask(SIG_UNBLOCK, {SIGCHLD,SIGCONT}) -> %s", errStr(err))
		p.say("sigpending() -> %s", p.pend(t))
		p.collect(t)
	}},
	{"E7/S3/a-blocked-FIFO-open-restarts-with-SA_RESTART", func(p *pt) { p.fifoOpenInterrupted(true) }},
	{"E7/S3/a-blocked-FIFO-open-fails-EINTR-without", func(p *pt) { p.fifoOpenInterrupted(false) }},
	{"S3/S10/the-first-signal-taken-restarts-the-read", func(p *pt) { p.firstDecides(true) }},
	{"S3/S10/the-first-signal-taken-interrupts-the-read", func(p *pt) { p.firstDecides(false) }},
	{"S7/S6/sigsuspend's-first-frame-restores-the-old-mask", func(p *pt) {
		t := p.leader
		p.handle(t, sigUSR1, p.record, 0, kernel.SigsetOf(sigUSR2))
		p.handle(t, sigUSR2, p.record, 0, 0)
		p.block(t, "", kernel.SIG_BLOCK, sigUSR1, sigUSR2)
		p.say("SIGUSR1's sa_mask {SIGUSR2}; both blocked")
		p.say("tgkill(me, SIGUSR2) -> %s", errStr(p.tgkillSelf(t, sigUSR2)))
		p.say("tgkill(me, SIGUSR1) -> %s", errStr(p.tgkillSelf(t, sigUSR1)))
		p.say("sigsuspend({}) -> %s", errStr(t.Sigsuspend(bg, 0)))
		p.collect(t)
		p.say("sigpending() -> %s", p.pend(t))
		p.say("mask -> %s", p.mask(t))
		p.say("sigsuspend({SIGUSR1}) -> %s", errStr(t.Sigsuspend(bg, kernel.SigsetOf(sigUSR1))))
		p.collect(t)
		p.say("sigpending() -> %s", p.pend(t))
	}},
	{"S6/signals-unblocked-together-run-highest-first", func(p *pt) { p.together(0) }},
	{"S6/an-sa_mask-holds-back-a-later-signal", func(p *pt) { p.together(kernel.SigsetOf(40)) }},
	{"S9/T5/signalfd-records-of-SIGCHLD-sigqueue-and-kill", signalfdRecords},
	{"S10/T5/SIGKILL-ends-a-stopped-child", func(p *pt) {
		t := p.leader
		c, _, _ := p.waiter(t, "child", false, false)
		pid := c.Pid()
		p.say("kill(child, SIGSTOP) -> %s", errStr(t.Kill(pid, sigSTOP)))
		p.waitLine(t, "wait4(child, WUNTRACED)", pid, kernel.WUNTRACED)
		p.say("kill(child, SIGKILL) -> %s", errStr(t.Kill(pid, sigKILL)))
		p.waitLine(t, "wait4(child, 0)", pid, 0)
	}},
	{"S10/T5/a-fatal-signal-waits-for-SIGCONT-in-a-stopped-child", func(p *pt) {
		t := p.leader
		c, _, _ := p.waiter(t, "child", false, false)
		pid := c.Pid()
		p.say("kill(child, SIGSTOP) -> %s", errStr(t.Kill(pid, sigSTOP)))
		p.waitLine(t, "wait4(child, WUNTRACED)", pid, kernel.WUNTRACED)
		p.say("kill(child, SIGTERM) -> %s", errStr(t.Kill(pid, sigTERM)))
		p.waitLine(t, "wait4(child, WNOHANG|WUNTRACED)", pid, kernel.WNOHANG|kernel.WUNTRACED)
		p.say("kill(child, SIGCONT) -> %s", errStr(t.Kill(pid, sigCONT)))
		p.waitLine(t, "wait4(child, 0)", pid, 0)
	}},
	{"S10/T5/SIGTSTP-stops-unless-ignored", func(p *pt) {
		t := p.leader
		_, _ = t.Sigaction(sigTSTP, kernel.Sigaction{Ignore: true})
		c1, q, _ := p.waiter(t, "child", false, false)
		_, _ = t.Sigaction(sigTSTP, kernel.Sigaction{})
		c2, _, _ := p.waiter(t, "child2", false, false)
		p.say("child ignores SIGTSTP, child2 does not")
		p.say("kill(child, SIGTSTP) -> %s", errStr(t.Kill(c1.Pid(), sigTSTP)))
		p.say("kill(child2, SIGTSTP) -> %s", errStr(t.Kill(c2.Pid(), sigTSTP)))
		p.waitLine(t, "wait4(child2, WUNTRACED)", c2.Pid(), kernel.WUNTRACED)
		p.waitLine(t, "wait4(child, WNOHANG|WUNTRACED)", c1.Pid(), kernel.WNOHANG|kernel.WUNTRACED)
		p.say("kill(child2, SIGKILL) -> %s", errStr(t.Kill(c2.Pid(), sigKILL)))
		p.waitLine(t, "wait4(child2, 0)", c2.Pid(), 0)
		p.write(t, q, "write(q, 1) -> %d")
		p.waitLine(t, "wait4(-1, 0)", -1, 0)
	}},
	{"T5/wait4-by-pid-process-group-and-any", waitForms},
	{"S1/T1/kill-of-groups-and-tgkill's-checks", killForms},
	{"T3/fork-in-a-thread-copies-that-thread", func(p *pt) {
		t := p.leader
		w := p.wstart("thread1")
		w.do(func() {
			p.block(w.t, "thread1", kernel.SIG_BLOCK, sigUSR2)
			c := p.fork(w.t)
			p.say("child: threads -> %d, tid == pid: %d", len(c.Threads()), b2i(c.Tid() == c.Pid()))
			p.say("child: getppid() -> %s", p.pidName(c, c.Getppid()))
			p.say("child: mask -> %s", p.mask(c))
			c.ExitGroup(5)
		})
		p.waitLine(t, "leader: wait4(-1, 0)", -1, 0)
		p.say("leader: mask -> %s", p.mask(t))
		w.stop()
	}},
	{"S3/S10/read-restarts-across-stop-and-continue", func(p *pt) {
		t := p.leader
		c, q, g := p.waiter(t, "child", true, true)
		pid := c.Pid()
		p.say("child asleep in read: %d", b2i(waitFor(func() bool { return parkedInKernel(g) })))
		p.say("kill(child, SIGSTOP) -> %s", errStr(t.Kill(pid, sigSTOP)))
		p.waitLine(t, "wait4(child, WUNTRACED)", pid, kernel.WUNTRACED)
		p.say("kill(child, SIGCONT) -> %s", errStr(t.Kill(pid, sigCONT)))
		p.waitLine(t, "wait4(child, WCONTINUED)", pid, kernel.WCONTINUED)
		p.say("child asleep in read: %d", b2i(waitFor(func() bool { return parkedInKernel(g) })))
		p.say("write(q, 1)")
		if n, _ := t.Write(bg, q, []byte("x")); n != 1 {
			p.say("write(q, 1) failed")
		}
		p.waitLine(t, "wait4(child, 0)", pid, 0)
	}},
	{"S3/S10/a-SIGCONT-handler-interrupts-a-read", func(p *pt) {
		t := p.leader
		p.pids[t.Pid()] = "parent"
		p.handle(t, sigCONT, func(c *kernel.Task, si *kernel.SigInfo) {
			p.say("child: handler %s %s", sigName(si.Signo), p.siline(c, si))
		}, 0, 0)
		c, _, g := p.waiter(t, "child", true, true)
		_, _ = t.Sigaction(sigCONT, kernel.Sigaction{})
		pid := c.Pid()
		p.say("child asleep in read: %d", b2i(waitFor(func() bool { return parkedInKernel(g) })))
		p.say("kill(child, SIGSTOP) -> %s", errStr(t.Kill(pid, sigSTOP)))
		p.waitLine(t, "wait4(child, WUNTRACED)", pid, kernel.WUNTRACED)
		p.say("kill(child, SIGCONT)")
		err := t.Kill(pid, sigCONT)
		p.waitLine(t, "wait4(child, 0)", pid, 0)
		p.say("kill(child, SIGCONT) -> %s", errStr(err))
	}},
}

// waiter is edge.c's waiter: it forks a child, named name, that reads a
// byte from a pipe (once, or until a read does not fail with EINTR),
// prints the read's result when loud, and exits with status 3. It
// returns the child, the pipe's write end and the child's goroutine.
func (p *pt) waiter(t *kernel.Task, name string, once, loud bool) (*kernel.Task, int, uint64) {
	qr, qw := p.mkpipe(t, "q0", "q")
	c, err := t.Fork(name)
	if err != nil {
		p.t.Fatalf("fork: %v", err)
	}
	p.mu.Lock()
	p.pids[c.Pid()], p.tids[c.Tid()] = name, name
	p.mu.Unlock()
	_ = c.Close(qw)
	_ = t.Close(qr)
	ids := make(chan uint64, 1)
	go func() {
		ids <- goid()
		buf := make([]byte, 1)
		var err error
		for {
			if _, err = c.Read(bg, qr, buf); err != kernel.EINTR || once {
				break
			}
		}
		if loud {
			p.say("child: read(q0, 1) -> %s", orOne(err))
		}
		c.ExitGroup(3)
	}()
	return c, qw, <-ids
}

func waitForms(p *pt) {
	t := p.leader
	p.say("setpgid(0, 0) -> %s", errStr(t.Setpgid(0)))
	p.pids[t.Pid()] = "parent"
	c1, q, _ := p.waiter(t, "child", false, false)
	c2, q2, _ := p.waiter(t, "child2", false, false)
	p.say("setpgid(child2, child2) -> %s", errStr(c2.Setpgid(0)))
	p.waitLine(t, "wait4(-child2, WNOHANG)", -c2.Pid(), kernel.WNOHANG)
	p.waitLine(t, "wait4(0, WNOHANG)", 0, kernel.WNOHANG)
	p.waitLine(t, "wait4(-me, WNOHANG)", -t.Pid(), kernel.WNOHANG)
	p.waitLine(t, "wait4(-child, WNOHANG)", -c1.Pid(), kernel.WNOHANG)
	p.write(t, q2, "write(q2, 1) -> %d")
	// Linux's wait4 sleeps until child2 exits; the model's twin lets it
	// become a zombie first, so that wait4 finds it by its group after
	// its exit.
	waitFor(func() bool { return !c2.Alive() })
	p.waitLine(t, "wait4(-child2, 0)", -c2.Pid(), 0)
	p.waitLine(t, "wait4(-child2, WNOHANG)", -c2.Pid(), kernel.WNOHANG)
	p.waitLine(t, "wait4(child2, WNOHANG)", c2.Pid(), kernel.WNOHANG)
	p.write(t, q, "write(q, 1) -> %d")
	p.waitLine(t, "wait4(0, 0)", 0, 0)
	p.waitLine(t, "wait4(-1, WNOHANG)", -1, kernel.WNOHANG)
}

func killForms(p *pt) {
	t := p.leader
	p.say("setpgid(0, 0) -> %s", errStr(t.Setpgid(0)))
	p.block(t, "", kernel.SIG_BLOCK, sigUSR1, sigUSR2)
	p.say("sigprocmask(SIG_BLOCK, {SIGUSR1,SIGUSR2}) -> ok")
	p.pids[t.Pid()] = "parent"
	qr, q := p.mkpipe(t, "q0", "q")
	c := p.fork(t)
	_ = c.Close(q)
	_ = t.Close(qr)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, err := c.Read(bg, qr, make([]byte, 1)); err != kernel.EINTR {
				break
			}
		}
		p.say("child: sigpending() -> %s", p.pend(c))
		c.ExitGroup(3)
	}()
	me, pid := t.Pid(), c.Pid()
	p.say("kill(-child, SIGUSR2) -> %s", errStr(t.Kill(-pid, sigUSR2)))
	p.say("setpgid(child, child) -> %s", errStr(c.Setpgid(0)))
	p.say("kill(0, SIGUSR1) -> %s", errStr(t.Kill(0, sigUSR1)))
	p.say("kill(-child, SIGUSR2) -> %s", errStr(t.Kill(-pid, sigUSR2)))
	p.say("kill(-child, 0) -> %s", errStr(t.Kill(-pid, 0)))
	p.say("kill(child, 0) -> %s", errStr(t.Kill(pid, 0)))
	p.say("kill(child, 65) -> %s", errStr(t.Kill(pid, 65)))
	p.say("kill(-child, -1) -> %s", errStr(t.Kill(-pid, -1)))
	p.say("tgkill(me, child, SIGUSR1) -> %s", errStr(t.Tgkill(me, pid, sigUSR1)))
	p.say("tgkill(child, me, SIGUSR1) -> %s", errStr(t.Tgkill(pid, me, sigUSR1)))
	p.say("tgkill(0, me, SIGUSR1) -> %s", errStr(t.Tgkill(0, me, sigUSR1)))
	p.say("tgkill(me, 0, SIGUSR1) -> %s", errStr(t.Tgkill(me, 0, sigUSR1)))
	p.say("tgkill(-1, me, SIGUSR1) -> %s", errStr(t.Tgkill(-1, me, sigUSR1)))
	p.say("tgkill(me, me, 65) -> %s", errStr(t.Tgkill(me, me, 65)))
	p.say("tgkill(child, child, 0) -> %s", errStr(t.Tgkill(pid, pid, 0)))
	p.say("tkill(0, SIGUSR1) -> %s", errStr(t.Tkill(0, sigUSR1)))
	p.say("sigpending() -> %s", p.pend(t))
	p.say("write(q, 1)")
	if n, _ := t.Write(bg, q, []byte("x")); n != 1 {
		p.say("write(q, 1) failed")
	}
	<-done
	p.waitLine(t, "wait4(child, 0)", pid, 0)
}

// sfdlines is edge.c's sfdlines: every field of the records one read of
// sfd returns but the times.
func (p *pt) sfdlines(t *kernel.Task, sfd int) {
	buf := make([]byte, 4*siginfoSize)
	n, err := t.Read(bg, sfd, buf)
	if err != nil {
		p.say("read(sfd, 512) -> %s", errStr(err))
		return
	}
	p.say("read(sfd, 512) -> %d bytes", n)
	for off := 0; off+siginfoSize <= n; off += siginfoSize {
		b := buf[off:]
		u := func(at int) uint32 { return binary.LittleEndian.Uint32(b[at:]) }
		i := func(at int) int32 { return int32(u(at)) }
		hex := func(at int) string {
			if v := binary.LittleEndian.Uint64(b[at:]); v != 0 {
				return "0x" + strconv.FormatUint(v, 16)
			}
			return "0"
		}
		p.say("  signo=%s errno=%d code=%d pid=%s uid=%d fd=%d tid=%d band=%d overrun=%d trapno=%d status=%d int=%d ptr=%s addr=%s",
			sigName(int(u(0))), i(4), i(8), p.pidName(t, int(u(12))), u(16), i(20), u(24), u(28), u(32), u(36),
			i(40), i(44), hex(48), hex(72))
	}
}

func signalfdRecords(p *pt) {
	t := p.leader
	set := kernel.SigsetOf(sigCHLD, 40, sigUSR1)
	_, _ = t.Sigprocmask(kernel.SIG_BLOCK, &set)
	sfd, err := t.Signalfd(-1, set, kernel.SFD_NONBLOCK)
	p.say("signalfd(-1, {SIGUSR1,SIGCHLD,40}, SFD_NONBLOCK) -> %s", errStr(err))
	p.pids[t.Pid()] = "parent"
	p.say("sigqueue(me, 40, 7) -> %s", errStr(t.Sigqueue(t.Pid(), 40, 7)))
	p.say("sigqueue(me, 40, -2) -> %s", errStr(t.Sigqueue(t.Pid(), 40, -2)))
	p.say("sigqueue(me, SIGUSR1, 5) -> %s", errStr(t.Sigqueue(t.Pid(), sigUSR1, 5)))
	c := p.fork(t)
	c.ExitGroup(9)
	p.waitLine(t, "wait4(child, 0)", c.Pid(), 0)
	p.sfdlines(t, sfd)
	c2, _, _ := p.waiter(t, "child", false, false)
	p.say("kill(child, SIGKILL) -> %s", errStr(t.Kill(c2.Pid(), sigKILL)))
	p.waitLine(t, "wait4(child, 0)", c2.Pid(), 0)
	p.say("tgkill(me, 40) -> %s", errStr(p.tgkillSelf(t, 40)))
	p.say("kill(me, 40) -> %s", errStr(t.Kill(t.Pid(), 40)))
	p.sfdlines(t, sfd)
}

// together is edge.c's together: several pending signals unblocked at
// once, SIGUSR1's sa_mask usr1mask. Linux sets up a frame for each
// before any handler runs, so the last one's handler runs first.
func (p *pt) together(usr1mask kernel.Sigset) {
	t := p.leader
	sigs := []int{sigUSR1, sigUSR2, sigIO, 40, 41}
	for _, s := range sigs {
		m := kernel.Sigset(0)
		if s == sigUSR1 {
			m = usr1mask
		}
		p.handle(t, s, p.record, 0, m)
	}
	all := kernel.SigsetOf(sigs...)
	_, _ = t.Sigprocmask(kernel.SIG_BLOCK, &all)
	p.say("SIGUSR1's sa_mask %s; all blocked", setNames(uint64(usr1mask)))
	for i := len(sigs) - 1; i >= 0; i-- {
		p.say("tgkill(me, %s) -> %s", sigName(sigs[i]), errStr(p.tgkillSelf(t, sigs[i])))
	}
	p.say("tgkill(me, 40) -> %s", errStr(p.tgkillSelf(t, 40)))
	_, err := t.Sigprocmask(kernel.SIG_UNBLOCK, &all)
	p.say("sigprocmask(SIG_UNBLOCK, all) -> %s", errStr(err))
	p.collect(t)
}

// firstDecides is edge.c's first_decides: which of two handlers'
// SA_RESTART decides whether a read interrupted by both restarts.
func (p *pt) firstDecides(usr1restart bool) {
	t := p.leader
	says := func(_ *kernel.Task, si *kernel.SigInfo) { p.say("child: handler %s", sigName(si.Signo)) }
	f1, f2, n1, n2 := kernel.SA_RESTART, 0, "SA_RESTART", "0"
	if !usr1restart {
		f1, f2, n1, n2 = 0, kernel.SA_RESTART, "0", "SA_RESTART"
	}
	p.handle(t, sigUSR1, says, f1, 0)
	p.handle(t, sigUSR2, says, f2, 0)
	p.say("SIGUSR1 %s, SIGUSR2 %s", n1, n2)
	c, q, g := p.waiter(t, "child", true, true)
	pid := c.Pid()
	_, _ = t.Sigaction(sigPIPE, kernel.Sigaction{Ignore: true})
	p.say("child asleep in read: %d", b2i(waitFor(func() bool { return parkedInKernel(g) })))
	p.say("kill(child, SIGSTOP) -> %s", errStr(t.Kill(pid, sigSTOP)))
	p.waitLine(t, "wait4(child, WUNTRACED)", pid, kernel.WUNTRACED)
	// The model reports the stop as it is sent; the child's thread stops
	// when its read, woken, reaches the signal code (kernel/doc.go). On
	// Linux wait4 returns once it has: wait for that here, or the read
	// could find the byte written below first.
	waitFor(func() bool { return parkedAt(g, "kernel.(*Task).dequeueForDelivery") })
	p.say("kill(child, SIGUSR2) -> %s", errStr(t.Kill(pid, sigUSR2)))
	p.say("kill(child, SIGUSR1) -> %s", errStr(t.Kill(pid, sigUSR1)))
	p.say("kill(child, SIGCONT), write(q, 1)")
	_ = t.Kill(pid, sigCONT)
	if _, err := t.Write(bg, q, []byte("x")); err != nil && err != kernel.EPIPE {
		p.say("write: %s", errStr(err))
	}
	p.waitLine(t, "wait4(child, 0)", pid, 0)
}

// fifoOpenInterrupted is edge.c's fifo_open_interrupted: a FIFO's
// blocking open for reading, interrupted by a handled SIGUSR1 with or
// without SA_RESTART (fifo_open's wait_for_partner returns ERESTARTSYS).
func (p *pt) fifoOpenInterrupted(restart bool) {
	t := p.leader
	p.say("mkfifo(f) -> %s", errStr(t.Mkfifo("f", 0o600)))
	hits, flags, how := 0, 0, "without SA_RESTART"
	if restart {
		flags, how = kernel.SA_RESTART, "with SA_RESTART"
	}
	p.handle(t, sigUSR1, func(*kernel.Task, *kernel.SigInfo) { hits++ }, flags, 0)
	w := p.wstart("thread1")
	leader := goid()
	kicked := -2
	w.run(func() {
		if !waitFor(func() bool { return parkedInKernel(leader) }) {
			return
		}
		kicked = 0
		if w.t.Tgkill(t.Pid(), t.Tid(), sigUSR1) != nil {
			kicked = -1
		}
		if restart && waitFor(func() bool { return parkedInKernel(leader) }) {
			if _, err := w.t.Open(bg, "f", kernel.O_WRONLY|kernel.O_NONBLOCK); err != nil {
				kicked = -3
			}
		}
	})
	_, err := t.Open(bg, "f", kernel.O_RDONLY)
	w.wait()
	p.say("open(f, O_RDONLY) %s -> %s", how, errStr(err))
	p.say("thread1 sent -> %d; handler ran %d time(s)", kicked, hits)
	w.stop()
}

// stoppedCall is edge.c's stopped_call: a child asleep in call on a
// pipe's read end is stopped and continued, then the pipe gets a byte.
func (p *pt) stoppedCall(desc string, call func(c *kernel.Task, r int) error) {
	t := p.leader
	r, w := p.mkpipe(t, "r", "w")
	p.pids[t.Pid()] = "parent"
	c := p.fork(t)
	ids := make(chan uint64, 1)
	go func() {
		ids <- goid()
		err := call(c, r)
		p.say("child: %s -> %s", desc, orOne(err))
		c.ExitGroup(3)
	}()
	g := <-ids
	pid := c.Pid()
	asleep := func() bool {
		return waitFor(func() bool { return parkedInKernel(g) && !parkedAt(g, "kernel.(*Task).dequeueForDelivery") })
	}
	p.say("child asleep in %s: %d", desc, b2i(asleep()))
	p.say("kill(child, SIGSTOP) -> %s", errStr(t.Kill(pid, sigSTOP)))
	p.waitLine(t, "wait4(child, WUNTRACED)", pid, kernel.WUNTRACED)
	// On Linux the child has stopped when wait4 returns.
	waitFor(func() bool { return parkedAt(g, "kernel.(*Task).dequeueForDelivery") })
	p.say("kill(child, SIGCONT) -> %s", errStr(t.Kill(pid, sigCONT)))
	p.waitLine(t, "wait4(child, WCONTINUED)", pid, kernel.WCONTINUED)
	p.say("child asleep in %s: %d", desc, b2i(asleep()))
	p.say("write(w, 1)")
	if n, err := t.Write(bg, w, []byte("x")); n != 1 {
		p.say("write: %s", errStr(err))
	}
	p.waitLine(t, "wait4(child, 0)", pid, 0)
}
