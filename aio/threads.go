package aio

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

func init() {
	registerBackend(backendEntry{name: "threads", rank: 100, available: func() error { return nil }, new: newThreadBackend})
}

// Stages of a request in the thread pool (Request.bkState).
const (
	tbIdle    = iota // not in this backend
	tbQueued         // on a queue, cancellable
	tbRunning        // taken by a worker
)

// threadBackend runs requests on a fixed pool of worker goroutines with
// pread(2), pwrite(2), fsync(2) and fdatasync(2). Any worker takes any
// request: unlike glibc there is no one-request-per-descriptor
// serialisation (the engine orders the few requests that need it, see
// fdState). Workers take the most urgent request first: one queue per
// priority level, 0 (most urgent) to AIO_PRIO_DELTA_MAX, FIFO within a
// level.
type threadBackend struct {
	done doneFunc
	run  func(r *Request) (n int, errno syscall.Errno) // performs r: perform, or a model task's call

	// mu guards everything below and, for queued requests, their bkNext,
	// bkPrev and the tbQueued stage (workers and cancel flip bkState under mu).
	mu       sync.Mutex
	work     sync.Cond // signalled when a request is queued or the pool closes
	queues   [AIO_PRIO_DELTA_MAX + 1]reqList
	nonEmpty uint32 // bit p set when queues[p] is not empty
	idle     int    // workers waiting on work
	closed   bool

	// running holds, per worker, the request it is performing, for visit
	// (see tracker): stored under mu when the worker takes the request,
	// emptied by the worker before done, without mu.
	running []runningSlot

	workers sync.WaitGroup
}

// runningSlot is one worker's running request, alone on its cache line.
type runningSlot struct {
	r atomic.Pointer[Request]
	_ [56]byte
}

func newThreadBackend(cfg backendConfig, done doneFunc) (backend, error) {
	return newPool(cfg, done, perform), nil
}

// newPool starts a worker pool that performs each request with run.
func newPool(cfg backendConfig, done doneFunc, run func(*Request) (int, syscall.Errno)) *threadBackend {
	n := cfg.Workers
	if n <= 0 {
		n = 1
	}
	b := &threadBackend{done: done, run: run, running: make([]runningSlot, n)}
	b.work.L = &b.mu
	b.workers.Add(n)
	for w := range n {
		go b.worker(&b.running[w].r)
	}
	return b
}

func (b *threadBackend) name() string { return "threads" }

// start queues every request of batch and wakes as many idle workers as
// there are new requests.
func (b *threadBackend) start(batch []*Request) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return syscall.EBADF
	}
	for _, r := range batch {
		b.push(r)
	}
	wake := min(len(batch), b.idle)
	for range wake {
		b.work.Signal()
	}
	b.mu.Unlock()
	return nil
}

// push appends r to the queue of its priority. b.mu is held.
func (b *threadBackend) push(r *Request) {
	r.bkState.Store(tbQueued)
	b.queues[r.prio].pushBack(r)
	b.nonEmpty |= 1 << r.prio
}

// unqueue takes r off its queue. b.mu is held and r is queued.
func (b *threadBackend) unqueue(r *Request) {
	q := &b.queues[r.prio]
	q.remove(r)
	if q.head == nil {
		b.nonEmpty &^= 1 << r.prio
	}
}

// next waits for a request and takes the most urgent one, recording it
// in the worker's slot. It returns nil when the pool is closed and every
// queue is empty.
func (b *threadBackend) next(slot *atomic.Pointer[Request]) *Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.nonEmpty == 0 {
		if b.closed {
			return nil
		}
		b.idle++
		b.work.Wait()
		b.idle--
	}
	r := b.queues[bits.TrailingZeros32(b.nonEmpty)].head
	b.unqueue(r)
	r.bkState.Store(tbRunning)
	slot.Store(r)
	return r
}

func (b *threadBackend) worker(slot *atomic.Pointer[Request]) {
	defer b.workers.Done()
	for {
		r := b.next(slot)
		if r == nil {
			return
		}
		n, errno := b.run(r)
		slot.Store(nil)
		r.bkState.Store(tbIdle)
		b.done(r, n, errno) // last: r is its owner's again
	}
}

// perform runs r's system call, retrying when a signal interrupted it
// before any data moved. On a descriptor that cannot seek (a pipe, a
// socket, a terminal) pread and pwrite fail with ESPIPE; the transfer then
// uses read or write at the descriptor's position, as glibc's AIO does.
func perform(r *Request) (n int, errno syscall.Errno) {
	var err error
	for {
		n, err = syscallOf(r, false)
		if err == syscall.ESPIPE && (r.op == opRead || r.op == opWrite) {
			n, err = syscallOf(r, true)
		}
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return 0, errnoOf(err)
	}
	return n, 0
}

// syscallOf makes r's system call once; stream selects read/write over
// pread/pwrite.
func syscallOf(r *Request, stream bool) (int, error) {
	switch r.op {
	case opRead:
		if stream {
			return unix.Read(r.fd, r.buf)
		}
		return unix.Pread(r.fd, r.buf, r.off)
	case opWrite:
		if stream {
			return unix.Write(r.fd, r.buf)
		}
		return unix.Pwrite(r.fd, r.buf, r.off)
	case opFsync:
		return 0, unix.Fsync(r.fd)
	case opFdatasync:
		return 0, unix.Fdatasync(r.fd)
	}
	panic("aio: threadBackend: request with unknown op")
}

// cancel takes r off its queue if no worker has taken it yet, and then
// completes it with ECANCELED on the caller's goroutine.
func (b *threadBackend) cancel(r *Request) bool {
	b.mu.Lock()
	if r.bkState.Load() != tbQueued {
		b.mu.Unlock()
		return false
	}
	b.unqueue(r)
	r.bkState.Store(tbIdle)
	b.mu.Unlock()
	b.done(r, 0, syscall.ECANCELED)
	return true
}

// visit lists the queued and the running requests (see tracker). mu is
// held across both walks, so a request a worker takes meanwhile is seen
// once.
func (b *threadBackend) visit(fd int, only *Request, pick func(*Request)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for p := range b.queues {
		for r := b.queues[p].head; r != nil; r = r.bkNext {
			if isTarget(r, fd, only) {
				r.cancelRefs.Add(1)
				pick(r)
			}
		}
	}
	for w := range b.running {
		slot := &b.running[w].r
		if r := slot.Load(); r != nil && (only == nil || r == only) && pickHeld(slot, r, fd, only) {
			pick(r)
		}
	}
}

// close lets the workers drain the queues and waits for them to exit.
func (b *threadBackend) close() error {
	b.mu.Lock()
	b.closed = true
	b.work.Broadcast()
	b.mu.Unlock()
	b.workers.Wait()
	return nil
}
