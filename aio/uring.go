package aio

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/fasync-go/fasync/internal/uring"
)

func init() {
	registerBackend(backendEntry{name: "uring", rank: 0, available: uring.Available, new: newUringBackend})
}

// Stages of a request in the io_uring backend (Request.bkState).
const (
	ubIdle    = iota // not in this backend
	ubBacklog        // waiting on its ring's backlog for room in the ring
	ubRing           // handed to the ring: the kernel may own r.buf
)

// uringBackend performs requests on io_uring, with one ring per core:
// the kernel completes a page-cached read inline, on the thread that
// entered the ring, so one ring keeps at most one core busy. Each ring is
// a uring.Loop, whose goroutine makes every io_uring_enter of that ring
// (one per round, for everything queued since the last) and reaps its
// completions, parking in the netpoller when idle.
//
// A request keeps the ring it was first given (see ringOf) for every
// later submission, so an owner who resubmits from the completion path
// stays on one ring.
//
// The SQE of a request carries the request's address as user_data. That
// is safe because r stays reachable until done is called (in its ring's
// slot table, see ringSlots, and for writes and fsyncs on its descriptor's
// list too), and Go does not move heap objects; the buffer,
// which the kernel writes, is pinned with r.pin while the kernel owns it.
type uringBackend struct {
	done  doneFunc
	arena *arena    // registered with every ring as fixed buffer 0, or nil
	files fileTable // registered files (RegisterFile), the same slots on every ring
	rings []*uringRing
	next  atomic.Uint32 // round-robin ring choice for requests new to this backend
	// stopping is set by interrupt (Close): a submission that reaches a
	// ring afterwards has the ring's requests cancelled (see interrupt).
	stopping atomic.Bool

	// chanRing maps a notification channel to its ring (see ringOf). An
	// entry costs a few words and is made once per channel per engine.
	chanRing sync.Map
}

// uringRing is one Loop and the requests waiting for room in it.
type uringRing struct {
	b     *uringBackend
	loop  *uring.Loop
	slots *ringSlots // the requests in the ring, for visit (see track.go)

	// mu guards backlog and moves between ubBacklog and the other stages.
	// Lock order: mu, then the Loop's own lock (inside Reserve).
	mu      sync.Mutex
	backlog prioQueue // most urgent first (Priority, SPEC C5)
	// waiting is the backlog's length, read without mu on the completion
	// path: a completion that sees 0 needs no lock. See backlogRest for
	// why no request is stranded.
	waiting atomic.Int32
}

// maxRingEntries bounds a ring's queue depth; deeper engines use the backlog.
const maxRingEntries = 4096

// sqeChunk is how many requests of a batch start gathers per ring before
// handing them to it.
const sqeChunk = 32

func newUringBackend(cfg backendConfig, done doneFunc) (backend, error) {
	n := cfg.Rings
	if n <= 0 {
		n = runtime.NumCPU()
	}
	depth := min(max(cfg.QueueDepth, 1), maxRingEntries)
	if cfg.MaxInFlight > 0 {
		depth = min(depth, cfg.MaxInFlight)
	}
	b := &uringBackend{done: done, arena: cfg.Arena}
	for range n {
		q := &uringRing{b: b}
		loop, err := uring.NewLoop(uring.LoopConfig{Entries: uint32(depth), Thread: cfg.RingThreads}, q.handle)
		if err != nil {
			b.close()
			return nil, fmt.Errorf("aio: io_uring backend: %w", err)
		}
		q.loop = loop
		if depth > 4*runtime.NumCPU() {
			// Every request the ring holds may have a kernel worker: with
			// the kernel's default, 4 per CPU, the fsyncs of many File
			// callers wait for each other where os.File's callers sync
			// at once (docs/PERFORMANCE.md). Kernels before 5.15 keep
			// their default.
			loop.Do(func(r *uring.Ring) error { _, _, err := r.SetMaxWorkers(uint32(depth), 0); return err })
		}
		q.slots = newRingSlots(loop.MaxHeld())
		b.rings = append(b.rings, q)
		if err := loop.Do(func(r *uring.Ring) error { return r.RegisterFiles(emptyFileTable[:]) }); err != nil {
			b.close()
			return nil, fmt.Errorf("aio: io_uring backend: fixed-file table: %w", err)
		}
		if b.arena != nil {
			if err := loop.Do(func(r *uring.Ring) error { return r.RegisterBuffers([][]byte{b.arena.mem}) }); err != nil {
				b.close()
				return nil, fmt.Errorf("aio: io_uring backend: buffer arena of %d bytes: %w", len(b.arena.mem), err)
			}
		}
	}
	return b, nil
}

// emptyFileTable is a ring's fixed-file table at setup: every slot empty.
var emptyFileTable = func() (t [fixedFiles]int32) {
	for i := range t {
		t[i] = -1
	}
	return t
}()

func (b *uringBackend) name() string { return "uring" }

// ringOf returns r's ring, choosing one the first time r comes here:
// the ring of the channel that announces r's completion, if one does,
// else the next ring in turn.
//
// Requests announced on the same channel (SIGEV_CHAN, or their ListIO's
// SIGEV_CHAN; the engine sets r.sigev and r.group before start) share a
// ring, and each new channel gets the next ring in turn. The goroutine
// draining a channel and the loop goroutine of its ring then hand batches
// to each other on one P (the runtime runs a goroutine woken by a channel
// operation next on the waker's P), with no cache line crossing cores,
// while the consumers of different channels run on different rings in
// parallel. Measured at depth 32 on two cores: 16 SQEs per enter instead
// of 8, and 10-20% less CPU per cached read, than with requests dealt
// out in turn.
func (b *uringBackend) ringOf(r *Request) *uringRing {
	k := int(r.ring) - 1
	if k < 0 || k >= len(b.rings) {
		if k = b.ringOfChan(r); k < 0 {
			k = b.nextRing()
		}
		r.ring = int32(k + 1)
	}
	return b.rings[k]
}

func (b *uringBackend) nextRing() int { return int(b.next.Add(1) % uint32(len(b.rings))) }

// ringOfChan returns the ring of the channel that announces r's
// completion, or -1 when none does.
func (b *uringBackend) ringOfChan(r *Request) int {
	var ch chan<- *Request
	switch {
	case r.sigev.Notify == SIGEV_CHAN:
		ch = r.sigev.Chan
	case r.group != nil && r.group.ev.Notify == SIGEV_CHAN:
		ch = r.group.ev.Chan
	}
	if ch == nil {
		return -1
	}
	if k, ok := b.chanRing.Load(ch); ok {
		return k.(int)
	}
	k, _ := b.chanRing.LoadOrStore(ch, b.nextRing())
	return k.(int)
}

// start hands the batch to the rings: one Reserve and Commit (so one
// io_uring_enter by that ring's loop) per ring per chunk of requests; the
// requests of a batch that are new here and have no channel all go to
// one ring, so a ListIO is one io_uring_enter. Requests that find their
// ring full wait on its backlog. start never fails: a closed ring is
// reported through done.
func (b *uringBackend) start(batch []*Request) error {
	if len(batch) == 1 { // the usual case: Read, Write, Fsync
		q := b.ringOf(batch[0])
		q.submit(batch)
		return nil
	}
	shared := -1 // the ring of this batch's new requests without a channel
	for _, r := range batch {
		if k := int(r.ring) - 1; k >= 0 && k < len(b.rings) {
			continue
		}
		k := b.ringOfChan(r)
		if k < 0 {
			if shared < 0 {
				shared = b.nextRing()
			}
			k = shared
		}
		r.ring = int32(k + 1)
	}
	var mine [sqeChunk]*Request
	for k, q := range b.rings {
		n := 0
		for _, r := range batch {
			if int(r.ring)-1 != k {
				continue
			}
			mine[n] = r
			n++
			if n == len(mine) {
				q.submit(mine[:n])
				n = 0
			}
		}
		if n > 0 {
			q.submit(mine[:n])
		}
	}
	return nil
}

// submit hands reqs to q's loop, preparing their SQEs in place in the
// ring, or to q's backlog when the ring is full or others already wait.
func (q *uringRing) submit(reqs []*Request) {
	for _, r := range reqs {
		if len(r.buf) > 0 && !q.b.arena.contains(r.buf) {
			// The arena is pinned for the engine's life; other memory
			// is pinned while the kernel may use it.
			r.pin.Pin(unsafe.SliceData(r.buf))
		}
		r.bkState.Store(ubRing) // before the kernel can complete it
	}
	n := 0
	if q.waiting.Load() == 0 {
		b, err := q.loop.Reserve(len(reqs))
		n = b.Len()
		for i, r := range reqs[:n] {
			q.slots.take(r) // under the Loop's lock, held from Reserve to Commit
			q.b.prepSQE(b.SQE(i), r)
		}
		b.Commit()
		if q.b.stopping.Load() {
			go q.cancelAll() // not here: submit may run on the loop goroutine
		}
		if err != nil && err != uring.ErrRingFull {
			q.fail(reqs[n:], err)
			return
		}
	}
	if n < len(reqs) {
		q.backlogRest(reqs[n:])
	}
}

// prepSQE fills s for r: a read or write whose buffer lies wholly inside
// the arena is READ_FIXED or WRITE_FIXED of registered buffer 0, and a
// registered descriptor is named by its fixed-file slot.
func (b *uringBackend) prepSQE(s *uring.SQE, r *Request) {
	tag := uint64(uintptr(unsafe.Pointer(r)))
	fixed := b.arena.contains(r.buf)
	switch {
	case r.op == opRead && fixed:
		s.PrepReadFixed(r.ioFd(), r.buf, r.off, 0, tag)
	case r.op == opWrite && fixed:
		s.PrepWriteFixed(r.ioFd(), r.buf, r.off, 0, tag)
	case r.op == opRead:
		s.PrepRead(r.ioFd(), r.buf, r.off, tag)
	case r.op == opWrite:
		s.PrepWrite(r.ioFd(), r.buf, r.off, tag)
	case r.op == opFsync:
		s.PrepFsync(r.ioFd(), false, tag)
	case r.op == opFdatasync:
		s.PrepFsync(r.ioFd(), true, tag)
	default:
		panic("aio: uringBackend: request with unknown op")
	}
	if slot := b.files.slot(r.fd); slot >= 0 {
		s.Fd = int32(slot)
		s.Flags |= uring.IOSQE_FIXED_FILE
	}
}

// requestOf is the request whose address tag carries (see prepSQE).
func requestOf(tag uint64) *Request {
	return *(**Request)(unsafe.Pointer(&tag))
}

// fail completes reqs, which never reached the kernel, with err's errno
// (the ring was closed under them: EBADF, as a closed thread pool gives).
func (q *uringRing) fail(reqs []*Request, err error) {
	errno := syscall.EBADF
	if err != uring.ErrClosed {
		errno = errnoOf(err)
	}
	for _, r := range reqs {
		r.bkState.Store(ubIdle)
		r.pin.Unpin()
		q.b.done(r, 0, errno)
	}
}

// handle is the ring's completion handler, run on its loop goroutine.
func (q *uringRing) handle(tag uint64, res int32, _ uint32) {
	r := requestOf(tag)
	n, errno := 0, syscall.Errno(0)
	if res < 0 {
		errno = syscall.Errno(-res)
	} else {
		n = int(res)
	}
	q.slots.give(r)
	r.bkState.Store(ubIdle)
	r.pin.Unpin()
	// Every notification but an inline callback of the program's may
	// make a goroutine runnable: a channel consumer, a waiter in Suspend
	// or Wait, a File's caller. It is a hint for the ring's thread (see
	// uring.Loop.Readied), not an account: an inline callback's request
	// may still wake a Suspend waiter, a File call waiting for room or
	// a LIO_WAIT caller, and those wait for sysmon as before.
	readies := r.sigev.Notify != SIGEV_INLINE || r.readies
	q.b.done(r, n, errno) // last use of r: it is its owner's again
	if readies {
		q.loop.Readied()
	}
	if q.waiting.Load() > 0 {
		q.drain()
	}
}

// cancel stops r: a request still on the backlog is taken off and
// completed with ECANCELED here; one in the ring gets an
// IORING_OP_ASYNC_CANCEL, and cancel reports true only when its completion
// says the target was found and cancelled (the target then completes with
// -ECANCELED). A read parked on an empty pipe is cancellable; a disk or
// page-cache transfer that has started is not.
func (b *uringBackend) cancel(r *Request) bool {
	// The engine may ask before start has run for r (it picks targets
	// from its lists, which r joins first): r is then idle here, and
	// r.ring is not to be read yet. The bkState store in start that
	// follows the choice of ring orders the two.
	if r.bkState.Load() == ubIdle {
		return false
	}
	q := b.rings[r.ring-1]
	q.mu.Lock()
	switch r.bkState.Load() {
	case ubBacklog:
		q.backlog.remove(r)
		q.waiting.Add(-1)
		r.bkState.Store(ubIdle)
		q.mu.Unlock()
		r.pin.Unpin()
		b.done(r, 0, syscall.ECANCELED)
		return true
	case ubIdle:
		q.mu.Unlock()
		return false
	}
	q.mu.Unlock()
	res, err := q.loop.Cancel(uint64(uintptr(unsafe.Pointer(r))))
	return err == nil && res == 0
}

// visit lists the requests waiting on the rings' backlogs and those in
// the rings (see tracker). Each ring's mu is held across both walks, so a
// request moving from the backlog into the ring (fill, under mu) is seen
// once.
func (b *uringBackend) visit(fd int, only *Request, pick func(*Request)) {
	for _, q := range b.rings {
		q.mu.Lock()
		q.backlog.each(func(r *Request) {
			if isTarget(r, fd, only) {
				r.cancelRefs.Add(1)
				pick(r)
			}
		})
		q.slots.visit(fd, only, pick)
		q.mu.Unlock()
	}
}

// interrupt cancels everything the rings hold (see interrupter): Close
// calls it after its own cancel pass, which cannot see a request whose
// submission was under way as Close began and that reaches a ring only
// afterwards; stopping makes such a submission cancel its ring's requests
// itself. Of the two, whichever comes second finds the request: a
// submission takes its ring slot before it looks at stopping, and
// interrupt sets stopping before it looks at the slots.
func (b *uringBackend) interrupt() {
	b.stopping.Store(true)
	for _, q := range b.rings {
		q.cancelAll()
	}
}

// cancelAll cancels what q holds: requests on its backlog complete with
// ECANCELED here; for those in the ring the kernel is asked, by address
// only (a request that completed meanwhile is not looked at), and answers
// as it can (a transfer under way goes on).
func (q *uringRing) cancelAll() {
	q.mu.Lock()
	back := q.backlog.takeAll()
	q.waiting.Store(0)
	for r := back; r != nil; r = r.bkNext {
		r.bkState.Store(ubIdle) // under mu: cancel no longer looks for it on the backlog
	}
	var tags []uint64
	for i := range q.slots.reqs {
		if r := q.slots.reqs[i].Load(); r != nil {
			tags = append(tags, uint64(uintptr(unsafe.Pointer(r))))
		}
	}
	q.mu.Unlock()
	for r := back; r != nil; {
		next := r.bkNext
		r.bkNext, r.bkPrev = nil, nil
		r.pin.Unpin()
		q.b.done(r, 0, syscall.ECANCELED)
		r = next
	}
	for _, tag := range tags {
		q.loop.Cancel(tag)
	}
}

// close releases the rings. The engine calls it once nothing is in
// flight; Loop.Close would cancel and wait for anything left anyway.
func (b *uringBackend) close() error {
	var first error
	for _, q := range b.rings {
		if q.loop == nil {
			continue
		}
		if err := q.loop.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
