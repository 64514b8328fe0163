package aio

import (
	"syscall"

	"github.com/fasync-go/fasync/internal/uring"
)

// backlogRest queues reqs to wait for room and then tries to move the
// backlog into the ring at once. The second step closes a race with the
// completion path, which looks at waiting (without mu) only after it has
// made room: if it looked before reqs were counted here, the room it made
// is visible to the drain below.
func (q *uringRing) backlogRest(reqs []*Request) {
	for _, r := range reqs {
		// r waits for room: it keeps its own reference to the file
		// (pin.go), unless the rings hold one (a registered
		// descriptor, as a File's is). Not under mu, which the
		// completion path takes.
		if q.b.files.slot(r.fd) < 0 {
			r.pinFd()
		}
	}
	q.mu.Lock()
	for _, r := range reqs {
		r.bkState.Store(ubBacklog)
		q.backlog.push(r)
	}
	q.waiting.Add(int32(len(reqs)))
	q.mu.Unlock()
	q.drain()
}

// drain moves requests from the backlog into the ring while it has room.
// When the ring is closed under them, the backlog's requests complete with
// EBADF, after mu is released: done may start a held-back request, which
// comes back to submit and mu.
func (q *uringRing) drain() {
	if closed := q.fill(); closed != nil {
		for r := closed; r != nil; {
			next := r.bkNext
			r.bkNext, r.bkPrev = nil, nil
			r.bkState.Store(ubIdle)
			r.pin.Unpin()
			q.b.done(r, 0, syscall.EBADF)
			r = next
		}
	}
}

// fill moves requests from the backlog into the ring while it has room,
// most urgent first. If the ring is closed it empties the backlog instead
// and returns its requests, linked through bkNext.
func (q *uringRing) fill() (closed *Request) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.backlog.first() != nil {
		b, err := q.loop.Reserve(int(q.waiting.Load()))
		n := b.Len()
		for i := range n {
			r := q.backlog.first()
			q.backlog.remove(r)
			r.bkState.Store(ubRing) // before the kernel can complete it
			q.slots.take(r)
			q.b.prepSQE(b.SQE(i), r)
		}
		b.Commit()
		if n > 0 && q.b.stopping.Load() {
			go q.cancelAll() // not here: q.mu is held, and this may be the loop goroutine
		}
		q.waiting.Add(-int32(n))
		if err == uring.ErrClosed {
			closed = q.backlog.takeAll()
			q.waiting.Store(0)
			return closed
		}
		if err != nil {
			return nil
		}
	}
	return nil
}
