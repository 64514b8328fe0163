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
// signal outside set ran meanwhile (never restarted, as in Linux); ctx's
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
// ends a wait begun by sigwaitOnce, restoring the real mask.
func (t *Task) takeSignal(set Sigset, wait bool) (SigInfo, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if wait && t.inWait {
		t.inWait = false
		t.setMaskLocked(t.realBlocked)
		t.realBlocked = 0
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
	t.realBlocked = t.mask
	t.inWait = true
	t.setMaskLocked(t.mask &^ set)
	c := t.registerLocked(ctx, nil, false)
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
	// A stop ends the wait with EINTR once the process continues:
	// sigtimedwait is never restarted after a stop (signal(7)).
	stopped := t.stoppedNow()
	if ran, _ := t.deliverSignals(); ran > 0 || (stopped && t.Alive()) {
		return SigInfo{}, false, EINTR
	}
	if !t.Alive() {
		return SigInfo{}, false, EBADF
	}
	return SigInfo{}, false, nil
}

// stoppedNow reports whether t's process is stopped: a call woken then
// was woken by the stop. Sigtimedwait and EpollWait return EINTR after
// it once the process continues, as signal(7) lists them among the calls
// never restarted after a stop.
func (t *Task) stoppedNow() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.process.stopped
}
