package uring

import (
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A Loop with a thread of its own (LoopConfig.Thread).
//
// A request that does not complete inside io_uring_enter (a disk read, a
// pipe that is empty) is finished later by task work that the kernel
// queues to the thread that submitted it. An ordinary Loop's goroutine
// moves between threads, so that work lands on whichever thread entered
// last, often one asleep in the Go scheduler: the kernel wakes it to post
// the completion, the eventfd wakes the netpoller, and the netpoller wakes
// the loop goroutine, perhaps on a third thread. fio instead sets its ring
// up SINGLE_ISSUER | DEFER_TASKRUN | COOP_TASKRUN and waits on the thread
// that submits: the kernel keeps completion work until that thread asks
// for it, and one wake-up reaches the thread that will handle it.
//
// With Thread the loop goroutine locks itself to its OS thread, enables
// the ring there (it is created disabled, so the thread becomes its single
// issuer), enters with GETEVENTS whenever the kernel says it holds
// completion work (IORING_SQ_TASKRUN), and with requests in the kernel
// waits on that thread inside io_uring_enter, as fio does, instead of in
// the netpoller; submitters write the eventfd to wake it, as for a loop
// without a thread, and a poll of the eventfd armed in the ring turns
// that into a completion (threadMode.wait). The thread is the cost: one
// per Loop, held while the Loop lives.
//
// The kernel then lets no other thread enter or register on the ring:
// Do runs such calls on the loop goroutine.

// A threadMode is a Loop with a thread of its own. Its fields belong to
// the loop goroutine, except calls (guarded by the Loop's mu) and
// pendingCalls.
type threadMode struct {
	l    *Loop
	efd  int     // eventfd polled from the ring (armWake); submitters write it
	rbuf [8]byte // the loop goroutine's read buffer

	// wakeUnarmed says the eventfd poll waits to be queued for want of
	// an SQE; yielded is when the loop goroutine last went through the
	// Go scheduler (wait).
	wakeUnarmed bool
	yielded     time.Time
	// procs is GOMAXPROCS as wait last read it, at most yieldEvery ago:
	// reading it takes the scheduler's global lock.
	procs int

	// calls are functions Do runs on the loop goroutine; pendingCalls
	// counts them, for the loop's look for work.
	calls        []loopCall
	pendingCalls atomic.Int32
}

// threadFlags are the setup flags LoopConfig.Thread adds. TASKRUN_FLAG
// makes the kernel say in the SQ flags when it holds completion work.
const threadFlags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
	IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_R_DISABLED

// A loopCall is a function Do runs on the loop goroutine, and where its
// result goes.
type loopCall struct {
	fn   func(*Ring) error
	done chan error
}

// start locks the loop goroutine to its OS thread and enables the ring
// there, which makes the thread the ring's single issuer.
func (m *threadMode) start() error {
	runtime.LockOSThread() // for good: the thread is the ring's issuer
	if err := m.l.enableRing(); err != nil {
		return err
	}
	threadLoops.Add(1)
	m.armWake()
	return nil
}

// threadLoops counts the process's Loops with a thread whose loop
// goroutine runs (from start to finish). Each holds a P while it runs Go
// code or waits in io_uring_enter (see wait); one idle on its channel
// holds none but still counts, so an idle Loop with a thread (an idle
// O_DIRECT engine, say) makes the others hand off where a P might be
// free.
var threadLoops atomic.Int32

// do queues fn for the loop goroutine, where the kernel accepts
// io_uring_register, and waits for its result.
func (m *threadMode) do(fn func(*Ring) error) error {
	l := m.l
	done := make(chan error, 1)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	m.calls = append(m.calls, loopCall{fn, done})
	m.pendingCalls.Add(1)
	l.mu.Unlock()
	l.wake()
	return <-done
}

// beforeSubmit runs the calls Do queued.
func (m *threadMode) beforeSubmit() {
	if m.pendingCalls.Load() != 0 {
		m.runCalls()
	}
}

// runCalls runs the calls Do queued.
func (m *threadMode) runCalls() {
	m.l.mu.Lock()
	calls := m.calls
	m.calls = nil
	m.pendingCalls.Add(-int32(len(calls)))
	m.l.mu.Unlock()
	for _, c := range calls {
		c.done <- c.fn(m.l.ring)
	}
}

// idleWoken does nothing: a Gosched on a locked thread costs two thread
// wake-ups (see wait).
func (*threadMode) idleWoken() {}

// finish answers a Do that queued its call before Close marked the Loop
// closed (none can queue after).
func (m *threadMode) finish() {
	threadLoops.Add(-1)
	m.runCalls()
}

// afterSubmit arms the eventfd poll if an earlier try found no SQE: it is
// entered on the next round. Reap first, or a full CQ could keep the SQ
// full.
func (m *threadMode) afterSubmit() {
	if m.wakeUnarmed {
		m.armWake()
	}
}

// taskRun: with DEFER_TASKRUN the kernel posts the completions it holds
// for this thread once it enters with GETEVENTS (no waiting: minComplete
// 0), after what is already posted is handled. Not folded into submit's
// enters, whose count of completions posted inline must stay its own.
func (m *threadMode) taskRun() bool {
	if m.l.failed || !m.l.ring.TaskRunPending() {
		return false
	}
	m.l.enter(0, IORING_ENTER_GETEVENTS)
	return true
}

// pending: Do calls to run, or completion work the kernel holds for the
// thread.
func (m *threadMode) pending() bool {
	return m.pendingCalls.Load() != 0 || m.l.ring.TaskRunPending()
}

// completesUnentered: with DEFER_TASKRUN a completion waits for the
// thread to enter.
func (*threadMode) completesUnentered() bool { return false }

// owned counts the eventfd poll's completions among cqes: not requests.
func (*threadMode) owned(cqes []CQE) int {
	n := 0
	for i := range cqes {
		if cqes[i].UserData == wakeUD {
			n++
		}
	}
	return n
}

// handleOwn handles a completion of the eventfd poll.
func (m *threadMode) handleOwn(c *CQE) bool {
	if c.UserData != wakeUD {
		return false
	}
	m.woken(c.Flags)
	return true
}

// wait is park's wait on a Loop with a thread. The loop waits as fio
// does, inside io_uring_enter(GETEVENTS) for one completion, on its own
// thread: the kernel wakes it when it queues completion work, runs that
// work for one request, and returns, so the loop can resubmit the first
// finished request before the kernel posts the rest (the next GETEVENTS
// enter does). Submitters, who may not enter this ring, wake it by
// writing the eventfd, on which the ring holds a multishot poll
// (armWake): its completion ends the wait.
//
// wait announces the wait before its last look at the queues, so a
// submitter racing with it either is seen or writes the eventfd; a write
// after the look and before the wait leaves completion work queued,
// which io_uring_enter runs before it sleeps.
//
// Before it sleeps, the loop goroutine goes through the Go scheduler once
// every yieldEvery. A goroutine that never does is, to the runtime's
// sysmon thread, one that has run for longer than its 10 ms time slice;
// while it sits in a blocking system call, sysmon then takes its P away
// on each of its rounds (every 20 µs to 10 ms), the loop thread wakes
// sysmon again when it returns without its P, and sysmon, woken by a
// system call, goes back to rounds of 20 µs. Measured on a 2-vCPU VM
// with O_DIRECT reads: a futex wake-up of sysmon on every
// wake-up of the loop, 4,000 context switches and 1,800 timer interrupts a
// second on the other core, against 600 with the yield. A Gosched on a
// locked thread hands the P to another thread and back, two wake-ups:
// once every few milliseconds, while the kernel works, that is cheap.
//
// A Handler that woke a goroutine (Readied) also makes the loop go
// through the scheduler before it sleeps, so that the goroutine gets the
// P, when the process's Loops with threads are as many as the Ps: with
// fewer, a P left over takes the goroutine at once, and the yield would
// cost two thread wake-ups for nothing.
//
// A wait the kernel refuses (not a timeout, a signal or a busy kernel)
// fails the Loop (loop_fail.go).
func (m *threadMode) wait(deadline time.Time) {
	l := m.l
	l.state.Store(loopParked)
	if l.workQueued() {
		l.state.Store(loopRunning)
		return
	}
	now := time.Now()
	periodic := now.Sub(m.yielded) >= yieldEvery
	if periodic || m.procs == 0 {
		m.procs = runtime.GOMAXPROCS(0)
	}
	readied := l.readied && int(threadLoops.Load()) >= m.procs
	if l.readied {
		l.readied = false
		if readied {
			l.stats.handoffs.Add(1)
		}
		l.stats.readiedWaits.Add(1)
	}
	l.stats.parks.Add(1)
	if readied || periodic {
		m.yielded = now
		runtime.Gosched()
	}
	err := l.ring.Wait(1, time.Until(deadline))
	l.state.Store(loopRunning)
	if err != nil {
		l.fail(err)
	}
}

// wakeUD is the user_data of the eventfd poll of a Loop with a thread; no
// internal op's (internalTag | a counter) reaches it.
const wakeUD = internalTag | 1<<62

// armWake queues the multishot poll of the eventfd that lets submitters
// wake a Loop with a thread from its wait in io_uring_enter. It is not a
// request: inflight does not count it, and Close's cancellation of
// everything ends it. A closing Loop arms none.
func (m *threadMode) armWake() {
	l := m.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing.Load() {
		m.wakeUnarmed = false
		return
	}
	s := l.ring.NextSQE()
	if s == nil {
		// The SQ is full of requests the loop has yet to enter; the loop
		// looks again after entering them (afterSubmit).
		m.wakeUnarmed = true
		return
	}
	s.PrepPollMultishot(m.efd, unix.POLLIN, wakeUD)
	l.ring.Flush()
	m.wakeUnarmed = false
}

// woken handles a completion of the eventfd poll: it empties the eventfd
// and, if the kernel ended the poll (no IORING_CQE_F_MORE: a CQ overflow,
// or Close's cancellation), arms a new one unless the Loop is closing.
func (m *threadMode) woken(flags uint32) {
	unix.Read(m.efd, m.rbuf[:]) // non-blocking: EAGAIN if another completion emptied it
	if flags&IORING_CQE_F_MORE == 0 {
		m.armWake()
	}
}

func (m *threadMode) kick() { unix.Write(m.efd, wakeByte) }

func (m *threadMode) close() error { return unix.Close(m.efd) }

// yieldEvery is how often, at most, wait lets the Go scheduler run (see
// there): well inside sysmon's 10 ms time slice.
const yieldEvery = 5 * time.Millisecond
