package aio

// Waiting for room under the in-flight limit (SPEC C20).
//
// A File call whose submission meets the engine's in-flight limit
// (EAGAIN, SPEC C6) waits for a request to complete instead of retrying
// on a timer: it puts its fileCall on the engine's list of room waiters
// and parks on the call's done channel, a goroutine in the scheduler
// holding no OS thread. Every completion gives its place back through
// release, which wakes one waiter per place when the list is not empty;
// the woken call submits again, and waits again if another submitter
// took the place first. The completion path pays one atomic load (of
// roomWaiters, on the line it has just written) when nobody waits.
//
// A waiter wakes for nothing else than a place given back, its context
// ending, or its File closing (Close wakes every waiter, and those of
// other Files wait again).

// waitRoom parks c, a call of f, until a place under e's limit may be
// free, stop is closed, or f's Close wakes every waiter (wakeRoom(-1)).
// It reports false when it returns because of stop. The caller submits
// again, or gives up when f is closing.
func (e *Engine) waitRoom(c *fileCall, stop <-chan struct{}, f *File) bool {
	e.roomMu.Lock()
	c.roomPrev, c.roomNext = e.roomTail, nil
	if e.roomTail != nil {
		e.roomTail.roomNext = c
	} else {
		e.roomHead = c
	}
	e.roomTail = c
	c.roomWaiting = true
	e.roomWaiters.Add(1)
	e.roomMu.Unlock()
	// After the waiter is visible to release and Close: a place freed,
	// or a Close begun, before these loads is seen here; one after them
	// wakes c.
	if e.inflight.Load() < e.max || f.closing() {
		e.leaveRoom(c)
		return true
	}
	select {
	case <-c.done:
		return true
	case <-stop:
		e.leaveRoom(c)
		return false
	}
}

// leaveRoom takes c off the waiters' list if it is still there. A wake-up
// already sent to c (its token is in c.done) is consumed and passed on to
// the next waiter, so no place given back goes unused.
func (e *Engine) leaveRoom(c *fileCall) {
	e.roomMu.Lock()
	if c.roomWaiting {
		e.unlinkRoom(c)
		e.roomMu.Unlock()
		return
	}
	e.roomMu.Unlock()
	<-c.done
	e.wakeRoom(1)
}

// unlinkRoom takes c off the list. e.roomMu is held.
func (e *Engine) unlinkRoom(c *fileCall) {
	if c.roomPrev != nil {
		c.roomPrev.roomNext = c.roomNext
	} else {
		e.roomHead = c.roomNext
	}
	if c.roomNext != nil {
		c.roomNext.roomPrev = c.roomPrev
	} else {
		e.roomTail = c.roomPrev
	}
	c.roomNext, c.roomPrev, c.roomWaiting = nil, nil, false
	e.roomWaiters.Add(-1)
}

// wakeRoom wakes up to n waiters, first come first woken: n places were
// given back. n < 0 wakes them all.
func (e *Engine) wakeRoom(n int64) {
	e.roomMu.Lock()
	for c := e.roomHead; c != nil && n != 0; c = e.roomHead {
		e.unlinkRoom(c)
		c.done <- struct{}{} // buffered and empty while c waits: never blocks
		n--
	}
	e.roomMu.Unlock()
}
