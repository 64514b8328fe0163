package pipe_test

import (
	"syscall"

	"github.com/fasync-go/fasync/kernel"
)

// The model's twins of testdata/procs/wait.c: select, epoll_wait and
// epoll_pwait interrupted by a handled signal, never restarted, against
// read, which SA_RESTART restarts (SPEC E1, E2, S3). Facts from
// signal(7) ("Interruption of system calls and library functions by
// signal handlers"), select(2) and epoll_wait(2).

var waitTwins = []procScenario{
	{"E1/S3/select-EINTR-even-with-SA_RESTART", func(p *pt) {
		p.interrupted("select({r}, NULL)", func(t *kernel.Task, r int) error {
			var rd kernel.FdSet
			rd.Set(r)
			_, err := t.Select(bg, r+1, &rd, nil, nil, nil)
			return err
		}, false)
	}},
	{"E2/S3/epoll_wait-EINTR-even-with-SA_RESTART", func(p *pt) {
		p.interrupted("epoll_wait(ep, 1, -1)", func(t *kernel.Task, r int) error {
			ep, _ := t.EpollCreate1(0)
			_ = t.EpollCtl(ep, kernel.EPOLL_CTL_ADD, r, &kernel.EpollEvent{Events: kernel.EPOLLIN})
			_, err := t.EpollWait(bg, ep, make([]kernel.EpollEvent, 1), -1)
			return err
		}, false)
	}},
	{"S3/read-restarts-with-SA_RESTART", func(p *pt) {
		p.interrupted("read(r, 1)", func(t *kernel.Task, r int) error {
			_, err := t.Read(bg, r, make([]byte, 1))
			return err
		}, true)
	}},
	{"E2/S5/epoll_pwait-replaces-the-mask", func(p *pt) {
		t := p.leader
		hits := 0
		p.handle(t, sigUSR1, func(*kernel.Task, *kernel.SigInfo) { hits++ }, 0, 0)
		r, w := p.mkpipe(t, "r", "w")
		p.block(t, "", kernel.SIG_BLOCK, sigUSR1)
		p.say("tgkill(me, SIGUSR1) -> %s", errStr(p.tgkillSelf(t, sigUSR1)))
		ep, _ := t.EpollCreate1(0)
		_ = t.EpollCtl(ep, kernel.EPOLL_CTL_ADD, r, &kernel.EpollEvent{Events: kernel.EPOLLIN})
		evs := make([]kernel.EpollEvent, 1)
		s, none := kernel.SigsetOf(sigUSR1), kernel.Sigset(0)
		_, err := t.EpollPwait(bg, ep, evs, 0, &s)
		p.say("epoll_pwait(ep, 1, 0, {SIGUSR1}) -> %s", errStr(err))
		p.say("handler ran %d time(s)", hits)
		_, err = t.EpollPwait(bg, ep, evs, -1, &none)
		p.say("epoll_pwait(ep, 1, -1, {}) -> %s", errStr(err))
		p.say("handler ran %d time(s); mask -> %s", hits, p.mask(t))
		p.write(t, w, "write(w, 1) -> %d")
		n, err := t.EpollPwait(bg, ep, evs, -1, &none)
		if err != nil {
			n = -int(err.(syscall.Errno))
		}
		p.say("epoll_pwait(ep, 1, -1, {}) -> %d", n)
	}},
}

// interrupted runs call on the leader while thread1 sends it a handled
// SIGUSR1 (SA_RESTART) once it sleeps, and, when feed is set, a byte for
// the read once it sleeps again.
func (p *pt) interrupted(desc string, call func(t *kernel.Task, r int) error, feed bool) {
	t := p.leader
	hits := 0
	p.handle(t, sigUSR1, func(*kernel.Task, *kernel.SigInfo) { hits++ }, kernel.SA_RESTART, 0)
	r, w := p.mkpipe(t, "r", "w")
	t1 := p.wstart("thread1")
	leader := goid()
	sent := -2
	t1.run(func() {
		if !waitFor(func() bool { return parkedInKernel(leader) }) {
			return
		}
		sent = 0
		if t1.t.Tgkill(t.Pid(), t.Tid(), sigUSR1) != nil {
			sent = -1
		}
		if feed && waitFor(func() bool { return parkedInKernel(leader) }) {
			if n, _ := t1.t.Write(bg, w, []byte("x")); n != 1 {
				sent--
			}
		}
	})
	err := call(t, r)
	t1.wait()
	p.say("%s with SA_RESTART -> %s", desc, orOne(err))
	p.say("thread1 sent -> %d; handler ran %d time(s)", sent, hits)
	t1.stop()
}
