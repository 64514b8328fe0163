package uring

import (
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// A pollMode is a Loop whose goroutine waits in Go's netpoller (the
// default): an eventfd registered with the ring is read through an
// os.File, so a Loop waiting for the kernel holds no OS thread. The
// kernel signals the eventfd when it posts a completion, and submitters
// write it to wake the loop.
type pollMode struct {
	l    *Loop
	efd  *os.File // non-blocking, registered with the ring
	rbuf [8]byte  // the loop goroutine's read buffer
}

// newPollMode registers efd with l's ring and wraps it for the
// netpoller.
func newPollMode(l *Loop, efd int) (*pollMode, error) {
	if err := l.ring.RegisterEventfd(efd); err != nil {
		unix.Close(efd)
		return nil, err
	}
	l.ring.SetEventfdEnabled(false) // the loop starts running; see wait
	return &pollMode{l: l, efd: os.NewFile(uintptr(efd), "io_uring-eventfd")}, nil
}

func (m *pollMode) start() error { return m.l.enableRing() }

func (*pollMode) beforeSubmit()       {}
func (*pollMode) afterSubmit()        {}
func (*pollMode) taskRun() bool       { return false }
func (*pollMode) owned([]CQE) int     { return 0 }
func (*pollMode) handleOwn(*CQE) bool { return false }
func (*pollMode) pending() bool       { return false }
func (*pollMode) finish()             {}

// idleWoken lets the goroutines already runnable on this P go first. The
// poke put the loop goroutine next in line on the waker's P, ahead of
// them, and they are often submitters too (callers that the last round's
// completions woke): so they queue their SQEs before the next enter,
// which takes them all. 32 goroutines each reading and waiting got 14
// SQEs per enter this way, one without, and twice the reads per second.
// Nothing is in flight, so no completion waits meanwhile.
func (*pollMode) idleWoken() { runtime.Gosched() }

// completesUnentered: the kernel runs a completion's work on the
// submitting thread at its next return to user space, whatever it does.
func (*pollMode) completesUnentered() bool { return true }

// wait waits in the netpoller until the eventfd is written (by the kernel
// posting a completion, or by a submitter) or deadline passes.
//
// The kernel signals the eventfd only while the loop waits on it: the
// rest of the time IORING_CQ_EVENTFD_DISABLED is set, since every signal
// costs an epoll wake-up, often of another thread, and the running loop
// reaps without one. Enabling is a store followed by a load of the CQ
// tail, and posting in the kernel is a store of the tail, a full barrier
// (the wq_has_sleeper check of its CQ wait queue) and a load of the flag,
// so one of the two sees the other. parkRecheck bounds the wait anyway,
// so a missed signal could cost latency, never a hang; Stats counts such
// late finds.
//
// The loop does not wait inside io_uring_enter(IORING_ENTER_GETEVENTS),
// as fio does: a loop blocked in the kernel cannot take new SQEs, so
// submitters would have to enter for it one request at a time, which
// undoes the batching, and O_DIRECT 4 KiB reads at depth 32 cost about a
// quarter more CPU each that way than with the netpoller, alternating in
// one run. The wake-ups that make the Engine cost more CPU than fio per
// disk read are not the loop's but the Go scheduler's, which wakes an
// idle P's thread whenever a completion readies a goroutine. A Loop with
// a thread does wait in the kernel (threadMode).
func (m *pollMode) wait(deadline time.Time) {
	l := m.l
	l.state.Store(loopParked)
	l.ring.SetEventfdEnabled(true)
	if l.workQueued() {
		l.ring.SetEventfdEnabled(false)
		l.state.Store(loopRunning)
		return
	}
	m.efd.SetReadDeadline(deadline)
	l.stats.parks.Add(1)
	_, err := m.efd.Read(m.rbuf[:])
	l.ring.SetEventfdEnabled(false)
	l.state.Store(loopRunning)
	if err != nil && l.ring.Ready() > 0 {
		l.stats.late.Add(1) // a completion posted without a signal
	}
}

func (m *pollMode) kick() {
	m.efd.Write(wakeByte) // fails only once closed, when nobody waits
}

// do runs fn on the caller's goroutine: any thread may register on a
// ring without SINGLE_ISSUER.
func (m *pollMode) do(fn func(*Ring) error) error {
	m.l.mu.Lock()
	closed := m.l.closed
	m.l.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return fn(m.l.ring)
}

func (m *pollMode) close() error { return m.efd.Close() }
