package scull

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/pipe"
)

// FuzzOps' operations of the model's user side: signal masks, threads, fork and exec,
// epoll and FIFOs, with the invariants they add:
//
//   - S1, S5: every real-time signal a process accepted (Sigqueue
//     returned nil) is delivered to it exactly once, also across blocks,
//     unblocks and threads, unless the process ended first; none twice;
//   - E5: no epoll set reports a registration of a file whose last
//     close has returned;
//   - E7: a FIFO's pipe counts the open files on it, and exists exactly
//     while one is open;
//   - no goroutine outlives the kernel's Close.

// sigTracked is the real-time signal whose instances FuzzOps counts; the
// tasks of slot 0 handle it.
const sigTracked = kernel.SIGRTMIN + 3

// The FIFOs an input may make and open, beside the devices.
var fuzzFIFOs = []string{"fifo0", "fifo1"}

// fuzzMore is the harness state of these operations.
type fuzzMore struct {
	threads  [fuzzTasks][]*kernel.Task // extra threads of each slot's process
	children []*kernel.Task            // forked processes, at most 2
	exited   []*kernel.Task            // processes ended since the last good check

	// rtMu guards the real-time bookkeeping, which handlers update.
	rtMu    sync.Mutex
	seq     int
	sent    map[int]bool // values slot 0's current process accepted
	got     map[int]int  // deliveries per value
	rtOwner *kernel.Task // the process sent to (slot 0 when it began)

	// epoll registrations: data id -> file registered.
	ids    map[uint64]*kernel.File
	nextID uint64
	closed map[*kernel.File]bool // files seen open once and closed since
	known  map[*kernel.File]bool // files seen open
}

func newFuzzMore() *fuzzMore {
	return &fuzzMore{sent: map[int]bool{}, got: map[int]int{}, ids: map[uint64]*kernel.File{},
		closed: map[*kernel.File]bool{}, known: map[*kernel.File]bool{}}
}

// rtHandler records a delivery of sigTracked.
func (h *fuzzHarness) rtHandler(t *kernel.Task, info *kernel.SigInfo) {
	m := h.more
	v, _ := info.Value.(int)
	m.rtMu.Lock()
	m.got[v]++
	if m.got[v] > 1 {
		h.t.Errorf("S1: real-time signal value %d delivered %d times", v, m.got[v])
	}
	m.rtMu.Unlock()
}

// stepMore runs the operations of this file.
func (h *fuzzHarness) stepMore(op int, in *fuzzInput) string {
	m := h.more
	switch op {
	case opSigmask:
		t, how, v := h.thread(in), in.next()%3, in.next()
		set := kernel.SigsetOf()
		for i, sig := range []int{sigTracked, kernel.SIGIO, kernel.SIGRTMIN + 1, kernel.SIGUSR1} {
			if v&(1<<i) != 0 {
				set.Add(sig)
			}
		}
		_, err := t.Sigprocmask(how, &set)
		return fmt.Sprintf("sigprocmask(%s, %d, %#x) = %v", t.Name(), how, uint64(set), err)
	case opSigqueue:
		t := h.task(in)
		m.rtMu.Lock()
		m.seq++
		v := m.seq
		m.rtMu.Unlock()
		target := h.tasks[0]
		err := t.Sigqueue(target.Pid(), sigTracked, v)
		if err == nil {
			m.rtMu.Lock()
			if m.rtOwner == target {
				m.sent[v] = true
			}
			m.rtMu.Unlock()
		}
		return fmt.Sprintf("sigqueue(%s -> %d, %d) = %v", t.Name(), target.Pid(), v, err)
	case opThread:
		i, v := in.next()%fuzzTasks, in.next()
		ts := m.threads[i]
		if v%2 == 0 && len(ts) < 2 {
			nt, err := h.tasks[i].NewThread(fmt.Sprintf("task%d.t%d", i, len(ts)))
			if err == nil {
				m.threads[i] = append(ts, nt)
			}
			return fmt.Sprintf("clone(task%d, CLONE_THREAD) = %v", i, err)
		}
		if len(ts) > 0 {
			ts[0].ExitThread()
			m.threads[i] = ts[1:]
			return fmt.Sprintf("exit(thread of task%d)", i)
		}
		return "no thread to end"
	case opFork:
		t, v := h.task(in), in.next()
		if v%3 == 2 && len(m.children) > 0 {
			c := m.children[0]
			err := c.Exec(c.Name() + "-exec")
			return fmt.Sprintf("execve(%s) = %v", c.Name(), err)
		}
		if len(m.children) >= 2 {
			c := m.children[0]
			c.ExitGroup(0)
			m.children = m.children[1:]
			m.exited = append(m.exited, c)
			return fmt.Sprintf("exit_group(%s)", c.Name())
		}
		c, err := t.Fork(t.Name() + "-child")
		if err == nil {
			m.children = append(m.children, c)
		}
		return fmt.Sprintf("fork(%s) = %v", t.Name(), err)
	case opEpollCreate:
		t, v := h.task(in), in.next()
		fd, err := t.EpollCreate1(v % 2 * kernel.EPOLL_CLOEXEC)
		h.limit(t, fd, err)
		return fmt.Sprintf("epoll_create1(%s) = %d, %v", t.Name(), fd, err)
	case opEpollCtl:
		return h.epollCtl(in)
	case opEpollWait:
		return h.epollWait(in)
	case opMkfifo:
		t, v := h.task(in), in.next()
		name := fuzzFIFOs[v%len(fuzzFIFOs)]
		return fmt.Sprintf("mkfifo(%s, %s) = %v", t.Name(), name, t.Mkfifo(name, 0o600))
	}
	panic(fmt.Sprintf("FuzzOps: no operation %d", op))
}

// thread picks a slot's main thread or one of its extra threads.
func (h *fuzzHarness) thread(in *fuzzInput) *kernel.Task {
	i, v := in.next()%fuzzTasks, in.next()
	ts := h.more.threads[i]
	if v%3 == 0 || len(ts) == 0 {
		return h.tasks[i]
	}
	return ts[v%len(ts)]
}

// epollCtl is epoll_ctl with a random op, descriptors and event bits; the
// data is a fresh id naming the file registered.
func (h *fuzzHarness) epollCtl(in *fuzzInput) string {
	m := h.more
	t, ep, op, n, bits := h.task(in), fd(in), in.next()%4, fd(in), in.next()
	var events uint32
	for i, b := range []uint32{kernel.EPOLLIN, kernel.EPOLLOUT, kernel.EPOLLET, kernel.EPOLLONESHOT,
		kernel.EPOLLEXCLUSIVE, kernel.EPOLLRDHUP, kernel.EPOLLPRI} {
		if bits&(1<<i) != 0 {
			events |= b
		}
	}
	m.nextID++
	ev := &kernel.EpollEvent{Events: events, Data: m.nextID}
	if bits&0x80 != 0 && op != kernel.EPOLL_CTL_DEL {
		ev = nil // EFAULT
	}
	err := t.EpollCtl(ep, op, n, ev)
	if err == nil && ev != nil {
		if f, ferr := t.File(n); ferr == nil {
			m.ids[ev.Data] = f
		}
	}
	return fmt.Sprintf("epoll_ctl(%s, %d, %d, %d, %#x) = %v", t.Name(), ep, op, n, events, err)
}

// epollWait waits on an epoll descriptor and checks that no reported
// registration belongs to a file closed before the call (E5).
func (h *fuzzHarness) epollWait(in *fuzzInput) string {
	m := h.more
	t, ep, v := h.task(in), fd(in), in.next()
	timeout := time.Duration(0)
	if v%2 == 1 {
		timeout = fuzzBlockFor
	}
	closedBefore := make(map[*kernel.File]bool, len(m.closed))
	for f := range m.closed {
		closedBefore[f] = true
	}
	ctx, cancel := blocking()
	defer cancel()
	evs := make([]kernel.EpollEvent, 1+v%4)
	n, err := t.EpollWait(ctx, ep, evs, timeout)
	for _, e := range evs[:max(n, 0)] {
		f, ok := m.ids[e.Data]
		switch {
		case !ok:
			h.t.Errorf("E2: epoll_wait handed back data %d never registered", e.Data)
		case closedBefore[f] && f.Name() != "[eventpoll]":
			// (An epoll file closed by a killed task's exit may still be
			// releasing: only device and FIFO files are judged.)
			h.t.Errorf("E5: epoll_wait reported data %d of %s after its last close", e.Data, f.Name())
		}
	}
	return fmt.Sprintf("epoll_wait(%s, %d, %d, %v) = %d, %v", t.Name(), ep, len(evs), timeout, n, err)
}

// devName picks a name to open: a scullpipe, one that does not exist
// (ENOENT), or a FIFO (ENOENT until made).
func devName(v int) string {
	i := v % (fuzzDevices + 1 + len(fuzzFIFOs))
	if i > fuzzDevices {
		return fuzzFIFOs[i-fuzzDevices-1]
	}
	return DeviceName(i)
}

// isScull reports whether a file is a scullpipe's.
func isScull(f *kernel.File) bool { return strings.HasPrefix(f.Name(), "scullpipe") }

// processes returns every process the harness drives: the slots' tasks
// and the forked children.
func (h *fuzzHarness) processes() []*kernel.Task {
	return append(h.tasks[:len(h.tasks):len(h.tasks)], h.more.children...)
}

// noteClosed records, after a successful check (so that every close has
// finished), which files seen open before are open no more.
func (h *fuzzHarness) noteClosed(open map[*kernel.File]bool) {
	m := h.more
	for f := range open {
		m.known[f] = true
	}
	for f := range m.known {
		if !open[f] {
			m.closed[f] = true
			delete(m.known, f)
		}
	}
}

// checkFIFOs checks E7's counts against the open files.
func (h *fuzzHarness) checkFIFOs(readers, writers map[string]int) error {
	for _, name := range fuzzFIFOs {
		d, ok := h.k.Device(name)
		if !ok {
			continue
		}
		st, exists := d.(*pipe.FIFO).Status()
		r, w := readers[name], writers[name]
		if exists != (r+w > 0) || st.Readers != r || st.Writers != w {
			return fmt.Errorf("E7: %s: pipe exists %v with %d/%d readers/writers, open files %d/%d",
				name, exists, st.Readers, st.Writers, r, w)
		}
	}
	return nil
}

// finish checks the end-of-run invariants: with every thread of slot 0's
// process unblocked and through a safe point, each accepted real-time
// signal has been delivered once (S1, S5); after Close, no goroutine is
// left (the caller passes the count before the run).
func (h *fuzzHarness) finish(goroutines int) {
	m := h.more
	target := h.tasks[0]
	if target.Alive() && m.rtOwner == target {
		var none kernel.Sigset
		for _, t := range append([]*kernel.Task{target}, m.threads[0]...) {
			if t.Alive() {
				t.Sigprocmask(kernel.SIG_SETMASK, &none)
				t.Sigpending() // a safe point: pending signals are delivered
			}
		}
		if target.Alive() {
			m.rtMu.Lock()
			var lost []int
			for v := range m.sent {
				if m.got[v] == 0 {
					lost = append(lost, v)
				}
			}
			m.rtMu.Unlock()
			if len(lost) > 0 && target.Alive() {
				sort.Ints(lost)
				h.t.Errorf("S1/S5: real-time signals %v accepted by pid %d and never delivered", lost, target.Pid())
			}
		}
	}
	h.k.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		buf := make([]byte, 1<<16)
		h.t.Errorf("%d goroutines left after the kernel closed, %d before the run:\n%s", n, goroutines, buf[:runtime.Stack(buf, true)])
	}
}
