package kernel

import (
	"sync"
	"sync/atomic"
	"time"
)

// Tracing the model (SPEC X1, X2). Tracepoints sit at the steps of a
// notification's path: system calls, fcntl's owner, signal and flags,
// the driver's ->fasync, fasync_helper, kill_fasync, send_sigio, signal
// generation, interruption and delivery, wake-ups of wait queues and poll
// tables, and kiocbs. A Tracer (Kernel.Trace) records what they see.
//
// Like Linux's static keys, the switch is global: tracingOn counts the
// kernels that have a tracer, and every tracepoint first loads it. With
// no kernel traced a tracepoint is that one atomic load and a branch; it
// allocates nothing and takes no lock. When some kernel is traced, a
// tracepoint finds the kernel its event belongs to and records the event
// only if that kernel has a tracer.

// tracingOn is the number of kernels with a tracer.
var tracingOn atomic.Int32

// tracing reports whether any kernel is traced: the whole cost of a
// tracepoint when none is.
func tracing() bool { return tracingOn.Load() != 0 }

// DefaultTraceCapacity is the number of events a Tracer made with
// capacity 0 keeps.
const DefaultTraceCapacity = 4096

// A Tracer records the events of the kernels it is attached to
// (Kernel.Trace) in a ring of fixed capacity: once full, each new event
// overwrites the oldest, which is counted as dropped (ftrace's overwrite
// mode). Its memory is allocated once, by NewTracer. Timestamps come
// from one monotonic clock, started by NewTracer. A Tracer is safe for
// concurrent use.
type Tracer struct {
	start time.Time // monotonic origin of every event's Time

	// mu guards everything below; it is a leaf lock.
	mu      sync.Mutex
	ring    []TraceEvent
	written uint64 // events recorded since NewTracer or Reset
	// ids number the wait queues and kiocbs the trace has seen, in order
	// of first sight, so that events name them without addresses.
	ids    map[any]int // *WaitQueue or *Kiocb
	lastID int         // the last number given to a wait queue or kiocb
}

// NewTracer returns a tracer that keeps the last capacity events
// (DefaultTraceCapacity when capacity <= 0).
func NewTracer(capacity int) *Tracer {
	if capacity <= 0 {
		capacity = DefaultTraceCapacity
	}
	return &Tracer{
		start: time.Now(),
		ring:  make([]TraceEvent, capacity),
		ids:   make(map[any]int),
	}
}

// Trace attaches tr to k: from now on k's tracepoints record into tr.
// nil detaches the current tracer. It returns the tracer attached before.
// Several kernels may share one tracer. Kernel.Close detaches k's tracer
// once the shutdown is recorded.
func (k *Kernel) Trace(tr *Tracer) (old *Tracer) {
	old = k.tracer.Swap(tr)
	switch {
	case old == nil && tr != nil:
		tracingOn.Add(1)
	case old != nil && tr == nil:
		tracingOn.Add(-1)
	}
	return old
}

// Tracer returns the tracer attached to k, or nil.
func (k *Kernel) Tracer() *Tracer { return k.tracer.Load() }

// record stamps ev with its sequence number and time and stores it.
func (tr *Tracer) record(ev *TraceEvent) {
	tr.mu.Lock()
	tr.written++
	ev.Seq = tr.written
	ev.Time = time.Since(tr.start)
	tr.ring[(tr.written-1)%uint64(len(tr.ring))] = *ev
	tr.mu.Unlock()
}

// Events returns the events the ring holds, oldest first.
func (tr *Tracer) Events() []TraceEvent {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := min(tr.written, uint64(len(tr.ring)))
	evs := make([]TraceEvent, 0, n)
	for seq := tr.written - n; seq < tr.written; seq++ {
		evs = append(evs, tr.ring[seq%uint64(len(tr.ring))])
	}
	return evs
}

// Written returns the number of events recorded since NewTracer or Reset,
// including those overwritten since.
func (tr *Tracer) Written() uint64 {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.written
}

// Dropped returns the number of events overwritten because the ring was
// full.
func (tr *Tracer) Dropped() uint64 {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.written - min(tr.written, uint64(len(tr.ring)))
}

// Capacity returns the number of events the ring holds when full.
func (tr *Tracer) Capacity() int { return len(tr.ring) }

// Reset empties the ring and the dropped count and restarts the clock
// and the numbering of wait queues and kiocbs.
func (tr *Tracer) Reset() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	clear(tr.ring)
	tr.written = 0
	tr.start = time.Now()
	clear(tr.ids)
	tr.lastID = 0
}

// wqID returns q's number in this trace (1, 2, ... in order of first
// sight).
func (tr *Tracer) wqID(q *WaitQueue) int { return tr.objID(q, false) }

// kiocbID returns iocb's number in this trace; forget drops it (the
// kiocb completed).
func (tr *Tracer) kiocbID(iocb *Kiocb, forget bool) int { return tr.objID(iocb, forget) }

// objID numbers a wait queue or kiocb, wqID's and kiocbID's one counter.
func (tr *Tracer) objID(obj any, forget bool) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	id, ok := tr.ids[obj]
	if !ok {
		tr.lastID++
		id = tr.lastID
		tr.remember()
		tr.ids[obj] = id
	}
	if forget {
		delete(tr.ids, obj)
	}
	return id
}

// remember bounds the id maps: past the ring's capacity the objects
// first seen longest ago are no longer in any event the ring holds, so
// the maps start over (numbers keep counting, so none is given twice).
// tr.mu must be held.
func (tr *Tracer) remember() {
	if len(tr.ids) >= len(tr.ring) {
		clear(tr.ids)
	}
}
