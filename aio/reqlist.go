package aio

import "math/bits"

// A reqList is a FIFO of requests linked through their bkNext and bkPrev
// fields, so queuing allocates nothing. A request is on at most one list
// at a time; the backend that owns the list guards it with its own lock.
type reqList struct{ head, tail *Request }

// pushBack appends r.
func (q *reqList) pushBack(r *Request) {
	r.bkNext, r.bkPrev = nil, q.tail
	if q.tail != nil {
		q.tail.bkNext = r
	} else {
		q.head = r
	}
	q.tail = r
}

// remove unlinks r, which must be on q.
func (q *reqList) remove(r *Request) {
	if r.bkPrev != nil {
		r.bkPrev.bkNext = r.bkNext
	} else {
		q.head = r.bkNext
	}
	if r.bkNext != nil {
		r.bkNext.bkPrev = r.bkPrev
	} else {
		q.tail = r.bkPrev
	}
	r.bkNext, r.bkPrev = nil, nil
}

// A prioQueue holds the requests waiting for a backend, most urgent first
// (SPEC C5's Priority): one reqList per level, 0 (most urgent) to
// AIO_PRIO_DELTA_MAX, FIFO within a level, and a bit per level that is
// not empty, so the most urgent request is one instruction away. The
// thread pool's queue is one; so is each io_uring ring's backlog.
type prioQueue struct {
	levels   [AIO_PRIO_DELTA_MAX + 1]reqList
	nonEmpty uint32 // bit p set when levels[p] is not empty
}

// push appends r at its priority, r.prio (the engine keeps it in range).
func (q *prioQueue) push(r *Request) {
	q.levels[r.prio].pushBack(r)
	q.nonEmpty |= 1 << r.prio
}

// remove takes r, which must be queued, off q.
func (q *prioQueue) remove(r *Request) {
	l := &q.levels[r.prio]
	l.remove(r)
	if l.head == nil {
		q.nonEmpty &^= 1 << r.prio
	}
}

// first returns the most urgent request, the oldest of its level, or nil.
func (q *prioQueue) first() *Request {
	if q.nonEmpty == 0 {
		return nil
	}
	return q.levels[bits.TrailingZeros32(q.nonEmpty)].head
}

// each calls f for every queued request, most urgent level first. f must
// not change q.
func (q *prioQueue) each(f func(r *Request)) {
	for p := range q.levels {
		for r := q.levels[p].head; r != nil; r = r.bkNext {
			f(r)
		}
	}
}

// takeAll empties q and returns its requests, most urgent first, chained
// through bkNext.
func (q *prioQueue) takeAll() (head *Request) {
	var tail *Request
	for p := range q.levels {
		l := &q.levels[p]
		if l.head == nil {
			continue
		}
		if tail == nil {
			head = l.head
		} else {
			tail.bkNext = l.head
			l.head.bkPrev = tail
		}
		tail = l.tail
	}
	*q = prioQueue{}
	return head
}
