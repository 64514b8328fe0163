package kernel

import (
	"sync"
	"sync/atomic"
)

// A PollTable is the poll_table of one poll call: a Poller registers it on
// each wait queue whose wake-up could change its answer (PollTable.Wait),
// and every WakeUp of one of those queues calls the table's wake function,
// until Free.
type PollTable struct {
	wake func()
	// wakeEx, if set, is the wake function instead of wake: it reports
	// whether it woke a waiter, which ends an exclusive wake-up (epoll's
	// ep_poll_callback). exclusive queues the table with
	// add_wait_queue_exclusive semantics (WakeUp).
	wakeEx    func(key uint32) bool
	exclusive bool
	// task is the task polling through the table (Linux's current in a
	// poll method), nil when none: Task.Poll sets it, and so must every
	// task-side poller (select, epoll_wait) before polling a file, since
	// a signalfd's readiness is the poller's pending signals.
	task *Task
	// freed is set by Free; fire checks it so that no wake starts after
	// Free has returned unless a WakeUp was already past its check.
	freed atomic.Bool
	// mu guards queues and orders Wait against Free. Lock order: mu before
	// any WaitQueue.mu.
	mu     sync.Mutex
	queues map[*WaitQueue]struct{}
}

// NewPollTable returns a poll table whose wake function is called (from
// WakeUp, on the waker's goroutine, without queue locks held) after any
// queue the table waits on is woken, until Free. wake must not block; a
// wake racing with Free may still run once, so it must tolerate that. A nil
// wake makes a table that only records registrations.
func NewPollTable(wake func()) *PollTable {
	return &PollTable{wake: wake}
}

// newPollTableFunc returns a poll table whose wake function gets the
// wake-up's key and reports whether it woke a waiter; an exclusive table is fired after the
// ordinary ones of a queue, and only until one exclusive table reports
// true (EPOLLEXCLUSIVE).
func newPollTableFunc(wake func(key uint32) bool, exclusive bool) *PollTable {
	return &PollTable{wakeEx: wake, exclusive: exclusive}
}

// Wait registers pt on q (poll_wait). Registering twice on the same queue
// is the same as once. A nil pt or q is a no-op, so drivers can pass on
// the table they were given without checking it.
func (pt *PollTable) Wait(q *WaitQueue) {
	if pt == nil || q == nil {
		return
	}
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if pt.freed.Load() {
		return
	}
	if _, ok := pt.queues[q]; ok {
		return
	}
	if pt.queues == nil {
		pt.queues = make(map[*WaitQueue]struct{})
	}
	pt.queues[q] = struct{}{}
	q.addPoll(pt)
}

// Free unregisters pt from every queue it waits on. It is idempotent and
// safe on a nil table.
func (pt *PollTable) Free() {
	if pt == nil {
		return
	}
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if pt.freed.Swap(true) {
		return
	}
	for q := range pt.queues {
		q.removePoll(pt)
	}
	pt.queues = nil
}

// fire calls the wake function unless pt has been freed, and reports
// whether a waiter was woken (always true for a plain wake function).
// key is WakeUpPoll's mask (0: any event).
func (pt *PollTable) fire(key uint32) bool {
	if pt.freed.Load() {
		return false
	}
	if pt.wakeEx != nil {
		return pt.wakeEx(key)
	}
	if pt.wake != nil {
		pt.wake()
	}
	return true
}
