package pipe_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/pipe"
)

// A pt runs a C scenario's twin on a model kernel and keeps its
// transcript; its helpers print as testdata/procs/procs.c does.
type pt struct {
	t      *testing.T
	k      *kernel.Kernel
	leader *kernel.Task

	mu    sync.Mutex
	lines []string
	fds   map[int]string // descriptor -> name
	pids  map[int]string // process -> "parent", "child"
	tids  map[int]string // thread -> "leader", "thread1" ...
	recs  []ptRec
	depth int
	plan  [4]int
}

type ptRec struct {
	who   string
	si    kernel.SigInfo
	taken bool
}

func runTwin(t *testing.T, sc procScenario) []string {
	k := kernel.New(kernel.Config{FIFO: pipe.NewFIFO})
	t.Cleanup(func() { k.Close() })
	p := &pt{t: t, k: k, leader: k.NewTask("procs", kernel.Cred{}),
		fds: map[int]string{}, pids: map[int]string{}, tids: map[int]string{}}
	p.tids[p.leader.Tid()] = "leader"
	sc.model(p)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lines
}

func (p *pt) say(format string, args ...any) {
	p.mu.Lock()
	p.lines = append(p.lines, fmt.Sprintf(format, args...))
	p.mu.Unlock()
}

func (p *pt) mask(t *kernel.Task) string {
	m, _ := t.Sigprocmask(kernel.SIG_BLOCK, nil)
	return setNames(uint64(m))
}

func (p *pt) pend(t *kernel.Task) string { return setNames(uint64(t.Sigpending())) }

func (p *pt) pidName(self *kernel.Task, pid int) string {
	if pid == 0 {
		return "0"
	}
	if pid == self.Pid() {
		return "me"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if n, ok := p.pids[pid]; ok {
		return n
	}
	return "pid?"
}

// siline spells a SigInfo as procs.c's siline does, for a line printed
// by self.
func (p *pt) siline(self *kernel.Task, si *kernel.SigInfo) string {
	s := fmt.Sprintf("signal %s code=%s", sigName(si.Signo), codeName(si.Code))
	switch {
	case si.Code == siUser || si.Code == siTkill || si.Code == siQueue:
		s += " pid=" + p.pidName(self, si.Pid)
	case si.Code > 0 && si.Code < siKernel:
		p.mu.Lock()
		name, ok := p.fds[si.Fd]
		p.mu.Unlock()
		if !ok {
			name = "fd?"
		}
		s += fmt.Sprintf(" fd=%s band=%#x", name, si.Band)
	}
	return s
}

func (p *pt) tgkillSelf(t *kernel.Task, sig int) error { return t.Tgkill(t.Pid(), t.Tid(), sig) }

// handle installs fn for sig, as procs.c's handle (SA_SIGINFO added).
func (p *pt) handle(t *kernel.Task, sig int, fn func(*kernel.Task, *kernel.SigInfo), flags int, mask kernel.Sigset) {
	if _, err := t.Sigaction(sig, kernel.Sigaction{Handler: fn, Flags: flags | kernel.SA_SIGINFO, Mask: mask}); err != nil {
		p.t.Fatalf("sigaction %d: %v", sig, err)
	}
}

// action returns sig's disposition without changing it: it sets the
// default action and puts the old one back (the model's Sigaction always
// sets), so it is only for signals whose default is not to ignore, which
// setting discards when pending.
func action(t *kernel.Task, sig int) kernel.Sigaction {
	old, _ := t.Sigaction(sig, kernel.Sigaction{})
	_, _ = t.Sigaction(sig, old)
	return old
}

func dispName(a kernel.Sigaction) string {
	switch {
	case a.Handler != nil:
		return "handler"
	case a.Ignore:
		return "SIG_IGN"
	}
	return "SIG_DFL"
}

// record is the recording handler: what it got, on which thread.
func (p *pt) record(t *kernel.Task, si *kernel.SigInfo) {
	p.mu.Lock()
	p.recs = append(p.recs, ptRec{who: p.tids[t.Tid()], si: *si})
	p.mu.Unlock()
}

// collect prints the records of t's handlers, after a system call (a safe
// point) has let t take what is pending for it.
func (p *pt) collect(t *kernel.Task) {
	t.Sigpending()
	p.mu.Lock()
	me := p.tids[t.Tid()]
	var got []kernel.SigInfo
	for i := range p.recs {
		if !p.recs[i].taken && p.recs[i].who == me {
			p.recs[i].taken = true
			got = append(got, p.recs[i].si)
		}
	}
	p.mu.Unlock()
	for i := range got {
		p.say("  %s got %s", me, p.siline(t, &got[i]))
	}
}

// mkpipe makes a pipe whose ends are named r and w.
func (p *pt) mkpipe(t *kernel.Task, r, w string) (int, int) {
	rfd, wfd, err := pipe.Pipe2(t, 0)
	if err != nil {
		p.t.Fatalf("pipe: %v", err)
	}
	p.mu.Lock()
	p.fds[rfd], p.fds[wfd] = r, w
	p.mu.Unlock()
	return rfd, wfd
}

// own makes who the owner of fd (typ F_OWNER_TID or _PID), with sig and O_ASYNC.
func (p *pt) own(t *kernel.Task, fd, typ, who, sig int) {
	_ = t.FcntlOwnerEx(fd, kernel.F_SETOWN_EX, &kernel.FOwnerEx{Type: typ, Pid: who})
	_, _ = t.Fcntl(fd, kernel.F_SETSIG, sig)
	fl, _ := t.Fcntl(fd, kernel.F_GETFL, 0)
	_, _ = t.Fcntl(fd, kernel.F_SETFL, fl|kernel.O_ASYNC)
}

func waitStr(st kernel.WaitStatus) string {
	switch {
	case st.Exited():
		return fmt.Sprintf("exited %d", st.ExitStatus())
	case st.Signaled():
		return "signaled " + sigName(st.Signal())
	case st.Stopped():
		return "stopped " + sigName(st.StopSignal())
	case st.Continued():
		return "continued"
	}
	return fmt.Sprintf("status %#x", uint32(st))
}

// waitLine is one wait4's transcript line.
func (p *pt) waitLine(t *kernel.Task, call string, pid, opts int) {
	got, st, err := t.Wait4(bg, pid, opts)
	switch {
	case err != nil:
		p.say("%s -> %s", call, errStr(err))
	case got == 0:
		p.say("%s -> 0", call)
	default:
		p.say("%s -> %s %s", call, p.pidName(t, got), waitStr(st))
	}
}

// A ptWorker is a thread of the leader's process running what it is
// given on a goroutine of its own, one call at a time.
type ptWorker struct {
	name string
	t    *kernel.Task
	gid  uint64 // its goroutine, for parkedInKernel
	reqs chan func()
	done chan struct{}
}

func (p *pt) wstart(name string) *ptWorker {
	th, err := p.leader.NewThread(name)
	if err != nil {
		p.t.Fatalf("NewThread: %v", err)
	}
	p.mu.Lock()
	p.tids[th.Tid()] = name
	p.mu.Unlock()
	w := &ptWorker{name: name, t: th, reqs: make(chan func()), done: make(chan struct{})}
	ready := make(chan uint64)
	go func() {
		ready <- goid()
		for f := range w.reqs {
			f()
			w.done <- struct{}{}
		}
		th.ExitThread()
		close(w.done)
	}()
	w.gid = <-ready
	return w
}

func (w *ptWorker) run(f func()) { w.reqs <- f }
func (w *ptWorker) wait()        { <-w.done }
func (w *ptWorker) do(f func())  { w.run(f); w.wait() }

// stop ends the thread and waits until it has exited.
func (w *ptWorker) stop() {
	close(w.reqs)
	<-w.done
}
