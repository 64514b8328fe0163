package aio

import (
	"fmt"
	"syscall"
)

// Cancel tries to cancel r, or with r nil every request in flight on fd
// (aio_cancel, SPEC C8). It returns AIO_CANCELED when every targeted
// request was cancelled: each has completed with ECANCELED (Error reports
// it as soon as Cancel returns) and was notified. A request waiting on a
// stream for data or room (an empty pipe, a full socket) is cancelled on
// every backend. It returns AIO_NOTCANCELED when at least one targeted
// request was already transferring and goes on (the others are still
// cancelled), and AIO_ALLDONE when no targeted request was in flight. A descriptor that is not open is EBADF;
// r on another descriptor than fd, or submitted to another engine, is
// EINVAL.
func (e *Engine) Cancel(fd int, r *Request) (int, error) {
	if !e.fds.isOpen(fd) {
		return -1, syscall.EBADF
	}
	if r != nil {
		if r.state.Load() != stateInFlight {
			return AIO_ALLDONE, nil
		}
		if r.Fd != fd {
			return -1, fmt.Errorf("aio: cancel of a request on descriptor %d given %d: %w", r.Fd, fd, syscall.EINVAL)
		}
	}
	// cancelMu is held until every request picked below has had its
	// cancellation settled, and each carries a cancelRefs count meanwhile:
	// a request that completes, is Returned and resubmitted while Cancel
	// is between picking it and asking the backend waits for cancelMu in
	// claimState, so Cancel never stops a later life of a request.
	e.cancelling.Add(1)
	defer e.cancelling.Add(-1)
	e.cancelMu.Lock()
	defer e.cancelMu.Unlock()
	if r != nil && !e.owns(fd, r) {
		if r.state.Load() != stateInFlight {
			return AIO_ALLDONE, nil
		}
		return -1, fmt.Errorf("aio: cancel of a request of another engine: %w", syscall.EINVAL)
	}
	return e.cancelLocked(fd, r), nil
}

// owns reports whether r was submitted to e. Another engine's request is
// not ours to look for: its links are guarded by that engine's locks.
func (e *Engine) owns(fd int, r *Request) bool { return r.eng == e }

// cancelLocked cancels every request in flight on fd (on any descriptor
// when fd < 0, for Close), or only r when r is not nil, and returns the
// AIO_* result. e.cancelMu is held.
func (e *Engine) cancelLocked(fd int, only *Request) int {
	held, started, ready := e.pickTargets(fd, only)
	if e.trk != nil {
		e.trk.visit(fd, only, func(q *Request) { started = append(started, q) })
	}
	// Held requests never reached the backend: the engine completes them.
	for _, q := range held {
		e.publish(q, 0, syscall.ECANCELED)
	}
	e.startReady(ready)
	notCancelled := 0
	for _, q := range started {
		if e.bk.cancel(q) {
			// The backend completes q with ECANCELED, perhaps on another
			// goroutine: wait, so Error reports it when Cancel returns.
			waitDone(q)
		} else {
			notCancelled++
		}
		q.cancelRefs.Add(-1)
	}
	switch {
	case len(held)+len(started) == 0 && only != nil && only.state.Load() == stateInFlight:
		// Submitted but not found: between its submission and the
		// backend, or between the backend and its result. It goes on.
		return AIO_NOTCANCELED
	case len(held)+len(started) == 0:
		return AIO_ALLDONE
	case notCancelled > 0:
		return AIO_NOTCANCELED
	}
	return AIO_CANCELED
}

// pickTargets collects the requests in flight on fd (only r when r is not
// nil). Held ones are taken off the list at once, all together, so taking
// one off cannot release another target; it returns them, the started ones
// (each with a cancelRefs count), and the held non-targets that may start
// now.
func (e *Engine) pickTargets(fd int, only *Request) (held, started []*Request, ready *Request) {
	if fd < 0 {
		return nil, nil, nil
	}
	s := e.shard(fd)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.fds[fd]
	if st == nil {
		return nil, nil, nil
	}
	remain := true
	for q := st.head; q != nil; {
		next := q.fdNext
		if only == nil || q == only {
			if q.held {
				held = append(held, q)
				remain = s.remove(q)
			} else {
				q.cancelRefs.Add(1)
				started = append(started, q)
			}
		}
		q = next
	}
	if remain && len(held) > 0 && st.held > 0 {
		ready = st.release()
	}
	return held, started, ready
}
