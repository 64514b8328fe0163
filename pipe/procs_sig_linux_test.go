package pipe_test

import (
	"github.com/fasync-go/fasync/kernel"
)

// The model's twins of testdata/procs/sig.c: handlers, sa_mask,
// SA_NODEFER, SA_RESETHAND, sigsuspend and sigtimedwait interrupted
// (SPEC S5-S8). Facts from LTP's sigsuspend01, gVisor's sigprocmask.cc
// and sigtimedwait.cc, and sigaction(2).

var sigTwins = []procScenario{
	{"S5/S6/blocked-then-unblocked-delivered-once", func(p *pt) {
		t := p.leader
		p.handle(t, sigUSR1, p.loud, 0, 0)
		s := kernel.SigsetOf(sigUSR1)
		_, err := t.Sigprocmask(kernel.SIG_BLOCK, &s)
		p.say("sigprocmask(SIG_BLOCK, {SIGUSR1}) -> %s", errStr(err))
		p.say("tgkill(me, SIGUSR1) -> %s", errStr(p.tgkillSelf(t, sigUSR1)))
		p.say("tgkill(me, SIGUSR1) -> %s", errStr(p.tgkillSelf(t, sigUSR1)))
		p.say("sigpending() -> %s", p.pend(t))
		_, err = t.Sigprocmask(kernel.SIG_UNBLOCK, &s)
		p.say("sigprocmask(SIG_UNBLOCK, {SIGUSR1}) -> %s", errStr(err))
		p.say("sigpending() -> %s", p.pend(t))
	}},
	{"S6/sa_mask-defers-a-signal-raised-in-the-handler", func(p *pt) {
		p.nest(0, kernel.SigsetOf(sigUSR2), sigUSR2)
	}},
	{"S6/without-sa_mask-a-signal-nests", func(p *pt) { p.nest(0, 0, sigUSR2) }},
	{"S6/SA_NODEFER-nests-the-same-signal", func(p *pt) { p.nest(kernel.SA_NODEFER, 0, sigUSR1) }},
	{"S6/the-same-signal-waits-for-the-handler", func(p *pt) { p.nest(0, 0, sigUSR1) }},
	{"S6/SA_RESETHAND", func(p *pt) {
		t := p.leader
		p.handle(t, sigUSR1, p.loud, kernel.SA_RESETHAND, kernel.SigsetOf(sigUSR2))
		p.say("sigaction(SIGUSR1) -> %s", dispName(action(t, sigUSR1)))
		p.say("tgkill(me, SIGUSR1) -> %s", errStr(p.tgkillSelf(t, sigUSR1)))
		a := action(t, sigUSR1)
		p.say("sigaction(SIGUSR1) -> %s flags=%#x mask=%s", dispName(a),
			a.Flags&(kernel.SA_RESETHAND|kernel.SA_NODEFER|kernel.SA_SIGINFO|kernel.SA_RESTART), setNames(uint64(a.Mask)))
		s := kernel.SigsetOf(sigUSR1)
		_, _ = t.Sigprocmask(kernel.SIG_BLOCK, &s)
		p.say("tgkill(me, SIGUSR1) -> %s", errStr(p.tgkillSelf(t, sigUSR1)))
		p.say("sigpending() -> %s", p.pend(t))
		_, _ = t.Sigaction(sigUSR1, kernel.Sigaction{Ignore: true})
		p.say("sigaction(SIGUSR1, SIG_IGN) -> %s", p.pend(t))
	}},
	{"S7/sigsuspend01-with-pending-signals", func(p *pt) {
		t := p.leader
		p.handle(t, sigUSR1, p.loud, 0, 0)
		p.handle(t, sigUSR2, p.loud, 0, 0)
		s := kernel.SigsetOf(sigUSR1, sigUSR2)
		_, _ = t.Sigprocmask(kernel.SIG_BLOCK, &s)
		p.say("tgkill(me, SIGUSR1) -> %s", errStr(p.tgkillSelf(t, sigUSR1)))
		p.say("tgkill(me, SIGUSR2) -> %s", errStr(p.tgkillSelf(t, sigUSR2)))
		p.say("sigsuspend({SIGUSR2}) -> %s", errStr(t.Sigsuspend(bg, kernel.SigsetOf(sigUSR2))))
		p.say("mask -> %s", p.mask(t))
		p.say("sigpending() -> %s", p.pend(t))
		p.say("sigsuspend({}) -> %s", errStr(t.Sigsuspend(bg, 0)))
		p.say("sigpending() -> %s", p.pend(t))
	}},
	{"S7/T1/sigsuspend-woken-by-another-thread", func(p *pt) {
		t := p.leader
		p.handle(t, sigUSR1, p.loud, 0, 0)
		s := kernel.SigsetOf(sigUSR1)
		_, _ = t.Sigprocmask(kernel.SIG_BLOCK, &s)
		w := p.wstart("thread1")
		sent := p.sendWhenAsleep(w, sigUSR1)
		p.say("sigsuspend({}) -> %s", errStr(t.Sigsuspend(bg, 0)))
		w.wait()
		p.say("thread1: tgkill(leader, SIGUSR1) once leader slept -> %d", *sent)
		p.say("mask -> %s", p.mask(t))
		w.stop()
	}},
	{"S8/T1/sigtimedwait-EINTR-by-a-handled-signal", func(p *pt) {
		t := p.leader
		p.handle(t, sigUSR2, p.loud, 0, 0)
		s := kernel.SigsetOf(sigUSR1)
		_, _ = t.Sigprocmask(kernel.SIG_BLOCK, &s)
		w := p.wstart("thread1")
		sent := p.sendWhenAsleep(w, sigUSR2)
		_, err := t.Sigtimedwait(bg, s, -1)
		p.say("sigtimedwait({SIGUSR1}, NULL) -> %s", errStr(err))
		w.wait()
		p.say("thread1: tgkill(leader, SIGUSR2) once leader slept -> %d", *sent)
		p.sendWhenAsleep(w, sigUSR1)
		si, err := t.Sigtimedwait(bg, s, -1)
		if err != nil {
			p.say("sigtimedwait({SIGUSR1}, NULL) -> %s", errStr(err))
		} else {
			p.say("sigtimedwait({SIGUSR1}, NULL) -> %s", p.siline(t, &si))
		}
		w.wait()
		w.stop()
	}},
}

// loud prints its entry with the thread's mask.
func (p *pt) loud(t *kernel.Task, si *kernel.SigInfo) {
	p.depth++
	p.say("handler %s enter depth=%d %s mask=%s", sigName(si.Signo), p.depth, p.siline(t, si), p.mask(t))
	p.depth--
}

// raiser sends, from inside a handler, the signal its depth's plan names.
func (p *pt) raiser(t *kernel.Task, si *kernel.SigInfo) {
	p.depth++
	d := p.depth
	sig := sigName(si.Signo)
	p.say("handler %s enter depth=%d %s mask=%s", sig, d, p.siline(t, si), p.mask(t))
	if s := p.plan[d]; s != 0 {
		p.plan[d] = 0
		p.say("handler %s: tgkill(me, %s) -> %s", sig, sigName(s), errStr(p.tgkillSelf(t, s)))
		p.say("handler %s: sigpending() -> %s", sig, p.pend(t))
	}
	p.say("handler %s leave depth=%d", sig, d)
	p.depth--
}

func (p *pt) nest(usr1flags int, usr1mask kernel.Sigset, second int) {
	t := p.leader
	p.handle(t, sigUSR1, p.raiser, usr1flags, usr1mask)
	p.handle(t, sigUSR2, p.raiser, 0, 0)
	p.plan[1] = second
	p.say("tgkill(me, SIGUSR1) -> %s", errStr(p.tgkillSelf(t, sigUSR1)))
	p.say("mask after -> %s", p.mask(t))
}

// sendWhenAsleep starts w waiting until the leader's goroutine (the
// caller) sleeps in the kernel, then sending it sig; *sent is the
// result, 0 or -1, once w.wait returns.
func (p *pt) sendWhenAsleep(w *ptWorker, sig int) *int {
	leader := goid()
	sent := new(int)
	w.run(func() {
		*sent = -2
		if waitFor(func() bool { return parkedInKernel(leader) }) {
			*sent = 0
			if w.t.Tgkill(p.leader.Pid(), p.leader.Tid(), sig) != nil {
				*sent = -1
			}
		}
	})
	return sent
}
