package aio

import "sync"

// fdShards is the number of locks the engine spreads descriptors over, so
// requests on different descriptors rarely meet on one lock.
const fdShards = 16

// An fdShard holds the state of the descriptors d with d%fdShards equal to
// its index. mu guards fds, free, every fdState in fds, and the engine
// bookkeeping fields (fdst, fdNext, fdPrev, held, ready) of every request
// linked on one of them.
type fdShard struct {
	mu   sync.Mutex
	fds  map[int]*fdState
	free *fdState // recycled states, linked through next, so steady state allocates nothing
	// last is the state link used most recently, or nil: one descriptor
	// usually carries a run of requests, and a pointer compare is cheaper
	// than a map lookup. It is always nil or a live state in fds.
	last *fdState
	_    [32]byte // keep neighbouring shards' locks off one cache line
}

// An fdState is the engine's view of one descriptor while requests on it
// are in flight: the requests in submission order, and what the ordering
// rules need to know about them.
//
// Ordering rules (the engine holds a request back, held = true, until they allow it):
//   - an fsync waits until every write submitted before it on the
//     descriptor has completed (SPEC C10);
//   - a write to an O_APPEND descriptor waits until every O_APPEND write
//     submitted before it has completed, so appends land in submission
//     order even though the backend runs requests in parallel (SPEC C12).
type fdState struct {
	fd         int
	head, tail *Request
	writes     int // writes on the list, held or not
	appends    int // O_APPEND writes on the list, held or not
	held       int // held requests on the list
	next       *fdState
}

func (e *Engine) shard(fd int) *fdShard {
	return &e.shards[uint(fd)%fdShards]
}

// link adds r, whose submission fields are set, at the tail of its
// descriptor's list. It reports whether r must be held back. s.mu is held.
func (s *fdShard) link(r *Request) (held bool) {
	st := s.last
	if st == nil || st.fd != r.fd {
		st = s.fds[r.fd]
		if st == nil {
			st = s.newState(r.fd)
		}
		s.last = st
	}
	switch {
	case r.op == opFsync || r.op == opFdatasync:
		held = st.writes > 0
	case r.append:
		held = st.appends > 0
	}
	if r.op == opWrite {
		st.writes++
		if r.append {
			st.appends++
		}
	}
	if held {
		st.held++
	}
	r.held = held
	r.fdst = st
	r.fdNext = nil
	r.fdPrev = st.tail
	if st.tail != nil {
		st.tail.fdNext = r
	} else {
		st.head = r
	}
	st.tail = r
	return held
}

func (s *fdShard) newState(fd int) *fdState {
	st := s.free
	if st != nil {
		s.free = st.next
		*st = fdState{}
	} else {
		st = new(fdState)
	}
	st.fd = fd
	if s.fds == nil {
		s.fds = make(map[int]*fdState)
	}
	s.fds[fd] = st
	return st
}

// unlink removes r from its descriptor's list. It returns the chain (linked
// through ready) of held requests that may start now that r is gone; the
// caller starts them after dropping s.mu. s.mu is held.
func (s *fdShard) unlink(r *Request) (ready *Request) {
	st := r.fdst
	if !s.remove(r) || st.held == 0 {
		// Usually nothing waits: no walk.
		return nil
	}
	return st.release()
}

// remove takes r off its descriptor's list without releasing anything,
// and reports whether requests remain on the list; when none do, the
// descriptor's state is recycled. s.mu is held.
func (s *fdShard) remove(r *Request) (remain bool) {
	st := r.fdst
	if r.fdPrev != nil {
		r.fdPrev.fdNext = r.fdNext
	} else {
		st.head = r.fdNext
	}
	if r.fdNext != nil {
		r.fdNext.fdPrev = r.fdPrev
	} else {
		st.tail = r.fdPrev
	}
	r.fdNext, r.fdPrev, r.fdst = nil, nil, nil
	if r.op == opWrite {
		st.writes--
		if r.append {
			st.appends--
		}
	}
	if r.held {
		r.held = false
		st.held--
	}
	if st.head != nil {
		return true
	}
	delete(s.fds, st.fd)
	if s.last == st {
		s.last = nil
	}
	st.next = s.free
	s.free = st
	return false
}

// release marks every held request the ordering rules now allow as no
// longer held and returns them, in submission order, chained through ready.
func (st *fdState) release() (ready *Request) {
	var tail *Request
	sawWrite, sawAppend := false, false
	for q := st.head; q != nil && !(sawWrite && sawAppend); q = q.fdNext {
		if q.held {
			fsync := q.op == opFsync || q.op == opFdatasync
			if (fsync && !sawWrite) || (q.append && !sawAppend) {
				q.held = false
				st.held--
				q.ready = nil
				if tail == nil {
					ready = q
				} else {
					tail.ready = q
				}
				tail = q
			}
		}
		if q.op == opWrite {
			sawWrite = true
			sawAppend = sawAppend || q.append
		}
	}
	return ready
}
