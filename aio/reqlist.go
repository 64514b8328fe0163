package aio

// A reqList is a FIFO of requests linked through their bkNext and bkPrev
// fields, so queuing allocates nothing. A request is on at most one list
// at a time; the backend that owns the list guards it with its own lock.
// The thread pool keeps one per priority, the io_uring backend one per
// ring for requests waiting for room.
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

// popFront removes the first request; the list must not be empty.
func (q *reqList) popFront() { q.remove(q.head) }

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
