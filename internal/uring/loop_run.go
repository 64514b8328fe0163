package uring

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// run is the loop goroutine: submit what is queued, reap and handle what
// completed, and park when neither has anything, until Close has drained
// every request (or a failed ring has given up on them, loop_fail.go).
func (l *Loop) run(started chan<- error) {
	defer close(l.exited)
	if err := l.mode.start(); err != nil {
		started <- err
		return
	}
	started <- nil
	var cqes [reapBatch]CQE
	var lastCancel time.Time
	for {
		l.mode.beforeSubmit()
		if p := l.ring.Pending(); p > 0 {
			l.submit(p)
		}
		l.mode.afterSubmit()
		if n := l.ring.Reap(cqes[:]); n > 0 {
			l.complete(cqes[:n])
			continue
		}
		if l.mode.taskRun() {
			continue
		}
		if !l.failed && l.ring.CQOverflowed() {
			l.enter(0, IORING_ENTER_GETEVENTS) // flush the backlog into the CQ
			continue
		}
		var deadline time.Time
		if l.closing.Load() {
			switch {
			case l.inflight.Load() == 0:
				l.mode.finish()
				return
			case l.failed:
				if !l.mode.completesUnentered() || time.Since(l.failedAt) >= failGrace {
					l.abandon()
					l.mode.finish()
					return
				}
				deadline = l.failedAt.Add(failGrace)
			case time.Since(lastCancel) >= closeRecancel:
				lastCancel = time.Now()
				l.queueOp(nil, func(s *SQE, ud uint64) { s.PrepCancelAll(ud) })
				continue
			default:
				deadline = lastCancel.Add(closeRecancel)
			}
		}
		l.park(deadline)
	}
}

// enter is io_uring_enter for the loop goroutine; it reports how many
// SQEs the kernel took. Errors that mean "try again later" (no memory for
// requests, CQ backlog) return and let the loop reap first.
//
// The call never waits (no minComplete), but it does the work of every
// request the kernel completes inline: 16 page-cached 4 KiB reads take
// about 20 µs. Made as an ordinary system call, that is long enough for
// the scheduler's sysmon to see the same call twice and, with every P
// busy (the usual case when rings fill the cores), take the P away and
// hand it to another thread; the loop thread then loses the CPU inside the
// kernel, its call runs longer, and the next look takes the P again. On
// two cores measured 33,000 context switches per 2M reads instead of
// 1,400, and 15-25% fewer reads per second, depending on which pattern
// a run fell into. So the loop makes it as a raw system call: its P stays
// with it, as for any goroutine computing for 20 µs (the Loop has nothing
// else for that P to do meanwhile: its submitters wait for the results).
//
// Any other errno fails the Loop (loop_fail.go), and a failed Loop does
// not enter again: enter then reports 0.
func (l *Loop) enter(toSubmit, flags uint32) int {
	if l.failed {
		return 0
	}
	var n int
	var err error
	if f := l.fault.Load(); f != nil {
		err = *f
	} else {
		n, err = l.ring.EnterNoWait(toSubmit, flags)
	}
	l.stats.enters.Add(1)
	l.stats.submitted.Add(uint64(max(n, 0)))
	if err == nil || errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EBUSY) || errors.Is(err, unix.ENOMEM) {
		return max(n, 0)
	}
	l.fail(err)
	return 0
}

// submit hands the p queued SQEs to the kernel. While the loop's requests
// go to a device (fewer than half of the last batch's completions were
// posted during its enters), it enters them one at a time, as fio's
// io_uring engine does without batching; requests the kernel completes
// inside the enter (page-cache hits) go in one enter per batch.
//
// A batch of more than two SQEs entered at once is plugged: the block
// layer holds it until the end of the enter, after the kernel has
// prepared every request, and a virtio disk hears of it in one
// notification. Entered one at a time, each request reaches the disk as
// soon as it is prepared, and the disk keeps more of the queue depth
// busy. O_DIRECT 4 KiB random reads at depth 32 on a 2-vCPU VM's virtio
// disk, alternating in one run: one batch per enter 78-80k IOPS, the
// first two SQEs alone and then the rest 80-84k, one SQE per enter
// 82-85k (2 per enter 81-83k); fio's io_uring engine 86-88k without
// batching, 78-81k batched. The extra enters cost about 0.4 µs of CPU
// per read.
func (l *Loop) submit(p uint32) {
	l.judge(l.enterQueued(p))
}

// enterQueued enters the p queued SQEs as submit describes and reports
// how many the kernel took and how many completions were posted
// meanwhile.
func (l *Loop) enterQueued(p uint32) (entered, posted int) {
	before := l.ring.Ready()
	if !l.toDevice {
		entered = l.enter(p, 0)
		return entered, int(l.ring.Ready() - before)
	}
	for ; p > 0; p = l.ring.Pending() {
		n := l.enter(1, 0)
		if n == 0 {
			break // no room in the kernel now: reap, then try again
		}
		entered += n
	}
	return entered, int(l.ring.Ready() - before)
}

// judge updates toDevice from a batch: entered SQEs, posted completions
// while they were entered. A single SQE says nothing.
func (l *Loop) judge(entered, posted int) {
	if entered > 1 {
		l.toDevice = posted < entered/2
	}
}

// complete delivers reaped completions: internal ops to their waiters,
// everything else to the Handler. inflight drops first, so the Handler
// finds room to resubmit.
//
// While requests go to a device, what a Handler resubmits is entered
// before the next completion is handled, as fio does: a virtio disk here
// finishes the whole queue depth at once, sits idle until the first
// request of the next round reaches it, and so loses, in every round,
// the time the loop spends on the Handlers that run before that request
// is entered. Handling a round of 20-32 completions first and entering
// afterwards, the first request reached the disk 18-19 µs after the loop
// woke (fio: 8 µs); entered after each Handler, 12-14 µs.
func (l *Loop) complete(cqes []CQE) {
	n := len(cqes) - l.mode.owned(cqes)
	l.inflight.Add(-int32(n))
	l.stats.reaped.Add(uint64(n))
	var entered, posted int
	for i := range cqes {
		c := &cqes[i]
		if c.UserData&internalTag == 0 {
			l.handle(c.UserData, c.Res, c.Flags)
			if l.toDevice {
				if p := l.ring.Pending(); p > 0 {
					e, q := l.enterQueued(p)
					entered, posted = entered+e, posted+q
				}
			}
			continue
		}
		if l.mode.handleOwn(c) {
			continue
		}
		l.mu.Lock()
		ch := l.waiters[c.UserData]
		delete(l.waiters, c.UserData)
		l.mu.Unlock()
		if ch != nil {
			ch <- c.Res // buffered: never blocks
		}
	}
	l.judge(entered, posted)
}

// park waits for work. With requests in the kernel it waits as the mode
// does (loopMode.wait) until a completion or a submitter's kick, or until
// deadline passes (zero: parkRecheck from now); with nothing in flight no
// completion can come, so it waits on wakeCh for a submitter, which is
// cheaper (see poke). Either way it announces where it waits before its
// last look at the queues, so a submitter racing with it is either seen
// here or sees the announcement and wakes it.
func (l *Loop) park(deadline time.Time) {
	if deadline.IsZero() && l.inflight.Load() == 0 {
		l.state.Store(loopIdle)
		if l.inflight.Load() != 0 || l.closing.Load() || l.mode.pending() {
			l.state.Store(loopRunning)
			return
		}
		l.stats.idles.Add(1)
		<-l.wakeCh
		l.state.Store(loopRunning)
		l.mode.idleWoken()
		return
	}
	if deadline.IsZero() {
		deadline = time.Now().Add(parkRecheck)
	}
	l.mode.wait(deadline)
}

// workQueued is the last look for work of a wait that has announced
// itself: SQEs to enter, CQEs to reap, and the mode's own work.
func (l *Loop) workQueued() bool {
	return l.ring.Pending() > 0 || l.ring.Ready() > 0 || l.mode.pending()
}
