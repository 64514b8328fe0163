package pipe_test

import (
	"github.com/fasync-go/fasync/kernel"
)

// The model's twins of testdata/procs/stop.c: stopped children and calls
// asleep in them, wait4's pid forms, kill's group forms, tgkill's checks
// and fork from a thread (SPEC S1, S3, S8, S10, T1, T3, T5, E1, E2).
// Facts from the kernel's signal.c (prepare_signal, wants_signal,
// complete_signal, do_tkill), exit.c (do_wait's eligible_pid), fork(2),
// wait4(2), kill(2), tgkill(2) and signal(7).

var stopTwins = []procScenario{
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
		p.stopAsleep(t, pid, g, "epoll_wait")
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
		p.stopAsleep(t, pid, g, "rt_sigtimedwait")
		// As in firstDecides: on Linux the child has stopped when wait4
		// returns.
		waitFor(func() bool { return parkedAt(g, "kernel.(*Task).dequeueForDelivery") })
		p.say("kill(child, SIGCONT), kill(child, SIGUSR1)")
		_ = t.Kill(pid, sigCONT)
		_ = t.Kill(pid, sigUSR1)
		p.waitLine(t, "wait4(child, 0)", pid, 0)
	}},
	{"S3/S10/the-first-signal-taken-restarts-the-read", func(p *pt) { p.firstDecides(true) }},
	{"S3/S10/the-first-signal-taken-interrupts-the-read", func(p *pt) { p.firstDecides(false) }},
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
		p.stopAsleep(t, pid, g, "read")
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
		p.stopAsleep(t, pid, g, "read")
		p.say("kill(child, SIGCONT)")
		err := t.Kill(pid, sigCONT)
		p.waitLine(t, "wait4(child, 0)", pid, 0)
		p.say("kill(child, SIGCONT) -> %s", errStr(err))
	}},
}

// stopAsleep waits until the child (pid, on goroutine g) sleeps in the
// system call named call, stops it with SIGSTOP and waits until wait4
// with WUNTRACED reports the stop.
func (p *pt) stopAsleep(t *kernel.Task, pid int, g uint64, call string) {
	p.say("child asleep in %s: %d", call, b2i(waitFor(func() bool { return parkedInKernel(g) })))
	p.say("kill(child, SIGSTOP) -> %s", errStr(t.Kill(pid, sigSTOP)))
	p.waitLine(t, "wait4(child, WUNTRACED)", pid, kernel.WUNTRACED)
}

// waiter is stop.c's waiter: it forks a child, named name, that reads a
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

// firstDecides is stop.c's first_decides: which of two handlers'
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

// stoppedCall is stop.c's stopped_call: a child asleep in call on a
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
