package aio

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// NoTimeout passed to Suspend waits without a time limit.
const NoTimeout time.Duration = -1

// Completion wake-ups for Suspend and Cancel, shared by every engine since a
// Suspend list may mix requests of several engines.
//
// waiters counts goroutines between announcing themselves and returning.
// A completion stores its request's state before loading waiters, and a
// waiter adds itself before taking wake and checking states (all
// sequentially consistent atomics), so either the completion sees the
// waiter and closes wake, or the waiter sees the completion: no wake-up is
// lost. Usually nobody waits: the completion path is one atomic load.
var (
	waiters atomic.Int32
	wakeMu  sync.Mutex
	wake    = make(chan struct{})
)

// wakeSuspended wakes every waiter after a completion.
func wakeSuspended() {
	if waiters.Load() == 0 {
		return
	}
	wakeMu.Lock()
	close(wake)
	wake = make(chan struct{})
	wakeMu.Unlock()
}

// wakeChan returns the channel the next completion closes.
func wakeChan() <-chan struct{} {
	wakeMu.Lock()
	defer wakeMu.Unlock()
	return wake
}

// Suspend waits until at least one request of list is no longer in
// flight (aio_suspend, SPEC C7). It returns nil at once if one already is
// (a request never submitted counts: it is not in flight); nil entries are
// ignored and a list with no other entry is EINVAL. timeout 0 only checks;
// a positive timeout gives EAGAIN when it expires; NoTimeout (or any
// negative value) waits without limit. When ctx ends first, Suspend
// returns an error matching both EINTR and ctx.Err(); a nil ctx never
// ends.
func (e *Engine) Suspend(ctx context.Context, list []*Request, timeout time.Duration) error {
	return suspend(ctx, list, timeout)
}

func suspend(ctx context.Context, list []*Request, timeout time.Duration) error {
	found, valid := anyDone(list)
	if found {
		return nil
	}
	if !valid {
		return fmt.Errorf("aio: suspend on an empty list: %w", syscall.EINVAL)
	}
	if timeout == 0 {
		return syscall.EAGAIN
	}
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	var cancelled <-chan struct{} // nil ctx: never
	if ctx != nil {
		cancelled = ctx.Done()
	}
	waiters.Add(1)
	defer waiters.Add(-1)
	for {
		ch := wakeChan()
		if found, _ := anyDone(list); found {
			return nil
		}
		select {
		case <-ch:
		case <-expired:
			return syscall.EAGAIN
		case <-cancelled:
			return fmt.Errorf("aio: suspend: %w: %w", syscall.EINTR, ctx.Err())
		}
	}
}

// anyDone reports whether some request of list is not in flight, and
// whether list has any non-nil entry.
func anyDone(list []*Request) (found, valid bool) {
	for _, r := range list {
		if r == nil {
			continue
		}
		valid = true
		if r.state.Load() != stateInFlight {
			return true, true
		}
	}
	return false, valid
}

// waitDone waits until r is no longer in flight. Cancel uses it for
// requests the backend promised to complete with ECANCELED, which it does
// promptly, so there is no timeout.
func waitDone(r *Request) {
	if r.state.Load() != stateInFlight {
		return
	}
	waiters.Add(1)
	defer waiters.Add(-1)
	for {
		ch := wakeChan()
		if r.state.Load() != stateInFlight {
			return
		}
		<-ch
	}
}
