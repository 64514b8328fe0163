package kernel

import (
	"context"
	"time"
)

// Sigtimedwait takes a pending signal in set for the calling thread and
// returns its siginfo without running a handler, as sigtimedwait(2)
// (SPEC S8): the thread's own pending signals first, then its
// process's; the lowest number first, real-time instances of one number
// in the order they were sent. If none is pending it waits, with the
// signals of set unblocked for the wait so that process-directed ones
// come to this thread (Linux's real_blocked), at most timeout (timeout <
// 0 waits forever, 0 only looks). SIGKILL and SIGSTOP are never taken.
// Errors: EAGAIN when the timeout passes; EINTR when a handler of a
// signal outside set ran meanwhile (never restarted, as in Linux) or the
// process was stopped and continued (signal(7)); ctx's
// error when ctx ends; EBADF when the thread exits. Set is normally
// blocked beforehand (Sigprocmask): a signal of set that is not blocked
// may be delivered before Sigtimedwait looks.
func (t *Task) Sigtimedwait(ctx context.Context, set Sigset, timeout time.Duration) (info SigInfo, err error) {
	defer t.safePoint()
	if sc := t.sysEnter(sysSigtimedwait, -1, int(set), int(timeout.Milliseconds())); sc != nil {
		defer sc.exit(&info.Signo, &err)
	}
	if ctx == nil {
		return SigInfo{}, EINVAL
	}
	set &^= unblockable
	if info, ok := t.takeSignal(set, false); ok {
		return info, nil
	}
	if timeout == 0 {
		return SigInfo{}, EAGAIN
	}
	var expired <-chan time.Time
	if timeout > 0 {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		expired = timer.C
	}
	for {
		info, got, err := t.sigwaitOnce(ctx, set, expired)
		if got || err != nil {
			return info, err
		}
	}
}

// Sigwaitinfo is Sigtimedwait without a timeout (sigwaitinfo(2)).
func (t *Task) Sigwaitinfo(ctx context.Context, set Sigset) (SigInfo, error) {
	return t.Sigtimedwait(ctx, set, -1)
}

// takeSignal dequeues the next signal of set for t; with wait it first
// ends the wait for set begun by sigwaitOnce (endWaitLocked). A thread
// that has exited takes nothing: its process's signals are for the
// threads that live.
func (t *Task) takeSignal(set Sigset, wait bool) (SigInfo, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if wait {
		t.endWaitLocked(set)
	}
	if t.dead {
		return SigInfo{}, false
	}
	info, ok := t.dequeueLocked(set)
	if ok {
		t.recalcLocked()
	}
	return info, ok
}

// sigwaitOnce sleeps once with set unblocked, until a signal comes to the
// thread, the timer expires, ctx ends or the thread exits; then it takes
// a signal of set if one is pending (got), or reports why the wait ends,
// or neither when it should sleep again.
func (t *Task) sigwaitOnce(ctx context.Context, set Sigset, expired <-chan time.Time) (SigInfo, bool, error) {
	t.mu.Lock()
	if t.dead {
		t.mu.Unlock()
		return SigInfo{}, false, EBADF
	}
	t.beginWaitLocked(set)
	c := t.registerLocked(ctx, nil, false)
	stops := t.stops
	t.mu.Unlock()
	cancelled, done := c.sleepChans()
	timedOut := false
	select {
	case <-cancelled: // a signal, or the thread exiting
	case <-done:
	case <-expired:
		timedOut = true
	}
	cause := t.endCall(c)
	if info, ok := t.takeSignal(set, true); ok {
		return info, true, nil
	}
	switch {
	case cause == EBADF || !t.Alive():
		return SigInfo{}, false, EBADF
	case ctx.Err() != nil:
		return SigInfo{}, false, ctx.Err()
	case timedOut:
		return SigInfo{}, false, EAGAIN
	}
	// A handler ran, or the process stopped and went on: EINTR, as
	// signal(7) says of sigtimedwait after SIGSTOP and SIGCONT.
	if ran, _ := t.deliverSignals(); ran > 0 || t.stoppedSince(stops) {
		return SigInfo{}, false, EINTR
	}
	if !t.Alive() {
		return SigInfo{}, false, EBADF
	}
	return SigInfo{}, false, nil
}

// beginWaitLocked starts a wait for set: the mask found is saved as
// realBlocked by the first wait in progress, and set is unblocked along
// with the sets of the others. t.mu is held.
func (t *Task) beginWaitLocked(set Sigset) {
	if !t.inWait {
		t.realBlocked = t.mask
		t.inWait = true
	}
	t.waits = append(t.waits, set)
	t.setMaskLocked(t.mask &^ set)
}

// endWaitLocked ends one wait for set: the mask becomes realBlocked
// minus the sets still waited for, realBlocked itself after the last.
// t.mu is held.
func (t *Task) endWaitLocked(set Sigset) {
	var waiting Sigset
	found := false
	kept := t.waits[:0]
	for _, s := range t.waits {
		if s == set && !found {
			found = true
			continue
		}
		kept = append(kept, s)
		waiting |= s
	}
	if !found {
		return
	}
	t.waits = kept
	t.setMaskLocked(t.realBlocked &^ waiting)
	if len(kept) == 0 {
		t.inWait = false
		t.realBlocked = 0
	}
}

// stopCount returns the process's stop count, for stoppedSince.
func (t *Task) stopCount() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stops
}

// stoppedSince reports whether the process has begun a stop since its
// stop count was stops.
func (t *Task) stoppedSince(stops uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stops != stops
}
