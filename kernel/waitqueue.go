package kernel

import (
	"context"
	"sync"
	"syscall"
)

// ERESTARTSYS is what WaitQueue.Wait returns when its context ends before
// the condition holds: the model's "a signal is pending, unwind and let the
// kernel decide". Drivers return it unchanged from Read, Write and Open; the
// kernel turns it into EINTR, a transparent restart (SA_RESTART, SPEC S3),
// EBADF or the caller's context error. It never escapes a Task method.
const ERESTARTSYS = syscall.Errno(512)

// A WaitQueue is a set of sleepers (goroutines in Wait) and poll tables
// waiting for a device's state to change, like Linux's wait_queue_head_t.
// The zero value is ready to use; a WaitQueue must not be copied after use.
type WaitQueue struct {
	// mu guards ch and polls. It is a leaf lock: nothing is called and no
	// other lock is taken while it is held (WakeUp fires poll tables after
	// dropping it).
	mu sync.Mutex
	// ch is closed by the next WakeUp; every sleeper registered since the
	// previous WakeUp holds it. nil while nobody sleeps, so a WakeUp with no
	// sleepers allocates nothing.
	ch chan struct{}
	// polls are the poll tables registered with PollTable.Wait, in
	// registration order (fired newest first, as add_wait_queue puts an
	// entry at the head of the list); excl are the exclusive ones
	// (epoll's EPOLLEXCLUSIVE entries), in registration order, as
	// add_wait_queue_exclusive queues them at the tail. The order shows:
	// it is the order in which epoll sets hear of one wake-up, so the
	// order of their ready lists.
	polls []*PollTable
	excl  []*PollTable
}

// Wait sleeps until cond reports true or ctx ends, like
// wait_event_interruptible. It reports nil when cond held and ERESTARTSYS
// when ctx ended first (the condition is checked once more after ctx ends
// and wins, as in Linux). Under a call made with RWF_NOWAIT (NoWait) it
// reports EAGAIN instead of sleeping.
//
// If mu is non-nil it must be held on entry; Wait evaluates cond with it
// held, releases it while sleeping and holds it again on return, so the
// state cond reads can be guarded by mu (sync.Cond style). If mu is nil,
// cond must read state that is safe to read concurrently. Either way a
// wake-up cannot be lost: Wait registers on the queue before its last look
// at cond, so a state change after that look is followed by a WakeUp that
// finds it. A nil cond means "until the next WakeUp".
func (q *WaitQueue) Wait(ctx context.Context, mu sync.Locker, cond func() bool) error {
	woken := false
	check := func() bool {
		if cond == nil {
			return woken
		}
		return cond()
	}
	// A system call's own context (every driver method the kernel calls
	// gets one) is slept on without ever making its Done channel: the
	// call's wake channel closes when the kernel cancels it, and the
	// caller's Done channel when the caller's ctx ends (callctx.go).
	kc, _ := ctx.(*call)
	var cancelled, done <-chan struct{}
	fetched := false
	for {
		if check() {
			return nil
		}
		if ctx.Err() != nil {
			return ERESTARTSYS
		}
		if !fetched && NoWait(ctx) {
			return syscall.EAGAIN // RWF_NOWAIT: the caller will not sleep
		}
		ch := q.register()
		if !fetched {
			// Once per Wait, the first time it sleeps; both stay valid
			// for the rest of it. cancelled is closed by the kernel's
			// cancel, or already closed if the cancel came after the Err
			// check, so no cancellation is missed; once it is closed
			// every later select (and the Err check) ends the wait.
			if kc != nil {
				cancelled, done = kc.sleepChans()
			} else {
				done = ctx.Done()
			}
			fetched = true
		}
		if mu != nil {
			// Registered while mu is held: whoever changes the state
			// takes mu after this, so its WakeUp closes ch.
			mu.Unlock()
		} else if check() {
			return nil
		}
		var err error
		select {
		case <-ch:
			woken = true
		case <-cancelled:
			err = ERESTARTSYS
		case <-done:
			err = ERESTARTSYS
		}
		if mu != nil {
			mu.Lock()
		}
		if err != nil {
			if check() {
				return nil
			}
			return err
		}
	}
}

// register returns the channel the next WakeUp closes.
func (q *WaitQueue) register() <-chan struct{} {
	q.mu.Lock()
	if q.ch == nil {
		q.ch = make(chan struct{})
	}
	ch := q.ch
	q.mu.Unlock()
	return ch
}

// WakeUp wakes every sleeper in Wait (each re-checks its condition) and
// then fires every poll table registered on q, like
// wake_up_interruptible: every ordinary table, then the exclusive ones in
// registration order until one reports that it woke a waiter
// (__wake_up_common with nr_exclusive 1). The poll tables' wake functions
// run on the calling goroutine after q's lock is dropped, so WakeUp may be
// called with a driver's own lock held as long as the wake functions do
// not take it. With at most 8 tables of each kind on q it allocates
// nothing.
func (q *WaitQueue) WakeUp() { q.WakeUpPoll(0) }

// WakeUpPoll is WakeUp with a key, like wake_up_interruptible_poll: mask
// is the poll events the change may have caused (POLLIN|POLLRDNORM after
// data arrived, POLLOUT|POLLWRNORM after room was made). Sleepers in Wait
// are all woken as by WakeUp; an epoll registration watching none of the
// events in mask ignores the wake-up, as ep_poll_callback does. A mask of
// 0 means "any event", which is WakeUp.
func (q *WaitQueue) WakeUpPoll(mask int16) { q.wakeUp(mask, wakeTraced) }

// wakeTrace says when the wake_up tracepoint sees a wake-up: a driver's
// always; one of the kernel's own queues (the ones signalfd readers and
// stopped threads sleep on) only when it wakes someone; the queue Pause sleeps on, which no
// driver's path goes through, never.
type wakeTrace uint8

const (
	wakeTraced wakeTrace = iota
	wakeTracedIfWaiters
	wakeUntraced
)

// wakeUp is WakeUpPoll, traced as tr says.
func (q *WaitQueue) wakeUp(mask int16, tr wakeTrace) {
	var buf, xbuf [8]*PollTable
	pts, xpts := buf[:0], xbuf[:0]
	q.mu.Lock()
	ch := q.ch
	q.ch = nil
	for i := len(q.polls) - 1; i >= 0; i-- {
		pts = append(pts, q.polls[i])
	}
	xpts = append(xpts, q.excl...)
	q.mu.Unlock()
	traceWakeUp(q, tr, mask, ch != nil, len(pts)+len(xpts))
	if ch != nil {
		close(ch)
	}
	key := uint32(uint16(mask))
	for _, pt := range pts {
		pt.fire(key)
	}
	for _, pt := range xpts {
		if pt.fire(key) {
			break
		}
	}
}

// addPoll registers pt to be fired by WakeUp.
func (q *WaitQueue) addPoll(pt *PollTable) {
	q.mu.Lock()
	if pt.exclusive {
		q.excl = append(q.excl, pt)
	} else {
		q.polls = append(q.polls, pt)
	}
	q.mu.Unlock()
}

// removePoll unregisters pt.
func (q *WaitQueue) removePoll(pt *PollTable) {
	q.mu.Lock()
	if pt.exclusive {
		q.excl = removeTable(q.excl, pt)
	} else {
		q.polls = removeTable(q.polls, pt)
	}
	q.mu.Unlock()
}

// removeTable removes pt from list, keeping the others' order.
func removeTable(list []*PollTable, pt *PollTable) []*PollTable {
	for i, x := range list {
		if x == pt {
			copy(list[i:], list[i+1:])
			list[len(list)-1] = nil
			return list[:len(list)-1]
		}
	}
	return list
}
