package kernel

import (
	"context"
	"time"
)

// EpollWait is epoll_wait(2) (SPEC E2, E4): it waits until a file of the
// epoll set epfd has an event and fills events with at most len(events)
// of them (the events that occurred and each registration's data, as
// given to EpollCtl), returning how many. timeout < 0 waits forever, 0
// does not wait; 0 is returned when timeout passes first. Ready files
// are reported oldest wake-up first; a level-triggered file stays ready
// and is reported again, after the others, by the next call.
//
// EBADF when epfd is not open; EINVAL when events is empty (maxevents
// <= 0), epfd is not an epoll, or ctx is nil. A signal whose handler runs returns
// EINTR, never restarted, as Linux does; events found on waking are
// returned first. The caller's ctx ending returns its error; closing
// epfd, the task exiting or the kernel closing returns EBADF.
func (t *Task) EpollWait(ctx context.Context, epfd int, events []EpollEvent, timeout time.Duration) (n int, err error) {
	defer t.safePoint()
	if sc := t.sysEnter(sysEpollWait, epfd, len(events), int(timeout.Milliseconds())); sc != nil {
		defer sc.exit(&n, &err)
	}
	if ctx == nil {
		return 0, EINVAL
	}
	e, ep, err := t.epollEntry(epfd, len(events))
	if err != nil {
		return 0, err
	}
	defer e.file.put()
	return t.epollWait(ctx, e, ep, events, timeout)
}

// EpollPwait is epoll_pwait(2): EpollWait with the calling thread's
// signal mask replaced by *mask for the duration of the wait, atomically,
// so that a signal unblocked only by mask interrupts the wait (EINTR,
// after its handler ran with mask in force) and no signal is lost between
// unblocking it and sleeping. The thread's own mask is back in force when
// EpollPwait returns. A nil mask is EpollWait.
func (t *Task) EpollPwait(ctx context.Context, epfd int, events []EpollEvent, timeout time.Duration, mask *Sigset) (int, error) {
	if mask == nil {
		return t.EpollWait(ctx, epfd, events, timeout)
	}
	defer t.safePoint() // after the mask is restored, as restore_saved_sigmask
	if ctx == nil {
		return 0, EINVAL
	}
	e, ep, err := t.epollEntry(epfd, len(events))
	if err != nil {
		return 0, err
	}
	defer e.file.put()
	t.mu.Lock()
	t.replaceMaskLocked(*mask)
	t.mu.Unlock()
	defer t.restoreSavedMask()
	return t.epollWait(ctx, e, ep, events, timeout)
}

// epollEntry returns epfd's slot, with a reference on its file that the
// caller drops, and its eventpoll, after do_epoll_wait's checks.
func (t *Task) epollEntry(epfd, maxevents int) (*fdEntry, *eventpoll, error) {
	e, err := t.getEntry(epfd)
	if err != nil {
		return nil, nil, err
	}
	ep, ok := e.file.drv.(*eventpoll)
	if maxevents <= 0 || maxevents > epMaxEvents || !ok {
		e.file.put()
		return nil, nil, EINVAL
	}
	return e, ep, nil
}

// epollWait is ep_poll: harvest, or sleep on ep's waiters until a
// wake-up, the timeout, a signal or the end of ctx.
func (t *Task) epollWait(ctx context.Context, e *fdEntry, ep *eventpoll, events []EpollEvent, timeout time.Duration) (int, error) {
	var expired <-chan time.Time
	if timeout > 0 {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		expired = timer.C
	}
	timedOut := timeout == 0
	ep.lock.Lock()
	avail := ep.readyLocked()
	ep.lock.Unlock()
	w := epWaiterPool.Get().(*epWaiter)
	w.scan.task = t
	defer func() {
		w.scan.task = nil
		epWaiterPool.Put(w)
	}()
	for {
		if avail {
			if n := ep.sendEvents(events, &w.scan); n > 0 {
				return n, nil
			}
		}
		if timedOut {
			return 0, nil
		}
		stops := t.stopCount()
		c, err := t.beginCall(ctx, e, false)
		if err != nil {
			return 0, err
		}
		var expiredNow bool
		expiredNow, avail = ep.sleep(c, w, expired)
		timedOut = timedOut || expiredNow
		cause := t.endCall(c)
		if cause == nil {
			continue
		}
		if avail {
			// Events first, as Linux: a pending signal is delivered
			// on the way out.
			if n := ep.sendEvents(events, &w.scan); n > 0 {
				return n, nil
			}
		}
		restart, err := t.interrupted(ctx, cause, false)
		if !restart {
			return 0, err
		}
		if t.stoppedSince(stops) {
			// signal(7): epoll_wait fails with EINTR after a stop and
			// SIGCONT, even with no handler.
			return 0, EINTR
		}
		avail = false
	}
}

// sleep queues w on ep's waiters unless something is ready, and sleeps
// until a wake-up, the timer, the call's cancellation (a signal, the
// task exiting, epfd closed) or the end of the caller's ctx. It reports
// whether the timer fired and whether the ready list is worth a look.
// The last look at the ready list and the queueing are one critical
// section with the wake function's, so no wake-up is lost.
func (ep *eventpoll) sleep(c *call, w *epWaiter, expired <-chan time.Time) (timedOut, avail bool) {
	ep.lock.Lock()
	avail = ep.readyLocked()
	if !avail {
		w.woken = false
		ep.waiters = append(ep.waiters, w)
	}
	ep.lock.Unlock()
	if avail {
		return false, true
	}
	cancelled, done := c.sleepChans()
	select {
	case <-w.ch:
	case <-expired:
		timedOut = true
	case <-cancelled:
	case <-done:
	}
	return timedOut, ep.dequeueWaiter(w, timedOut)
}

// dequeueWaiter takes w off ep's waiters after its sleep and reports
// whether the caller should look at the ready list: always after a
// wake-up, and after a timeout only if a wake-up came first.
func (ep *eventpoll) dequeueWaiter(w *epWaiter, timedOut bool) bool {
	ep.lock.Lock()
	defer ep.lock.Unlock()
	if w.woken {
		select {
		case <-w.ch: // drained, so the waiter can sleep again
		default:
		}
		return true
	}
	for i, x := range ep.waiters {
		if x == w {
			copy(ep.waiters[i:], ep.waiters[i+1:])
			ep.waiters[len(ep.waiters)-1] = nil
			ep.waiters = ep.waiters[:len(ep.waiters)-1]
			break
		}
	}
	return !timedOut
}
