package pipe_test

import (
	"github.com/fasync-go/fasync/kernel"
)

// The model's twins of testdata/procs/thread.c: a thread as a file's
// owner, exec from a thread, exit_group from a thread and a fatal signal
// aimed at one (SPEC A9, T1, T2, T4, T5). Facts from LTP's fcntl31,
// gVisor's fcntl.cc and exec.cc, and execve(2), exit_group(2).

var threadTwins = []procScenario{
	{"A9/T2/fcntl31-the-owner-is-a-thread", ownerIsAThread},
	{"T4/exec-from-a-thread-takes-the-leader-id", func(p *pt) {
		t := p.leader
		t1 := p.wstart("thread1")
		old, pid := t1.t.Tid(), t.Pid()
		t1.do(func() {
			p.say("thread1: execve(self)")
			if err := t1.t.Exec("procs"); err != nil {
				p.say("thread1: execve -> %s", errStr(err))
			}
		})
		n := t1.t
		p.say("exec'd: getpid() unchanged -> %d", b2i(n.Pid() == pid))
		p.say("exec'd: gettid() == getpid() -> %d", b2i(n.Tid() == n.Pid()))
		p.say("exec'd: tgkill(me, old thread1 tid, 0) -> %s", errStr(n.Tgkill(n.Pid(), old, 0)))
	}},
	{"T5/exit_group-from-a-thread-and-a-fatal-signal-to-one", func(p *pt) {
		t := p.leader
		c := p.fork(t)
		th := p.newThread(c)
		th.ExitGroup(5)
		p.waitLine(t, "child's thread1 exit_group(5); wait4(child, 0)", c.Pid(), 0)
		c = p.fork(t)
		th = p.newThread(c)
		th.ExitThread()
		c.ExitGroup(6)
		p.waitLine(t, "child's thread1 exit(9), then leader exit_group(6); wait4(child, 0)", c.Pid(), 0)
		c = p.fork(t)
		th = p.newThread(c)
		p.say("tgkill(child, child's thread1, SIGTERM) -> %s", errStr(t.Tgkill(c.Pid(), th.Tid(), sigTERM)))
		p.waitLine(t, "wait4(child, 0)", c.Pid(), 0)
	}},
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (p *pt) newThread(t *kernel.Task) *kernel.Task {
	th, err := t.NewThread("thread1")
	if err != nil {
		p.t.Fatalf("NewThread: %v", err)
	}
	return th
}

func ownerIsAThread(p *pt) {
	t := p.leader
	p.handle(t, 40, p.record, 0, 0)
	r, w := p.mkpipe(t, "r", "w")
	p.block(t, "", kernel.SIG_BLOCK, 40)
	p.say("leader: sigprocmask(SIG_BLOCK, {40}) -> ok")
	t1 := p.wstart("thread1")
	tid := t1.t.Tid()
	t1.do(func() { p.block(t1.t, "thread1", kernel.SIG_UNBLOCK, 40) })
	_, _ = t.Fcntl(r, kernel.F_SETSIG, 40)
	_, _ = t.Fcntl(r, kernel.F_SETFL, kernel.O_ASYNC)
	err := t.FcntlOwnerEx(r, kernel.F_SETOWN_EX, &kernel.FOwnerEx{Type: kernel.F_OWNER_TID, Pid: tid})
	p.say("fcntl(r, F_SETOWN_EX, {F_OWNER_TID, thread1}) -> %s", errStr(err))
	p.getowns(t, r, tid)
	_, err = t.Fcntl(r, kernel.F_SETOWN, tid)
	p.say("fcntl(r, F_SETOWN, thread1) -> %s", errStr(err))
	p.getowns(t, r, tid)
	p.write(t, w, "write(w, 1) -> %d")
	t1.do(func() { p.collectw(t1) })
	p.say("leader: sigpending() -> %s", p.pend(t))
	t1.stop()
	p.say("thread1 exits")
	p.getowns(t, r, tid)
	p.write(t, w, "write(w, 1) -> %d")
	p.say("leader: sigpending() -> %s", p.pend(t))
	_, err = t.Fcntl(r, kernel.F_SETOWN, tid)
	p.say("fcntl(r, F_SETOWN, thread1) -> %s", errStr(err))
}

// getowns prints F_GETOWN_EX and F_GETOWN of fd, naming tid thread1.
func (p *pt) getowns(t *kernel.Task, fd, tid int) {
	idn := func(id int) string {
		if id != 0 && id == tid {
			return "thread1"
		}
		return p.pidName(t, id)
	}
	var o kernel.FOwnerEx
	_ = t.FcntlOwnerEx(fd, kernel.F_GETOWN_EX, &o)
	own, _ := t.Fcntl(fd, kernel.F_GETOWN, 0)
	types := map[int]string{kernel.F_OWNER_TID: "F_OWNER_TID", kernel.F_OWNER_PID: "F_OWNER_PID", kernel.F_OWNER_PGRP: "F_OWNER_PGRP"}
	typ, ok := types[o.Type]
	if !ok {
		typ = "?"
	}
	p.say("fcntl(r, F_GETOWN_EX) -> {%s, %s}; F_GETOWN -> %s", typ, idn(o.Pid), idn(own))
}
