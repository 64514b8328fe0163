package kernel

import (
	"context"
	"errors"
)

// A call is one blocking system call in flight on a task. Its context is
// what the driver sleeps on; the kernel cancels it with a cause saying why:
//
//	errSignal  a signal with a handler was queued (the model's ERESTARTSYS)
//	EBADF      the call's descriptor was closed, or the task exited
//	           (Exit, a fatal signal, Kernel.Close)
//
// or it ends because the caller's own context did.
type call struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	entry  *fdEntry // descriptor the call works on; nil for Open, Poll, Pause
}

// errSignal is the cancellation cause of a call interrupted by a signal.
var errSignal = errors.New("kernel: interrupted by a signal")

// beginCall registers a blocking call on t. If a signal is already
// pending (and no other goroutine is delivering it), the call starts out
// interrupted: registering and checking under one lock is what keeps a
// signal sent just before the call from being missed.
func (t *Task) beginCall(ctx context.Context, e *fdEntry) (*call, error) {
	cctx, cancel := context.WithCancelCause(ctx)
	c := &call{ctx: cctx, cancel: cancel, entry: e}
	t.mu.Lock()
	if t.dead || (e != nil && e.closed.Load()) {
		t.mu.Unlock()
		cancel(nil)
		return nil, EBADF
	}
	t.calls[c] = struct{}{}
	if t.sigs.count() > 0 && !t.delivering {
		c.cancel(errSignal)
	}
	t.mu.Unlock()
	return c, nil
}

// endCall unregisters c and reports why its context was cancelled (nil if
// it was not; the caller's context's cause if that ended first).
func (t *Task) endCall(c *call) error {
	t.mu.Lock()
	delete(t.calls, c)
	t.mu.Unlock()
	cause := context.Cause(c.ctx)
	c.cancel(nil)
	return cause
}

// blockingCall runs op (a driver's Open, Read or Write) as an
// interruptible call on t, restarting it after a signal whose handler had
// SA_RESTART (SPEC S3).
func (t *Task) blockingCall(ctx context.Context, e *fdEntry, op func(context.Context) (int, error)) (int, error) {
	for {
		c, err := t.beginCall(ctx, e)
		if err != nil {
			return 0, err
		}
		n, err := op(c.ctx)
		cause := t.endCall(c)
		if err == nil || cause == nil || !isInterruption(err) {
			if errors.Is(err, ERESTARTSYS) {
				// Returned without an interruption: still never escapes.
				err = EINTR
			}
			return n, err
		}
		restart, err := t.interrupted(ctx, cause, true)
		if !restart {
			return 0, err
		}
	}
}

// isInterruption reports whether a driver's error means "my context
// ended": ERESTARTSYS from WaitQueue.Wait, or the context's own error.
func isInterruption(err error) bool {
	return errors.Is(err, ERESTARTSYS) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded)
}

// interrupted decides how a call whose context was cancelled with cause
// ends: the caller's context error, EBADF, or, for a signal, EINTR once a
// handler has run on this goroutine, unless every handler run had
// SA_RESTART and the call is restartable. It reports restart=true when the
// call should simply be made again (also when another goroutine of the
// task ran the handler, which leaves this call undisturbed).
func (t *Task) interrupted(ctx context.Context, cause error, restartable bool) (restart bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if cause != errSignal {
		return false, EBADF
	}
	ran, restartOK := t.deliverSignals()
	if ran > 0 && !(restartOK && restartable) {
		return false, EINTR
	}
	return true, nil
}
