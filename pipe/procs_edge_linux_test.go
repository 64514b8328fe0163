package pipe_test

import (
	"encoding/binary"
	"strconv"

	"github.com/fasync-go/fasync/kernel"
)

// The model's twins of testdata/procs/edge.c: handlers run when several
// signals come at once, the mask sigsuspend and epoll_pwait restore,
// SA_NODEFER, signalfd's records, default-ignored signals, exec with
// pending signals, SIGPIPE's dispositions and a FIFO open interrupted
// (SPEC S1-S3, S6, S7, S9, S10, T4, K1, E2, E7). Facts from the kernel's
// signal.c (get_signal, handle_signal, do_sigaction), signalfd.c,
// fs/pipe.c (fifo_open), sigaction(2) and signal(7).

var edgeTwins = []procScenario{
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
