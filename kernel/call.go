package kernel

import (
	"context"
	"errors"
)

// A call is one blocking system call in flight on a task, and it is also
// the context.Context its driver runs under (callctx.go). The kernel
// cancels it, saying why in its state:
//
//	callSignal  a signal with a handler was queued (the model's ERESTARTSYS)
//	callBadf    the call's descriptor was closed, or the task exited
//	            (Exit, a fatal signal, Kernel.Close)
//
// or it ends because the caller's own context did. Calls are registered
// in Task.calls (a slice, so registering and unregistering allocate
// nothing once it has grown) and recycled through a short per-task free
// list, so a system call that does not sleep allocates nothing.

// errSignal is the cancellation cause of a call interrupted by a signal.
var errSignal = errors.New("kernel: interrupted by a signal")

// maxFreeCalls bounds a task's free list of call records: one per
// goroutine calling into the task at once is all that is ever reused.
const maxFreeCalls = 8

// beginCall registers a blocking call on thread t. If a signal the thread
// may take is already pending (t.npending, Linux's TIF_SIGPENDING), the
// call starts out interrupted: registering and checking under one lock is
// what keeps a signal sent just before the call from being missed. (ctx
// nil is EINVAL.)
func (t *Task) beginCall(ctx context.Context, e *fdEntry, nowait bool) (*call, error) {
	if ctx == nil {
		return nil, EINVAL
	}
	t.mu.Lock()
	if t.dead || (e != nil && e.closed.Load()) {
		t.mu.Unlock()
		return nil, EBADF
	}
	c := t.registerLocked(ctx, e, nowait)
	t.mu.Unlock()
	return c, nil
}

// beginFdCall is getEntry and beginCall under one lock, the start of a
// Read or Write: it returns descriptor fd's slot, with a reference on its
// file that the caller drops with file.put, and the registered call
// (nowait: one that must not sleep, RWF_NOWAIT).
func (t *Task) beginFdCall(ctx context.Context, fd int, nowait bool) (*call, *fdEntry, error) {
	if ctx == nil {
		return nil, nil, EINVAL // a nil ctx: no call can run under it
	}
	t.mu.Lock()
	e, err := t.entryLocked(fd) // a dead thread has no descriptors: EBADF
	if err != nil {
		t.mu.Unlock()
		return nil, nil, err
	}
	e.file.get()
	c := t.registerLocked(ctx, e, nowait)
	t.mu.Unlock()
	return c, e, nil
}

// registerLocked takes a call record (recycled if one is free), enters it
// in t.calls, and starts it interrupted when a signal is pending for the
// thread. t.mu is held and t is alive.
func (t *Task) registerLocked(ctx context.Context, e *fdEntry, nowait bool) *call {
	c := t.freeCalls
	if c != nil {
		t.freeCalls = c.next
		t.nfree--
		c.next = nil
	} else {
		c = new(call)
	}
	// parent is written before state: Err loads state first, so whoever
	// sees the call live also sees its parent.
	c.parent = ctx
	c.task = t
	c.entry = e
	c.nowait = nowait
	st := int32(callLive)
	if t.npending.Load() != 0 {
		st = callSignal
	}
	c.state.Store(st)
	c.idx = len(t.calls)
	t.calls = append(t.calls, c)
	return c
}

// endCall unregisters c and reports why it was cancelled: errSignal or
// EBADF when the kernel cancelled it, else the caller's context's error
// (nil if that has not ended). Afterwards c's context reports
// context.Canceled, as a cancelled context.WithCancel child would, until
// the record is reused by a later call of the task (driver.go: a driver
// must not use its ctx after returning).
func (t *Task) endCall(c *call) error {
	parent := c.parent
	t.mu.Lock()
	last := len(t.calls) - 1
	moved := t.calls[last]
	t.calls[c.idx] = moved
	moved.idx = c.idx
	t.calls[last] = nil
	t.calls = t.calls[:last]
	// c is off the list, so no cancel can change its state any more.
	st := c.state.Load()
	c.state.Store(callEnded)
	m := c.mat.Load()
	if m == nil && t.nfree < maxFreeCalls {
		// A call whose driver never asked for Done or Value left nothing
		// behind that could still watch it: recycle the record.
		c.parent = context.Background() // keep no reference to the caller's ctx
		c.entry = nil
		c.next = t.freeCalls
		t.freeCalls = c
		t.nfree++
	}
	t.mu.Unlock()
	if m != nil {
		m.cancel(nil) // as context.WithCancelCause's cancel at the end of the call
	}
	switch st {
	case callSignal:
		return errSignal
	case callBadf:
		return EBADF
	}
	return parent.Err()
}

// blockingCall runs op (a driver's Open, Read or Write) as an
// interruptible call on t, restarting it after a signal whose handler had
// SA_RESTART (SPEC S3). c is the call already begun for the first
// attempt, or nil to begin one; a restart keeps its RWF_NOWAIT.
func (t *Task) blockingCall(ctx context.Context, e *fdEntry, c *call, op func(context.Context) (int, error)) (int, error) {
	nowait := c != nil && c.nowait
	for {
		if c == nil {
			var err error
			if c, err = t.beginCall(ctx, e, nowait); err != nil {
				return 0, err
			}
		}
		n, err := op(c)
		cause := t.endCall(c)
		if err == nil || cause == nil || !isInterruption(err) {
			if err != nil && errors.Is(err, ERESTARTSYS) {
				// Returned without an interruption: still never escapes.
				err = EINTR
			}
			return n, err
		}
		restart, err := t.interrupted(ctx, cause, true)
		if !restart {
			return 0, err
		}
		c = nil
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
// handler has run on this goroutine, unless the first signal taken for a
// handler had SA_RESTART and the call is restartable. It reports restart=true when the
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
