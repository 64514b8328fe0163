package aio

import "sync/atomic"

// Plain reads skip the descriptor lists.
//
// The engine links a request on its descriptor's list (fdstate.go) for two
// reasons: the ordering rules (an fsync waits for earlier writes, SPEC
// C10; O_APPEND writes run in order, C12), and so Cancel and Close can
// find what is in flight on a descriptor (C8). A read takes part in no
// ordering rule, and on a backend that can list the requests it holds (a
// tracker) Cancel finds it there, so a read is not linked at all: no
// shard lock at submission or completion. Those two lock round trips,
// usually on different cores for one descriptor, were the largest cost of
// the engine's own bookkeeping per cached read (profiled: half of
// Engine.submit's samples sat on the shard mutex's atomic instructions).
//
// Writes and fsyncs stay linked: their ordering needs the list.

// A tracker is a backend that can list the requests it holds.
type tracker interface {
	// visit calls pick, holding the backend's locks, for every request
	// not linked on a descriptor list (Request.linked false) that the
	// backend holds now, between start and done, on descriptor fd (any
	// descriptor when fd < 0), or only for the request only when it is not
	// nil. Before pick sees r, visit has added one to r.cancelRefs and
	// made sure r was still held afterwards, so r cannot start a new life
	// until the engine drops that count, and r's submission fields are
	// safe to read (see pickHeld).
	visit(fd int, only *Request, pick func(r *Request))
}

// pickHeld is visit's check for a request found in a slot the backend
// fills when it takes a request and empties before calling done: it adds
// the cancel count, checks that r is still in the slot, and then that r
// is a target. It reports whether r was picked; if not, the count is
// dropped again.
//
// Why this is safe without a lock on the backend's hot path: the slot
// store follows the submission's writes to r (the engine's prepare), so
// seeing r in the slot after adding the count makes those writes visible;
// and the slot is emptied before done, so r's next life (whose claimState
// reads cancelRefs, after done) begins after the second load here, and
// therefore sees the count and waits for Cancel.
func pickHeld(slot *atomic.Pointer[Request], r *Request, fd int, only *Request) bool {
	r.cancelRefs.Add(1)
	if slot.Load() == r && isTarget(r, fd, only) {
		return true
	}
	r.cancelRefs.Add(-1)
	return false
}

// isTarget reports whether r, held by a backend, is one visit reports.
func isTarget(r *Request, fd int, only *Request) bool {
	return !r.linked && (only == nil || r == only) && (fd < 0 || r.fd == fd)
}

// ringSlots records which requests a ring holds, for visit, at the cost
// of an atomic store when the request enters the ring and one when it
// leaves, on lines its submitters and loop goroutine share: no lock.
//
// A request takes a slot when its SQE is prepared, under the Loop's
// submission lock (between Reserve and Commit), and gives it back in the
// completion handler before done. Free slot numbers circulate through a
// ring buffer with one producer (the loop goroutine, in the handler) and
// one consumer at a time (whoever holds the submission lock). There are
// Loop.MaxHeld slots, so a request that found room in the ring always
// finds a slot.
type ringSlots struct {
	reqs []atomic.Pointer[Request] // by slot number: the request holding it, or nil
	free []int32                   // free slot numbers, from head to tail (modulo len)
	mask uint32
	head uint32 // next free slot to take; under the Loop's submission lock
	_    [56]byte
	tail atomic.Uint32 // where the next freed slot goes; loop goroutine only
}

// noSlot marks a request that holds no slot.
const noSlot = ^uint64(0)

func newRingSlots(n int) *ringSlots {
	size := 1
	for size < n {
		size <<= 1
	}
	s := &ringSlots{reqs: make([]atomic.Pointer[Request], n), free: make([]int32, size), mask: uint32(size - 1)}
	for i := range n {
		s.free[i] = int32(i)
	}
	s.tail.Store(uint32(n))
	return s
}

// take gives r a slot, recorded in r.tag. The Loop's submission lock is
// held. Running out is impossible (see ringSlots); were it to happen, r
// would go untracked, costing Cancel the chance to find it, and r is
// pinned instead, so that the slot's other job, keeping r reachable while
// the kernel holds its address, is still done (the handler's Unpin ends it).
func (s *ringSlots) take(r *Request) {
	if s.head == s.tail.Load() {
		r.tag = noSlot
		r.pin.Pin(r)
		return
	}
	i := s.free[s.head&s.mask]
	s.head++
	r.tag = uint64(i)
	s.reqs[i].Store(r)
}

// give empties r's slot; called on the loop goroutine before done.
func (s *ringSlots) give(r *Request) {
	i := r.tag
	if i == noSlot {
		return
	}
	r.tag = noSlot
	s.reqs[i].Store(nil)
	t := s.tail.Load()
	s.free[t&s.mask] = int32(i)
	s.tail.Store(t + 1)
}

// visit picks the targets among the requests holding slots.
func (s *ringSlots) visit(fd int, only *Request, pick func(*Request)) {
	for i := range s.reqs {
		r := s.reqs[i].Load()
		if r == nil || (only != nil && r != only) {
			continue
		}
		if pickHeld(&s.reqs[i], r, fd, only) {
			pick(r)
		}
	}
}
