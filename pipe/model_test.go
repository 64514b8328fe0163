package pipe_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/pipe"
)

// modelSys runs the scenarios on a model kernel: the main thread is a
// task whose handlers record every signal it gets (with SA_RESTART), and
// the second thread is a thread of the same process (NewThread) that
// blocks the watched signals, as the real harness's second thread does:
// a signal aimed at it (a pipe's SIGPIPE) waits there, unseen by the main
// thread.
type modelSys struct {
	k      *kernel.Kernel
	t      *kernel.Task
	second *kernel.Task
	third  *kernel.Task // a background thread beside second, made on first use
	other  *kernel.Task
	ids_   map[string]int

	mu        sync.Mutex
	recv      []sigRec // the main task's signals, in delivery order
	otherRecv []sigRec // the other task's
}

func newModelSys(t *testing.T, sc scenario) *modelSys {
	k := kernel.New(kernel.Config{FIFO: pipe.NewFIFO})
	t.Cleanup(func() { k.Close() })
	cred := kernel.Cred{}
	if sc.unprivileged {
		cred = kernel.Cred{UID: 1000, EUID: 1000, SUID: 1000}
	}
	if sc.uid != 0 {
		cred = kernel.Cred{UID: sc.uid, EUID: sc.uid}
	}
	m := &modelSys{k: k, t: k.NewTask("main", cred)}
	m.other = k.NewTask("other", kernel.Cred{})
	m.record(t, m.t, &m.recv)
	second, err := m.t.NewThread("second")
	if err != nil {
		t.Fatalf("NewThread: %v", err)
	}
	set := kernel.SigsetOf(watched...)
	if _, err := second.Sigprocmask(kernel.SIG_BLOCK, &set); err != nil {
		t.Fatalf("sigprocmask: %v", err)
	}
	m.second = second
	m.record(t, m.other, &m.otherRecv)
	group := k.NewTask("group", kernel.Cred{})
	gone := k.NewTask("gone", kernel.Cred{})
	gone.Exit()
	m.ids_ = map[string]int{"me": m.t.Pid(), "pid": m.t.Pid(), "other": m.other.Pid(),
		"pgrp": group.Pgid(), "gone": gone.Pid(), "second": second.Tid()}
	return m
}

// record installs handlers on task for every watched signal that append
// what they get to *to.
func (m *modelSys) record(t *testing.T, task *kernel.Task, to *[]sigRec) {
	for _, sig := range watched {
		act := kernel.Sigaction{Flags: kernel.SA_RESTART, Handler: func(_ *kernel.Task, si *kernel.SigInfo) {
			m.mu.Lock()
			*to = append(*to, sigRec{Signo: si.Signo, Code: si.Code, Fd: si.Fd, Band: si.Band, Pid: si.Pid})
			m.mu.Unlock()
		}}
		if _, err := task.Sigaction(sig, act); err != nil {
			t.Fatalf("sigaction %d: %v", sig, err)
		}
	}
}

// otherSignals lets the other task reach a safe point (any system call
// ends in one), where its pending signals are delivered to its handlers.
func (m *modelSys) otherSignals() []sigRec {
	_ = m.other.Kill(m.other.Pid(), 0)
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.otherRecv
	m.otherRecv = nil
	return dequeueOrder(out)
}

var bg = context.Background()

func (m *modelSys) pipe2(flags int) (int, int, error) { return pipe.Pipe2(m.t, flags) }

func (m *modelSys) fcntl(fd, cmd, arg int) (int, error) { return m.t.Fcntl(fd, cmd, arg) }

func (m *modelSys) setownEx(fd, typ, id int) error {
	return m.t.FcntlOwnerEx(fd, kernel.F_SETOWN_EX, &kernel.FOwnerEx{Type: typ, Pid: id})
}

func (m *modelSys) getownEx(fd int) (int, int, error) {
	var o kernel.FOwnerEx
	err := m.t.FcntlOwnerEx(fd, kernel.F_GETOWN_EX, &o)
	return o.Type, o.Pid, err
}

func (m *modelSys) read(fd, n int) ([]byte, error) {
	buf := make([]byte, n)
	got, err := m.t.Read(bg, fd, buf)
	if err != nil {
		return nil, err
	}
	return buf[:got], nil
}

func (m *modelSys) write(fd int, p []byte) (int, error) { return m.t.Write(bg, fd, p) }

func (m *modelSys) poll(fd int, events int16) (int16, error) {
	fds := []kernel.PollFd{{Fd: fd, Events: events}}
	_, err := m.t.Poll(bg, fds, 0)
	return fds[0].Revents, err
}

func (m *modelSys) close(fd int) error { return m.t.Close(fd) }

func (m *modelSys) dup(fd int) (int, error) { return m.t.Dup(fd) }

func (m *modelSys) ioctl(fd, req, arg int) (int, error) {
	a := kernel.IntArg(arg)
	if _, err := m.t.Ioctl(bg, fd, uint(req), a); err != nil {
		return 0, err
	}
	if req == fionread {
		return a.Int()
	}
	return 0, nil
}

func (m *modelSys) signals() []sigRec {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.recv
	m.recv = nil
	return dequeueOrder(out)
}

// dequeueOrder puts the signals handlers got in the order the real side's
// signalfd reads them: the synchronous signals first (SIGSYS here), then
// lowest number first, real-time ones in queue order. Handlers see them
// in another order when several are delivered at once (the frame set up
// last runs first, as on Linux).
func dequeueOrder(recs []sigRec) []sigRec {
	key := func(r sigRec) int {
		if r.Signo == sigSYS {
			return 0
		}
		return r.Signo
	}
	slices.SortStableFunc(recs, func(a, b sigRec) int { return key(a) - key(b) })
	return recs
}

func (m *modelSys) ids() map[string]int { return m.ids_ }

func (m *modelSys) exitOther() { m.other.Exit() }

// pipeOf returns the pipe behind descriptor fd.
func (m *modelSys) pipeOf(fd int) *pipe.Pipe {
	f, err := m.t.File(fd)
	if err != nil {
		return nil
	}
	p, _ := f.Driver().(*pipe.Pipe)
	return p
}

type modelCall struct {
	done chan struct{}
	data []byte
	n    int
	err  error
}

func (c *modelCall) wait() ([]byte, int, error) {
	select {
	case <-c.done:
		return c.data, c.n, c.err
	case <-time.After(10 * time.Second):
		return nil, 0, errors.New("still asleep after 10s")
	}
}

// startCall runs the call on the second thread and waits until the pipe
// counts it asleep.
func (m *modelSys) startCall(fd, n int, p []byte) (pendingCall, bool) {
	pp := m.pipeOf(fd)
	if pp == nil {
		return &modelCall{done: closedChan(), err: kernel.EBADF}, false
	}
	before := pp.Status()
	c := &modelCall{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		if p == nil {
			buf := make([]byte, n)
			c.n, c.err = m.second.Read(bg, fd, buf)
			c.data = buf[:max(c.n, 0)]
		} else {
			c.n, c.err = m.second.Write(bg, fd, p)
		}
	}()
	asleep := waitFor(func() bool {
		select {
		case <-c.done:
			return true
		default:
		}
		st := pp.Status()
		return st.SleepingReaders > before.SleepingReaders || st.SleepingWriters > before.SleepingWriters
	})
	select {
	case <-c.done:
		asleep = false
	default:
	}
	return c, asleep
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// runModel runs a scenario on the model and returns its transcript.
func runModel(t *testing.T, sc scenario) *env {
	m := newModelSys(t, sc)
	e := newEnv(m)
	if sc.masks {
		e.holding = true
		set := kernel.SigsetOf(watched...)
		if _, err := m.t.Sigprocmask(kernel.SIG_SETMASK, &set); err != nil {
			t.Fatalf("sigprocmask: %v", err)
		}
	}
	sc.run(e)
	return e
}
