package uring

import (
	"fmt"
	"runtime"
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
// that into a completion (waitThread). The thread is the cost: one per
// Loop, held while the Loop lives.
//
// The kernel then lets no other thread enter or register on the ring:
// Do runs such calls on the loop goroutine.

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

// start prepares the loop goroutine: with a thread, it locks the goroutine
// to its OS thread and enables the ring there (which makes the thread the
// ring's single issuer); a ring set up disabled without DEFER_TASKRUN (an
// older kernel) is enabled too.
func (l *Loop) start() error {
	if l.ring.Flags()&IORING_SETUP_R_DISABLED == 0 {
		return nil
	}
	if l.thread {
		runtime.LockOSThread() // for good: the thread is the ring's issuer
	}
	if err := l.ring.EnableRings(); err != nil {
		return fmt.Errorf("uring: NewLoop: enabling the ring: %w", err)
	}
	if l.thread {
		l.armWake()
	}
	return nil
}

// Do runs fn with the Loop's ring and returns its error. On a Loop with a
// thread, where the kernel accepts io_uring_register only from the loop's
// thread, fn runs on the loop goroutine; otherwise on the caller's. fn
// must not call the Loop's methods. After Close, Do reports ErrClosed.
func (l *Loop) Do(fn func(*Ring) error) error {
	if !l.thread {
		l.mu.Lock()
		closed := l.closed
		l.mu.Unlock()
		if closed {
			return ErrClosed
		}
		return fn(l.ring)
	}
	done := make(chan error, 1)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.calls = append(l.calls, loopCall{fn, done})
	l.pendingCalls.Add(1)
	l.mu.Unlock()
	l.wake()
	return <-done
}

// runCalls runs the calls Do queued. Loop goroutine only.
func (l *Loop) runCalls() {
	l.mu.Lock()
	calls := l.calls
	l.calls = nil
	l.pendingCalls.Add(-int32(len(calls)))
	l.mu.Unlock()
	for _, c := range calls {
		c.done <- c.fn(l.ring)
	}
}

// waitThread is park's wait on a Loop with a thread. The loop waits as
// fio does, inside io_uring_enter(GETEVENTS) for one completion, on its
// own thread: the kernel wakes it when it queues completion work, runs
// that work for one request, and returns, so the loop can resubmit the
// first finished request before the kernel posts the rest (the next
// GETEVENTS enter does). Submitters, who may not enter this ring, wake it
// by writing the eventfd, on which the ring holds a multishot poll
// (armWake): its completion ends the wait.
//
// waitThread announces the wait before its last look at the queues, so a
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
func (l *Loop) waitThread(deadline time.Time) {
	l.state.Store(loopParked)
	if l.workQueued() {
		l.state.Store(loopRunning)
		return
	}
	l.stats.parks.Add(1)
	if now := time.Now(); now.Sub(l.yielded) >= yieldEvery {
		l.yielded = now
		runtime.Gosched()
	}
	if err := l.ring.Wait(1, time.Until(deadline)); err != nil {
		panic(fmt.Sprintf("uring: Loop on ring fd %d: %v", l.ring.fd, err))
	}
	l.state.Store(loopRunning)
}

// wakeUD is the user_data of the eventfd poll of a Loop with a thread; no
// internal op's (internalTag | a counter) reaches it.
const wakeUD = internalTag | 1<<62

// armWake queues the multishot poll of the eventfd that lets submitters
// wake a Loop with a thread from its wait in io_uring_enter. It is not a
// request: inflight does not count it, and Close's cancellation of
// everything ends it. Loop goroutine only.
func (l *Loop) armWake() {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.ring.NextSQE()
	if s == nil {
		// The SQ is full of requests the loop has yet to enter; the loop
		// looks again after entering them (run).
		l.wakeUnarmed = true
		return
	}
	s.PrepPollMultishot(l.efdFD, unix.POLLIN, wakeUD)
	l.ring.Flush()
	l.wakeUnarmed = false
}

// woken handles a completion of the eventfd poll: it empties the eventfd
// and, if the kernel ended the poll (no IORING_CQE_F_MORE: a CQ overflow,
// or Close's cancellation), arms a new one unless the Loop is closing.
func (l *Loop) woken(flags uint32) {
	unix.Read(l.efdFD, l.rbuf[:]) // non-blocking: EAGAIN if another completion emptied it
	if flags&IORING_CQE_F_MORE == 0 && !l.closing.Load() {
		l.armWake()
	}
}

// yieldEvery is how often, at most, waitThread lets the Go scheduler run
// (see there): well inside sysmon's 10 ms time slice.
const yieldEvery = 5 * time.Millisecond
