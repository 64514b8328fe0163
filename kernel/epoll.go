package kernel

import (
	"context"
	"sync"
)

// An eventpoll is one epoll instance (struct eventpoll), the driver of
// the file EpollCreate1 makes. Its readiness comes from the watched
// files' own wait queues (SPEC E3): each registration (epitem) has a
// poll table on every queue the file's Poll registered, whose wake
// function (epitem.wake, Linux's ep_poll_callback) puts the item on the
// ready list in O(1) and wakes one waiter. EpollWait looks only at the
// ready list, asking each item's file for its mask again (the
// level-triggered re-check), so neither a wake-up nor a wait costs more
// with more files watched.
//
// Locks, in order (doc.go): Kernel.epnested → mtx (of a containing set
// before a contained one) → the drivers' locks → lock; mtx →
// File.epolls.mu. lock and File.epolls.mu are leaves.
//
//   - mtx is ep->mtx: it guards items and every item's data, and
//     serialises EpollCtl, the scans of the ready list and the removal
//     of items; it is held while the watched files' Poll methods run.
//   - lock is ep->lock: it guards the ready list, the scan state, the
//     waiters and the items' events as the wake function reads them. It
//     is taken by the wake function, which may run with a driver's lock
//     held, so nothing is called while it is held.
type eventpoll struct {
	mtx   sync.Mutex
	items map[epKey]*epitem

	lock sync.Mutex
	// rdllist holds the ready items (and, during a scan, those the scan
	// put back), oldest first.
	rdllist epList
	// scanning is set while a scan owns its batch; wake-ups of items then
	// go to ovflist (a LIFO chain through epitem.ovfNext) instead.
	scanning bool
	ovflist  *epitem
	// waiters sleep in EpollWait, first come first woken; each wake-up
	// wakes one (ep->wq is an exclusive wait queue).
	waiters []*epWaiter

	// pollWait is ep->poll_wait: poll, select and containing epoll sets
	// register on it through the epoll file's Poll.
	pollWait WaitQueue

	// gen and loopDepth are loop-check scratch, guarded by
	// Kernel.epnested (epoll_ctl.go).
	gen       uint64
	loopDepth int
}

// epKey identifies a registration as Linux does: the open file and the
// descriptor number it was added through.
type epKey struct {
	file *File
	fd   int
}

// An epitem is one registration: a file watched by an eventpoll.
type epitem struct {
	ep     *eventpoll
	epFile *File // the epoll's own file, for the loop check's upward walk
	file   *File
	fd     int
	pt     *PollTable // on the queues file's Poll registered; wake is epitem.wake

	// events is written under ep.mtx and ep.lock, read under either.
	events uint32
	data   uint64 // guarded by ep.mtx

	// Guarded by ep.lock (linked and the links also by the scan that
	// owns the batch the item is on):
	prev, next *epitem // rdllist or a scan's batch
	linked     bool    // on rdllist or a scan's batch
	onOvf      bool    // on ovflist
	ovfNext    *epitem
	removed    bool // unregistered: wake-ups racing the removal do nothing

	// fprev and fnext link the file's registrations (File.epolls).
	fprev, fnext *epitem
}

// An epWaiter is a task in EpollWait.
type epWaiter struct {
	ch    chan struct{} // capacity 1: the wake-up
	woken bool          // taken off waiters by a wake-up; guarded by ep.lock
	// scan is the table the wait's scans poll the ready files with: it
	// registers nowhere and names the waiting task (a signalfd's
	// readiness is its poller's pending signals).
	scan PollTable
}

// epWaiterPool recycles waiters, so a wait allocates nothing.
var epWaiterPool = sync.Pool{New: func() any {
	w := &epWaiter{ch: make(chan struct{}, 1)}
	w.scan.freed.Store(true)
	return w
}}

// taskTable returns a poll table that registers nowhere and names t as
// the poller: ep_item_poll's table without a queue function, polled as
// current.
func taskTable(t *Task) *PollTable {
	pt := &PollTable{task: t}
	pt.freed.Store(true)
	return pt
}

// newEventpoll returns an empty epoll instance.
func newEventpoll() *eventpoll {
	return &eventpoll{items: make(map[epKey]*epitem)}
}

// wake is the items' poll-table wake function, ep_poll_callback: it puts
// epi on the ready list (or, during a scan, on ovflist), wakes one waiter,
// and then wakes whoever polls the epoll file itself. It reports whether
// the wake-up is spent, which ends an EPOLLEXCLUSIVE wake of the file's
// queue: an exclusive item that found no waiter lets the next exclusive
// item be tried. A keyed wake-up (WaitQueue.WakeUpPoll) for events the
// item does not watch is ignored. It allocates nothing.
func (epi *epitem) wake(key uint32) bool {
	ep := epi.ep
	ep.lock.Lock()
	events := epi.events
	exclusive := events&EPOLLEXCLUSIVE != 0
	// Removed, disabled by EPOLLONESHOT until EPOLL_CTL_MOD, or not
	// interested in what the key says happened.
	if epi.removed || events&^epPrivateBits == 0 || (key != 0 && key&events == 0) {
		ep.lock.Unlock()
		return !exclusive
	}
	if ep.scanning {
		if !epi.onOvf {
			epi.onOvf = true
			epi.ovfNext = ep.ovflist
			ep.ovflist = epi
		}
	} else if !epi.linked {
		ep.rdllist.pushBack(epi)
	}
	// An exclusive item spends the wake-up only if it woke a waiter
	// interested in the key's direction.
	spent := !exclusive
	if ep.wakeOneLocked() && exclusive {
		switch key & (EPOLLIN | EPOLLOUT) {
		case EPOLLIN:
			spent = events&EPOLLIN != 0
		case EPOLLOUT:
			spent = events&EPOLLOUT != 0
		case 0:
			spent = true
		}
	}
	ep.lock.Unlock()
	ep.pollWait.WakeUpPoll(POLLIN)
	return spent
}

// wakeOneLocked wakes the first waiter, if any, and reports whether
// there was one. ep.lock is held.
func (ep *eventpoll) wakeOneLocked() bool {
	if len(ep.waiters) == 0 {
		return false
	}
	w := ep.waiters[0]
	copy(ep.waiters, ep.waiters[1:])
	ep.waiters[len(ep.waiters)-1] = nil
	ep.waiters = ep.waiters[:len(ep.waiters)-1]
	w.woken = true
	w.ch <- struct{}{} // never blocks: a waiter is queued only drained
	return true
}

// readyLocked is ep_events_available. ep.lock is held.
func (ep *eventpoll) readyLocked() bool {
	return ep.rdllist.head != nil || ep.scanning
}

// poll returns epi's file's events restricted to those registered,
// registering pt on the file's queues when pt is non-nil and not freed
// (ep_item_poll).
// A file whose last reference is gone reports nothing: its close is
// about to remove the item. ep.mtx is held.
func (epi *epitem) poll(pt *PollTable) uint32 {
	if epi.file.refs.Load() == 0 {
		return 0
	}
	return uint32(uint16(epi.file.Poll(pt))) & epi.events
}

// startScan takes the ready list as the caller's batch and sends later
// wake-ups to ovflist (ep_start_scan). ep.mtx is held.
func (ep *eventpoll) startScan() epList {
	ep.lock.Lock()
	batch := ep.rdllist
	ep.rdllist = epList{}
	ep.scanning = true
	ep.lock.Unlock()
	return batch
}

// doneScan ends a scan (ep_done_scan): the items woken meanwhile go back
// on the ready list in the order they were woken, then what is left of
// the batch goes in front of them, and a waiter is woken if anything is
// ready. ep.mtx is held.
func (ep *eventpoll) doneScan(batch *epList) {
	ep.lock.Lock()
	for epi := ep.ovflist; epi != nil; {
		next := epi.ovfNext
		epi.onOvf, epi.ovfNext = false, nil
		if !epi.linked && !epi.removed {
			ep.rdllist.pushFront(epi)
		}
		epi = next
	}
	ep.ovflist = nil
	ep.scanning = false
	ep.rdllist.spliceFront(batch)
	if ep.rdllist.head != nil {
		ep.wakeOneLocked()
	}
	ep.lock.Unlock()
}

// sendEvents fills events from the ready list and reports how many
// (ep_send_events): each item's file is asked for its mask again; an
// item with nothing to report leaves the list; a reported one is
// disabled (EPOLLONESHOT), left off the list until its next wake-up
// (EPOLLET), or put back at the end of the list (level-triggered). The
// files are polled with scan (taskTable).
func (ep *eventpoll) sendEvents(events []EpollEvent, scan *PollTable) int {
	ep.mtx.Lock()
	defer ep.mtx.Unlock()
	batch := ep.startScan()
	n := 0
	for n < len(events) && batch.head != nil {
		epi := batch.head
		ep.lock.Lock()
		batch.remove(epi)
		ep.lock.Unlock()
		revents := epi.poll(scan)
		if revents == 0 {
			continue
		}
		events[n] = EpollEvent{Events: revents, Data: epi.data}
		n++
		ep.lock.Lock()
		if epi.events&EPOLLONESHOT != 0 {
			epi.events &= epPrivateBits
		} else if epi.events&EPOLLET == 0 {
			ep.rdllist.pushBack(epi)
		}
		ep.lock.Unlock()
	}
	ep.doneScan(&batch)
	return n
}

// Poll is the epoll file's poll (SPEC E6): POLLIN|POLLRDNORM while one of
// its ready items really has an event; items on the ready list that have
// none leave it (__ep_eventpoll_poll). A containing epoll's scan calls it
// with its own mtx held: sets nest without cycles, so the order holds.
func (ep *eventpoll) Poll(f *File, pt *PollTable) int16 {
	pt.Wait(&ep.pollWait)
	var scan *PollTable
	if pt != nil && pt.task != nil {
		scan = taskTable(pt.task)
	}
	ep.mtx.Lock()
	defer ep.mtx.Unlock()
	batch := ep.startScan()
	var mask int16
	for batch.head != nil {
		epi := batch.head
		if epi.poll(scan) != 0 {
			mask = POLLIN | POLLRDNORM
			break
		}
		ep.lock.Lock()
		batch.remove(epi)
		ep.lock.Unlock()
	}
	ep.doneScan(&batch)
	return mask
}

// Ioctl is the epoll file's ioctl: every command the kernel passes on is
// EINVAL (ep_eventpoll_ioctl; the busy-poll parameters are not modelled).
func (ep *eventpoll) Ioctl(ctx context.Context, f *File, cmd uint, arg IoctlArg) (int, error) {
	return -1, EINVAL
}

// Release is the last close of the epoll file (ep_clear_and_put): its
// pollers are woken, and every registration is removed.
func (ep *eventpoll) Release(f *File) error {
	ep.pollWait.WakeUp()
	ep.mtx.Lock()
	for _, epi := range ep.items {
		ep.removeLocked(epi)
	}
	ep.mtx.Unlock()
	return nil
}

// removeLocked unregisters epi (ep_remove): off the file's queues, out of
// the set, off the ready list and off the file's list of registrations.
// A wake-up already past its queue's lock finds epi.removed. ep.mtx is
// held; removing twice is harmless.
func (ep *eventpoll) removeLocked(epi *epitem) {
	key := epKey{epi.file, epi.fd}
	if ep.items[key] != epi {
		return
	}
	epi.pt.Free()
	delete(ep.items, key)
	ep.lock.Lock()
	epi.removed = true
	if epi.linked {
		ep.rdllist.remove(epi)
	}
	ep.lock.Unlock()
	epi.file.epolls.unlink(epi)
}
