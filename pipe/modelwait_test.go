package pipe_test

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/fasync-go/fasync/kernel"
)

// The model side of sigSys and pollSys: the main thread's calls are the
// main task's; a background call runs on another goroutine as a thread
// of the same process (NewThread), as the real side's runs on another OS
// thread.

func (m *modelSys) sigprocmask(how int, set *uint64) (uint64, error) {
	var sp *kernel.Sigset
	if set != nil {
		s := kernel.Sigset(*set)
		sp = &s
	}
	old, err := m.t.Sigprocmask(how, sp)
	return uint64(old), err
}

func (m *modelSys) sigpending() uint64 { return uint64(m.t.Sigpending()) }

func (m *modelSys) tgkill(who string, sig int) error {
	return m.t.Tgkill(m.t.Pid(), m.ids_[who], sig)
}

func (m *modelSys) sigtimedwait(set uint64, timeout time.Duration) (sigRec, error) {
	si, err := m.t.Sigtimedwait(bg, kernel.Sigset(set), timeout)
	if err != nil {
		return sigRec{}, err
	}
	return sigRec{Signo: si.Signo, Code: si.Code, Fd: si.Fd, Band: si.Band, Pid: si.Pid}, nil
}

func (m *modelSys) signalfd(fd int, mask uint64, flags int) (int, error) {
	return m.t.Signalfd(fd, kernel.Sigset(mask), flags)
}

func (m *modelSys) epollCreate1(flags int) (int, error) { return m.t.EpollCreate1(flags) }

func (m *modelSys) epollCtl(ep, op, fd int, ev *epEvent) error {
	var kev *kernel.EpollEvent
	if ev != nil {
		kev = &kernel.EpollEvent{Events: ev.Events, Data: ev.Data}
	}
	return m.t.EpollCtl(ep, op, fd, kev)
}

func (m *modelSys) epollWait(ep, n int, timeout time.Duration) ([]epEvent, error) {
	return epollWaitOn(m.t, ep, n, timeout)
}

func epollWaitOn(t *kernel.Task, ep, n int, timeout time.Duration) ([]epEvent, error) {
	evs := make([]kernel.EpollEvent, max(n, 0))
	got, err := t.EpollWait(bg, ep, evs, timeout)
	if err != nil {
		return nil, err
	}
	out := make([]epEvent, got)
	for i := range out {
		out[i] = epEvent{Events: evs[i].Events, Data: evs[i].Data}
	}
	return out, nil
}

func (m *modelSys) selectFds(nfds int, sets [3][]int, timeout *time.Duration) (int, [3][]int, error) {
	return selectOn(m.t, nfds, sets, timeout)
}

func selectOn(t *kernel.Task, nfds int, sets [3][]int, timeout *time.Duration) (int, [3][]int, error) {
	var fs [3]kernel.FdSet
	var ptrs [3]*kernel.FdSet
	for i, s := range sets {
		if s == nil {
			continue
		}
		ptrs[i] = &fs[i]
		for _, fd := range s {
			fs[i].Set(fd)
		}
	}
	n, err := t.Select(bg, nfds, ptrs[0], ptrs[1], ptrs[2], timeout)
	if err != nil {
		return 0, [3][]int{}, err
	}
	var out [3][]int
	for i, s := range sets {
		for _, fd := range s {
			if fs[i].IsSet(fd) {
				out[i] = append(out[i], fd)
			}
		}
	}
	return n, out, nil
}

func (m *modelSys) mkfifo(name string, perm uint32) error { return m.t.Mkfifo(name, perm) }

func (m *modelSys) open(name string, flags int) (int, error) { return m.t.Open(bg, name, flags) }

// onThread is the calls of a background thread: modelSys's, made by
// thread t.
type onThread struct {
	*modelSys
	t *kernel.Task
}

func (o onThread) epollWait(ep, n int, timeout time.Duration) ([]epEvent, error) {
	return epollWaitOn(o.t, ep, n, timeout)
}

func (o onThread) selectFds(nfds int, sets [3][]int, timeout *time.Duration) (int, [3][]int, error) {
	return selectOn(o.t, nfds, sets, timeout)
}

func (o onThread) open(name string, flags int) (int, error) { return o.t.Open(bg, name, flags) }

func (o onThread) read(fd, n int) ([]byte, error) {
	buf := make([]byte, n)
	got, err := o.t.Read(bg, fd, buf)
	if err != nil {
		return nil, err
	}
	return buf[:got], nil
}

// background runs f on a goroutine as the second thread (which 0) or a
// third one (1), and waits until that goroutine is parked inside the
// model kernel.
func (m *modelSys) background(which, _ int, f func(on pollSys)) (<-chan struct{}, bool) {
	th := m.second
	if which == 1 {
		if m.third == nil {
			t, err := m.t.NewThread("third")
			if err != nil {
				return closedChan(), false
			}
			m.third = t
		}
		th = m.third
	}
	done := make(chan struct{})
	ids := make(chan uint64, 1)
	go func() {
		defer close(done)
		ids <- goid()
		f(onThread{m, th})
	}()
	id := <-ids
	asleep := waitFor(func() bool {
		select {
		case <-done:
			return true
		default:
		}
		return parkedInKernel(id)
	})
	select {
	case <-done:
		asleep = false
	default:
	}
	return done, asleep
}

// goid is the calling goroutine's id, as its stack trace gives it.
func goid() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	f := bytes.Fields(buf[:n])
	if len(f) < 2 {
		return 0
	}
	id, _ := strconv.ParseUint(string(f[1]), 10, 64)
	return id
}

// parkedInKernel reports whether goroutine id is parked (on a channel or
// a condition, not a mutex) inside the model kernel: asleep in a system
// call, as /proc's state S is on the real side.
func parkedInKernel(id uint64) bool { return parkedAt(id, "fasync/kernel.") }

// parkedAt is parkedInKernel with the place named: goroutine id is parked
// with where (a function name) on its stack.
func parkedAt(id uint64, where string) bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	head := []byte(fmt.Sprintf("goroutine %d [", id))
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if !bytes.HasPrefix(g, head) {
			continue
		}
		state := g[len(head):]
		parked := bytes.HasPrefix(state, []byte("select")) || bytes.HasPrefix(state, []byte("chan receive")) ||
			bytes.HasPrefix(state, []byte("sync.Cond.Wait"))
		return parked && bytes.Contains(g, []byte(where)) && !bytes.Contains(g, []byte("sync.(*Mutex)"))
	}
	return false
}
