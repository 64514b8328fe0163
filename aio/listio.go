package aio

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
)

// A listGroup tracks the entries of one ListIO call until all complete.
//
// pending counts the entries in flight plus one held by ListIO itself
// until it has submitted everything, so the group cannot finish while
// entries are still being submitted. Whoever brings it to zero finishes
// the group: LIO_WAIT wakes the caller through wait; LIO_NOWAIT sends the
// list notification and recycles the group.
type listGroup struct {
	pending atomic.Int32
	failed  atomic.Bool   // some entry failed (any errno, ECANCELED included)
	wait    chan struct{} // LIO_WAIT: one value when pending reaches zero
	mode    int
	ev      Sigevent // LIO_NOWAIT: the list notification
	log     *slog.Logger

	// Scratch reused across calls, so ListIO allocates nothing in steady state.
	checks []entryCheck
	batch  []*Request
}

// entryCheck is the outcome of validating one ListIO entry.
type entryCheck struct {
	op     op
	append bool
	err    error // the entry is bad (nil when skip or fine)
	skip   bool  // nil or LIO_NOP
}

var groupPool = sync.Pool{New: func() any { return &listGroup{wait: make(chan struct{}, 1)} }}

// finish accounts for one finished entry (or ListIO's own count).
func (g *listGroup) finish(errno syscall.Errno, inline bool) {
	if errno != 0 {
		g.failed.Store(true)
	}
	if g.pending.Add(-1) != 0 {
		return
	}
	if g.mode == LIO_WAIT {
		g.wait <- struct{}{}
		return
	}
	ev, log := g.ev, g.log
	g.put()
	notify(log, nil, ev.Notify, ev.Signo, ev.Value, ev.ThreadID, ev.Func, ev.Chan, inline)
}

// put returns g, finished, to the pool.
func (g *listGroup) put() {
	g.failed.Store(false)
	g.ev = Sigevent{}
	g.log = nil
	clear(g.checks)
	clear(g.batch)
	g.checks, g.batch = g.checks[:0], g.batch[:0]
	groupPool.Put(g)
}

// ListIO submits every entry of list (lio_listio, SPEC C9), each as its
// Opcode says: LIO_READ, LIO_WRITE, or LIO_NOP (skipped, as are nil
// entries), in one backend submission where the backend batches. A bad
// entry does not stop the others: it is marked with its errno (Error and
// Return report it) and ListIO returns EIO once the rest is submitted (for
// LIO_NOWAIT) or finished (for LIO_WAIT). An entry already in flight is
// left untouched and also makes ListIO return EIO.
//
// With LIO_WAIT, ListIO returns when every entry has completed: nil if
// all succeeded, EIO otherwise (each entry keeps its own status); notify is
// ignored; when ctx ends first it returns an error matching EINTR and
// ctx.Err(), and the entries go on (a nil ctx never ends). With
// LIO_NOWAIT it returns once all are queued and notify (nil for none)
// announces, once, that all have completed; its Func and Chan receive a
// nil *Request. Any other mode is EINVAL.
//
// When the valid entries do not all fit under the in-flight limit, ListIO
// queues those that fit, in list order, and returns EAGAIN (SPEC C14, as
// POSIX and glibc do): each entry left out has the status EAGAIN (Error;
// Return gives -1 and EAGAIN) and may be submitted again. With LIO_WAIT,
// ListIO returns EAGAIN once the queued entries have completed; with
// LIO_NOWAIT, notify announces their completion. An entry refused at
// submission (bad, or left out) is not notified on its own.
func (e *Engine) ListIO(ctx context.Context, mode int, list []*Request, notify *Sigevent) error {
	if mode != LIO_WAIT && mode != LIO_NOWAIT {
		return fmt.Errorf("aio: ListIO mode %d: %w", mode, syscall.EINVAL)
	}
	ev := Sigevent{Notify: SIGEV_NONE}
	if mode == LIO_NOWAIT && notify != nil {
		if err := notify.check(); err != nil {
			return err
		}
		ev = *notify
	}
	g := groupPool.Get().(*listGroup)
	g.mode, g.ev, g.log = mode, ev, e.log
	valid := g.checkAll(list, e.fds)
	room, err := e.reserveUpTo(int64(valid))
	if err != nil {
		g.put()
		return err
	}
	g.pending.Store(int32(room) + 1)
	failed, left := e.submitAll(g, list, int(room))
	if failed {
		g.failed.Store(true)
	}
	if mode == LIO_NOWAIT {
		g.finish(0, e.inline()) // g may be recycled from here on
		switch {
		case left:
			return syscall.EAGAIN
		case failed:
			return fmt.Errorf("aio: ListIO: an entry was refused: %w", syscall.EIO)
		}
		return nil
	}
	g.finish(0, false) // LIO_WAIT: no notification

	var cancelled <-chan struct{} // nil ctx: never
	if ctx != nil {
		cancelled = ctx.Done()
	}
	select {
	case <-g.wait:
	case <-cancelled:
		// The entries go on and will finish g; it is left to the collector.
		return fmt.Errorf("aio: ListIO: %w: %w", syscall.EINTR, ctx.Err())
	}
	failed = g.failed.Load()
	g.put()
	switch {
	case left:
		return syscall.EAGAIN
	case failed:
		return fmt.Errorf("aio: ListIO: an entry failed: %w", syscall.EIO)
	}
	return nil
}

// checkAll validates every entry of list into g.checks and counts the good ones.
func (g *listGroup) checkAll(list []*Request, fds fdSpace) (valid int) {
	for _, r := range list {
		var c entryCheck
		switch {
		case r == nil || r.Opcode == LIO_NOP:
			c.skip = true
		case r.Opcode == LIO_READ:
			c.op = opRead
		case r.Opcode == LIO_WRITE:
			c.op = opWrite
		default:
			c.err = fmt.Errorf("aio: ListIO opcode %d: %w", r.Opcode, syscall.EINVAL)
		}
		if !c.skip && c.err == nil {
			c.append, c.err = r.check(c.op, fds)
			if c.err == nil {
				valid++
			}
		}
		g.checks = append(g.checks, c)
	}
	return valid
}

// submitAll claims and links the valid entries of list, the first room
// of them, marks the bad ones and those left out (EAGAIN), and starts
// everything not held back in one backend call. room places under the
// in-flight limit are reserved. It reports whether any entry failed at
// submission, and whether any valid one was left out.
func (e *Engine) submitAll(g *listGroup, list []*Request, room int) (failed, left bool) {
	for i, r := range list {
		c := g.checks[i]
		if c.skip {
			continue
		}
		reserved := c.err == nil && room > 0
		if reserved {
			room--
		}
		if _, err := r.claimState(); err != nil {
			// In flight already: not ours to touch.
			failed = true
			if reserved {
				e.release(1)
				g.pending.Add(-1)
			}
			continue
		}
		switch {
		case c.err != nil:
			failed = true
			r.n, r.errno = 0, errnoOf(c.err)
			r.state.Store(stateDone)
			continue
		case !reserved:
			left = true
			r.n, r.errno = 0, syscall.EAGAIN
			r.state.Store(stateDone)
			continue
		}
		r.prepare(e, c.op, c.append, g)
		if !e.link(r) {
			g.batch = append(g.batch, r)
		}
	}
	if len(g.batch) == 0 {
		return failed, left
	}
	if err := e.bk.start(g.batch); err != nil {
		// The entries were accepted: they fail through their own status.
		for _, r := range g.batch {
			e.complete(r, 0, errnoOf(err))
		}
	}
	return failed, left
}
