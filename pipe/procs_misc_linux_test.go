package pipe_test

import (
	"fmt"

	"github.com/fasync-go/fasync/kernel"
)

// The model's twins of testdata/procs/misc.c: a process-directed signal
// taken by the thread that waits for it, sigaction's and kill's EINVAL,
// and kill of a zombie (SPEC S6-S8, T2, T5). Facts from signal(7),
// sigaction(2), kill(2) and tgkill(2).

var miscTwins = []procScenario{
	{"S7/T2/sigsuspend-in-a-thread-takes-a-process-signal", func(p *pt) {
		p.threadTakes("sigsuspend({})", func(th *kernel.Task) string { return errStr(th.Sigsuspend(bg, 0)) })
	}},
	{"S8/T2/sigtimedwait-in-a-thread-takes-a-process-signal", func(p *pt) {
		p.threadTakes("sigtimedwait({SIGUSR1}, NULL)", func(th *kernel.Task) string {
			si, err := th.Sigtimedwait(bg, kernel.SigsetOf(sigUSR1), -1)
			if err != nil {
				return errStr(err)
			}
			return p.siline(th, &si)
		})
	}},
	{"S6/sigaction-and-kill-EINVAL", func(p *pt) {
		t := p.leader
		ign := kernel.Sigaction{Ignore: true}
		for _, sig := range []int{sigKILL, sigSTOP, 0, 65} {
			_, err := t.Sigaction(sig, ign)
			p.say("sigaction(%s, SIG_IGN) -> %s", sigName(sig), errStr(err))
		}
		_, err := t.Sigaction(sigKILL, kernel.Sigaction{})
		p.say("sigaction(SIGKILL, SIG_DFL) -> %s", errStr(err))
		p.say("kill(me, 65) -> %s", errStr(t.Kill(t.Pid(), 65)))
		p.say("tgkill(me, -1) -> %s", errStr(p.tgkillSelf(t, -1)))
	}},
	{"T5/kill-of-a-zombie-and-tgkill-ESRCH", func(p *pt) {
		t := p.leader
		p.block(t, "", kernel.SIG_BLOCK, sigCHLD)
		c := p.fork(t)
		pid := c.Pid()
		c.ExitGroup(4)
		_, err := t.Sigtimedwait(bg, kernel.SigsetOf(sigCHLD), 10e9)
		p.say("sigtimedwait({SIGCHLD}, 10s) -> %s", map[bool]string{true: "SIGCHLD", false: errStr(err)}[err == nil])
		p.say("kill(child, 0) -> %s", errStr(t.Kill(pid, 0)))
		p.say("kill(child, SIGKILL) -> %s", errStr(t.Kill(pid, sigKILL)))
		p.say("tgkill(child, child, 0) -> %s", errStr(t.Tgkill(pid, pid, 0)))
		p.say("tgkill(child, me, 0) -> %s", errStr(t.Tgkill(pid, t.Tid(), 0)))
		p.waitLine(t, "wait4(child, 0)", pid, 0)
		p.say("kill(child, 0) -> %s", errStr(t.Kill(pid, 0)))
		p.say("tgkill(me, child, 0) -> %s", errStr(t.Tgkill(t.Pid(), pid, 0)))
	}},
}

// threadTakes has thread1 wait for SIGUSR1 with call while the leader
// blocks it, then sends SIGUSR1 to the process.
func (p *pt) threadTakes(what string, call func(th *kernel.Task) string) {
	t := p.leader
	var heard string
	p.handle(t, sigUSR1, func(th *kernel.Task, si *kernel.SigInfo) {
		where := "leader"
		if th != t {
			where = "thread1"
		}
		heard = fmt.Sprintf("handler %s ran in %s: %s", sigName(si.Signo), where, p.siline(th, si))
	}, 0, 0)
	p.block(t, "", kernel.SIG_BLOCK, sigUSR1)
	p.say("leader: sigprocmask(SIG_BLOCK, {SIGUSR1}) -> ok")
	t1 := p.wstart("thread1")
	var result string
	t1.run(func() { result = call(t1.t) })
	asleep := waitFor(func() bool { return parkedInKernel(t1.gid) })
	p.say("thread1: %s sleeps: %v", what, asleep)
	p.say("kill(me, SIGUSR1) -> %s", errStr(t.Kill(t.Pid(), sigUSR1)))
	t1.wait()
	p.say("thread1: %s -> %s", what, result)
	if heard == "" {
		heard = "no handler ran"
	}
	p.say("%s", heard)
	p.say("leader: sigpending() -> %s", p.pend(t))
	t1.stop()
}
