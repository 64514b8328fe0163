package pipe_test

import (
	"time"

	"github.com/fasync-go/fasync/kernel"
)

// The model's twins of testdata/procs/child.c: queued values, a signalfd
// across fork and SIGCHLD's rules (SPEC S1, S8, S9, T3, T5). Facts from
// sigqueue(3), signalfd(2) ("the file descriptor reads the signals of
// the process that reads it"), sigaction(2)'s SA_NOCLDSTOP, and wait(2)'s
// note on SIGCHLD set to SIG_IGN.

var childTwins = []procScenario{
	{"S1/S8/sigqueue-values-in-order", func(p *pt) {
		t := p.leader
		set := kernel.SigsetOf(40, 41, sigUSR1)
		_, _ = t.Sigprocmask(kernel.SIG_BLOCK, &set)
		p.say("sigprocmask(SIG_BLOCK, {SIGUSR1,40,41}) -> ok")
		vals := []int{41, 7, 40, 1, 40, 2, sigUSR1, 3, sigUSR1, 4, 40, 3}
		for i := 0; i < len(vals); i += 2 {
			p.say("sigqueue(me, %s, %d) -> %s", sigName(vals[i]), vals[i+1], errStr(t.Sigqueue(t.Pid(), vals[i], vals[i+1])))
		}
		for {
			si, err := t.Sigtimedwait(bg, set, 0)
			if err != nil {
				p.say("sigtimedwait({SIGUSR1,40,41}, 0s) -> %s", errStr(err))
				return
			}
			p.say("sigtimedwait({SIGUSR1,40,41}, 0s) -> %s value=%v", p.siline(t, &si), si.Value)
		}
	}},
	{"S9/T3/signalfd-after-fork-reads-the-child's-own-signals", func(p *pt) {
		t := p.leader
		p.block(t, "", kernel.SIG_BLOCK, sigUSR1)
		sfd, err := t.Signalfd(-1, kernel.SigsetOf(sigUSR1), kernel.SFD_NONBLOCK)
		p.say("signalfd(-1, {SIGUSR1}, SFD_NONBLOCK) -> %s", errStr(err))
		p.say("tgkill(me, SIGUSR1) -> %s", errStr(p.tgkillSelf(t, sigUSR1)))
		c := p.fork(t)
		p.say("child: read(sfd, 128) -> %s", p.readSfd(c, sfd))
		p.say("child: tgkill(me, SIGUSR1) -> %s", errStr(p.tgkillSelf(c, sigUSR1)))
		p.say("child: read(sfd, 128) -> %s", p.readSfd(c, sfd))
		c.ExitGroup(0)
		p.waitLine(t, "wait4(child, 0)", c.Pid(), 0)
		p.say("sigpending() -> %s", p.pend(t))
		p.say("read(sfd, 128) -> %s", p.readSfd(t, sfd))
	}},
	{"T5/S10/SIGCHLD-on-stop-continue-and-exit", func(p *pt) { p.sigchldStop(false) }},
	{"T5/SA_NOCLDSTOP", func(p *pt) { p.sigchldStop(true) }},
	{"T5/SIGCHLD-ignored-reaps-children", func(p *pt) {
		t := p.leader
		_, _ = t.Sigaction(sigCHLD, kernel.Sigaction{Ignore: true})
		p.say("sigaction(SIGCHLD, SIG_IGN)")
		c, q := p.childWaiting(t)
		p.waitLine(t, "wait4(child, WNOHANG)", c.Pid(), kernel.WNOHANG)
		p.write(t, q, "write(q, 1) -> %d")
		p.waitLine(t, "wait4(-1, 0)", -1, 0)
		p.say("sigpending() -> %s", p.pend(t))
	}},
}

// readSfd reads one record from signalfd sfd as t and spells it as
// child.c does.
func (p *pt) readSfd(t *kernel.Task, sfd int) string {
	buf := make([]byte, siginfoSize)
	n, err := t.Read(bg, sfd, buf)
	if err != nil {
		return errStr(err)
	}
	rec := parseSiginfo(buf[:n])
	return "128 signo=" + sigName(rec.Signo) + " pid=" + p.pidName(t, rec.Pid)
}

var cldCodes = map[int]string{kernel.CLD_EXITED: "CLD_EXITED", kernel.CLD_KILLED: "CLD_KILLED",
	kernel.CLD_DUMPED: "CLD_DUMPED", kernel.CLD_TRAPPED: "CLD_TRAPPED", kernel.CLD_STOPPED: "CLD_STOPPED",
	kernel.CLD_CONTINUED: "CLD_CONTINUED"}

// takechld takes a SIGCHLD, waiting up to secs for it.
func (p *pt) takechld(t *kernel.Task, secs int) {
	si, err := t.Sigtimedwait(bg, kernel.SigsetOf(sigCHLD), time.Duration(secs)*time.Second)
	if err != nil {
		p.say("sigtimedwait({SIGCHLD}, %ds) -> %s", secs, errStr(err))
		return
	}
	code, ok := cldCodes[si.Code]
	if !ok {
		code = "?"
	}
	p.say("sigtimedwait({SIGCHLD}, %ds) -> code=%s status=%s pid=%s", secs, code, sigName(si.Status), p.pidName(t, si.Pid))
}

func (p *pt) sigchldStop(nocldstop bool) {
	t := p.leader
	flags, note, wait := 0, "", 10
	if nocldstop {
		flags, note, wait = kernel.SA_NOCLDSTOP, ", SA_NOCLDSTOP", 0
	}
	p.handle(t, sigCHLD, p.record, flags, 0)
	p.block(t, "", kernel.SIG_BLOCK, sigCHLD)
	p.say("sigaction(SIGCHLD, handler%s); SIGCHLD blocked", note)
	c, q := p.childWaiting(t)
	pid := c.Pid()
	// As child.c: the SIGCHLD of a stop or continue before wait4 reaps
	// it, unless none is expected (SA_NOCLDSTOP).
	p.say("kill(child, SIGSTOP) -> %s", errStr(t.Kill(pid, sigSTOP)))
	if !nocldstop {
		p.takechld(t, wait)
	}
	p.waitLine(t, "wait4(child, WUNTRACED)", pid, kernel.WUNTRACED)
	if nocldstop {
		p.takechld(t, wait)
	}
	p.say("kill(child, SIGCONT) -> %s", errStr(t.Kill(pid, sigCONT)))
	if !nocldstop {
		p.takechld(t, wait)
	}
	p.waitLine(t, "wait4(child, WCONTINUED)", pid, kernel.WCONTINUED)
	if nocldstop {
		p.takechld(t, wait)
	}
	p.write(t, q, "write(q, 1) -> %d")
	p.waitLine(t, "wait4(child, 0)", pid, 0)
	p.takechld(t, 0)
}
