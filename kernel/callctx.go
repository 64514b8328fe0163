package kernel

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// A call's states (call.state).
const (
	callLive   = iota // running; only the caller's ctx can end it
	callSignal        // cancelled: a signal with a handler was queued
	callBadf          // cancelled: descriptor closed, task exited, kernel closed
	callEnded         // the call has returned (or the record is free)
)

// call is the context a driver's Open, Read or Write runs under. It
// behaves as a context.WithCancelCause child of the caller's ctx that the
// kernel cancels with errSignal or EBADF, but costs nothing until a
// driver needs more than Err:
//
//   - Err reads the state word and the caller's ctx: no lock, no
//     allocation.
//   - WaitQueue.Wait (and Poll, Pause) recognise a *call and sleep on the
//     caller's Done channel and the call's own wake channel, made the
//     first time a sleeper needs one and kept, while it stays unclosed,
//     when the record is recycled.
//   - Done and Value (for any key but NoWait's and TaskFromContext's,
//     answered from the nowait and task fields) make ("materialise") a real context.WithCancelCause
//     child of the caller's ctx and delegate to it from then on, so
//     contexts derived from a call, context.AfterFunc and context.Cause
//     behave exactly as with a context made for every call. A materialised
//     record is never recycled: what was derived from it may outlive the
//     call.
type call struct {
	parent context.Context // the caller's ctx
	task   *Task           // the calling task (TaskFromContext); the record is its for good
	entry  *fdEntry        // descriptor the call works on; nil for Open, Poll, Pause
	idx    int             // index in Task.calls; guarded by Task.mu
	next   *call           // free-list link; guarded by Task.mu
	// nowait marks an RWF_NOWAIT call: WaitQueue.Wait under it fails
	// with EAGAIN instead of sleeping. Written by registerLocked before
	// the driver sees the call; read by the driver (NoWait, Wait) and by
	// blockingCall, which gives a restarted call the same flag.
	nowait bool

	// state is callLive..callEnded. The kernel changes it from callLive
	// only under Task.mu and mu (cancel); endCall sets callEnded after
	// taking the call off the task's list.
	state atomic.Int32

	// mu guards wake and orders cancel against sleepChans and
	// materialise. It is a leaf lock, taken under Task.mu by cancel.
	mu sync.Mutex
	// wake is closed by cancel; nil until a sleeper asks for it, and set
	// back to nil once closed so a recycled record never carries a closed
	// channel.
	wake chan struct{}
	// mat is the materialised context, nil until Done or Value.
	mat atomic.Pointer[matCtx]
}

// matCtx is a materialised call context and its cancel function.
type matCtx struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// closedChan is returned to a sleeper of a call already cancelled.
var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// causeOf is the cancellation cause a state stands for (nil for
// callEnded: a cancel at the end of a call has no cause of its own).
func causeOf(state int32) error {
	switch state {
	case callSignal:
		return errSignal
	case callBadf:
		return EBADF
	}
	return nil
}

// cancel interrupts the call with state callSignal or callBadf, unless it
// was cancelled already (the first cause stays, as with
// context.WithCancelCause). Task.mu is held; cancel runs no user code.
func (c *call) cancel(state int32) {
	c.mu.Lock()
	if c.state.Load() == callLive {
		c.state.Store(state)
		if c.wake != nil {
			close(c.wake)
			c.wake = nil
		}
		if m := c.mat.Load(); m != nil {
			m.cancel(causeOf(state))
		}
	}
	c.mu.Unlock()
}

// sleepChans returns what a sleeper under c waits on besides its own
// event: a channel closed when the kernel cancels c (already closed if it
// has) and the caller's Done channel (nil if the caller's ctx cannot end).
func (c *call) sleepChans() (wake, done <-chan struct{}) {
	c.mu.Lock()
	if c.state.Load() != callLive {
		c.mu.Unlock()
		return closedChan, nil
	}
	if c.wake == nil {
		c.wake = make(chan struct{})
	}
	wake = c.wake
	c.mu.Unlock()
	return wake, c.parent.Done()
}

// materialise returns c's real context, making it on first use.
func (c *call) materialise() *matCtx {
	if m := c.mat.Load(); m != nil {
		return m
	}
	ctx, cancel := context.WithCancelCause(c.parent)
	m := &matCtx{ctx: ctx, cancel: cancel}
	c.mu.Lock()
	if old := c.mat.Load(); old != nil { // another goroutine of the driver won
		c.mu.Unlock()
		cancel(nil)
		return old
	}
	c.mat.Store(m)
	if st := c.state.Load(); st != callLive {
		cancel(causeOf(st))
	}
	c.mu.Unlock()
	return m
}

// Deadline is the caller's ctx's deadline: the kernel sets none.
func (c *call) Deadline() (time.Time, bool) { return c.parent.Deadline() }

// Done returns a channel closed when the call is cancelled: by the
// kernel, by the caller's ctx, or at the end of the call.
func (c *call) Done() <-chan struct{} { return c.materialise().ctx.Done() }

// Err reports context.Canceled once the kernel cancelled the call or it
// ended, else the caller's ctx's error.
func (c *call) Err() error {
	if m := c.mat.Load(); m != nil {
		return m.ctx.Err()
	}
	if c.state.Load() != callLive {
		return context.Canceled
	}
	return c.parent.Err()
}

// Value looks key up in the call's context: the kernel adds no values,
// so this is the caller's ctx's value, except that context.Cause finds
// the call's own cancellation cause.
func (c *call) Value(key any) any {
	switch key {
	case nowaitKey{}:
		// Answered without materialising: NoWait and Wait find the flag
		// through contexts a driver derived from the call.
		return c.nowait
	case taskKey{}:
		return c.task // likewise for TaskFromContext
	}
	return c.materialise().ctx.Value(key)
}

// nowaitKey is the context key under which a call reports RWF_NOWAIT.
type nowaitKey struct{}

// NoWait reports whether ctx belongs to a call made with RWF_NOWAIT
// (Task.ReadFlags, Task.WriteFlags), or is derived from one: the driver
// must return EAGAIN rather than sleep. WaitQueue.Wait checks it itself;
// a driver that sleeps some other way checks it beside f.Nonblock().
// A nil ctx is no call: false.
func NoWait(ctx context.Context) bool {
	if c, ok := ctx.(*call); ok {
		return c.nowait
	}
	if ctx == nil {
		return false
	}
	nw, _ := ctx.Value(nowaitKey{}).(bool)
	return nw
}

// taskKey is the context key under which a call reports its task.
type taskKey struct{}

// TaskFromContext returns the thread whose system call ctx belongs to —
// Linux's current — or nil when ctx comes from no system call. It works
// on the ctx the kernel gives a driver's Open, Read, Write, Ioctl and
// Fcntl, and on any context derived from it, costing no allocation on
// the first (SPEC K1). The driver may read the task's credentials
// (Task.Cred) and signal it with Task.SendSigInfo, which is safe with
// the driver's own locks held; Task.Kill is not, since it runs the
// caller's handlers before it returns. Poll, Release and Fasync get no
// ctx: they run on behalf of whoever polls or closes, which may be no
// task at all.
func TaskFromContext(ctx context.Context) *Task {
	if c, ok := ctx.(*call); ok {
		return c.task
	}
	if ctx == nil {
		return nil
	}
	t, _ := ctx.Value(taskKey{}).(*Task)
	return t
}

// String names the context, as the standard library's contexts do.
func (c *call) String() string { return "kernel.call" }
