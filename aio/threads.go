package aio

import (
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
	tbIdle     = iota // not in this backend
	tbQueued          // on a queue, cancellable
	tbRunning         // taken by a worker
	tbStopping        // taken by a worker, which cancel asked to stop (see stream.go)
	tbBlocking        // in a stream call that cannot be stopped (see stream.go)
)

// threadBackend runs requests on a fixed pool of worker goroutines with
// pread(2), pwrite(2), fsync(2) and fdatasync(2). Any worker takes any
// request: unlike glibc there is no one-request-per-descriptor
// serialisation (the engine orders the few requests that need it, see
// fdState). Workers take the most urgent request first: one queue per
// priority level, 0 (most urgent) to AIO_PRIO_DELTA_MAX, FIFO within a
// level.
//
// A transfer on a descriptor that cannot seek may wait without bound;
// the host pool (interruptible) makes it wait in ppoll(2), where cancel
// and Close can stop it (see stream.go).
type threadBackend struct {
	done doneFunc
	run  func(r *Request, w *workerSlot) (n int, errno syscall.Errno) // performs r: perform, or a model task's call
	// interruptible says run waits for streams where cancel can stop it
	// (tbStopping, the worker's eventfd), so cancel may stop a running
	// read or write.
	interruptible bool
	// stopping is set by interrupt (Close): every stream wait, current
	// or to come, ends with ECANCELED.
	stopping atomic.Bool

	// mu guards everything below and, for queued requests, their bkNext,
	// bkPrev and the tbQueued stage (workers and cancel flip bkState under mu).
	mu     sync.Mutex
	work   sync.Cond // signalled when a request is queued or the pool closes
	queue  prioQueue // requests no worker has taken yet
	queued int       // how many
	idle   int       // workers waiting on work
	closed bool

	// spare is idle, less the idle workers whose places File calls have
	// borrowed to make their system calls themselves (borrow), less
	// queued: the places borrow may still take. A lent worker stays
	// asleep, so running workers and borrowers together are never more
	// than the pool's workers. It changes with idle and queued under mu,
	// and with borrow and giveBack without it.
	spare atomic.Int64

	// slots holds, per worker, the request it is performing (see
	// workerSlot).
	slots []workerSlot

	workers sync.WaitGroup
}

// A workerSlot is what one worker shares with the rest of the pool,
// alone on its cache line.
type workerSlot struct {
	// r is the request the worker is performing, for visit (see
	// tracker): stored under mu when the worker takes the request,
	// emptied by the worker before done, without mu.
	r atomic.Pointer[Request]
	// wake is the worker's eventfd plus one, 0 until the worker first
	// waits on a stream. The worker creates it; cancel and interrupt
	// write it under the pool's mu, and close closes it under mu.
	wake atomic.Int32
	pool *threadBackend
	_    [64 - 24]byte
}

func newThreadBackend(cfg backendConfig, done doneFunc) (backend, error) {
	b := newPool(cfg, done, perform)
	b.interruptible = true
	return b, nil
}

// newPool starts a worker pool that performs each request with run.
func newPool(cfg backendConfig, done doneFunc, run func(*Request, *workerSlot) (int, syscall.Errno)) *threadBackend {
	n := cfg.Workers
	if n <= 0 {
		n = 1
	}
	b := &threadBackend{done: done, run: run, slots: make([]workerSlot, n)}
	b.work.L = &b.mu
	b.workers.Add(n)
	for w := range n {
		b.slots[w].pool = b
		go b.worker(&b.slots[w])
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
		if b.push(r) < 0 && b.interruptible {
			// No idle worker is left to take r at once: it waits in
			// the queue, keeping its own reference to the file
			// (pin.go). No worker takes it before mu is let go.
			r.pinFd()
		}
	}
	wake := min(len(batch), b.free())
	for range wake {
		b.work.Signal()
	}
	b.mu.Unlock()
	return nil
}

// borrow takes the place of an idle worker that no queued request is
// waiting for, so that a File call makes its system call on its own
// goroutine instead of handing it to that worker and waiting to be woken
// (two goroutine hand-offs, measured in docs/PERFORMANCE.md). The
// borrowed place counts as a busy worker until giveBack, and the worker
// does not run meanwhile (next), so the pool's worker count still bounds
// the threads that wait in the kernel for it. It reports false, and the
// call goes to the queue, when no such place is free; once the pool is
// closed, none is (its workers have left).
func (b *threadBackend) borrow() bool {
	for {
		n := b.spare.Load()
		if n <= 0 {
			return false
		}
		if b.spare.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// giveBack returns a place borrow took and, if a queued request waits
// for it (no place is spare), wakes a worker for that request.
func (b *threadBackend) giveBack() {
	if b.spare.Add(1) > 0 {
		return
	}
	b.mu.Lock()
	if b.queued > 0 {
		b.work.Signal()
	}
	b.mu.Unlock()
}

// free is how many idle workers are not lent (see spare): those a queued
// request may wake. b.mu is held.
func (b *threadBackend) free() int { return int(b.spare.Load()) + b.queued }

// enqueue puts r, in its tbQueued stage, on its priority's queue, and
// returns spare after it: negative when no idle worker was left for r
// beyond the queued requests and the lent places. b.mu is held.
func (b *threadBackend) enqueue(r *Request) int64 {
	b.queue.push(r)
	b.queued++
	return b.spare.Add(-1)
}

// dequeue takes r off its queue. b.mu is held.
func (b *threadBackend) dequeue(r *Request) {
	b.queue.remove(r)
	b.queued--
	b.spare.Add(1)
}

// push queues r at its priority and returns spare after it (enqueue).
// b.mu is held.
func (b *threadBackend) push(r *Request) int64 {
	r.bkState.Store(tbQueued)
	return b.enqueue(r)
}

// next waits for a request and takes the most urgent one, recording it
// in the worker's slot. It returns nil when the pool is closed and every
// queue is empty.
//
// A worker takes a request only while the idle workers still cover the
// lent places (free() >= 0, counted without itself): a signal meant for
// another worker, or one sent while that worker was already on its way,
// may wake a worker whose place a File call holds, and that worker goes
// back to sleep until the call gives the place back (giveBack signals).
// A closed pool has no place lent (its engine's Close waited for every
// call) and drains its queue.
func (b *threadBackend) next(slot *workerSlot) *Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	var r *Request
	for {
		r = b.queue.first()
		if r != nil && (b.free() >= 0 || b.closed) {
			break
		}
		if r == nil && b.closed {
			return nil
		}
		b.idle++
		b.spare.Add(1)
		b.work.Wait()
		b.idle--
		b.spare.Add(-1)
	}
	b.dequeue(r)
	r.bkState.Store(tbRunning)
	slot.r.Store(r)
	return r
}

func (b *threadBackend) worker(slot *workerSlot) {
	defer b.workers.Done()
	for {
		r := b.next(slot)
		if r == nil {
			return
		}
		n, errno := b.run(r, slot)
		slot.r.Store(nil)
		r.bkState.Store(tbIdle)
		b.done(r, n, errno) // last: r is its owner's again
	}
}

// perform runs r's system call, retrying when a signal interrupted it
// before any data moved. On a descriptor that cannot seek (a pipe, a
// socket, a terminal) pread and pwrite fail with ESPIPE; the transfer then
// goes at the descriptor's position, as glibc's AIO does, and waits where
// cancel can stop it (stream).
func perform(r *Request, w *workerSlot) (n int, errno syscall.Errno) {
	var err error
	for {
		n, err = syscallOf(r)
		if err == syscall.ESPIPE && (r.op == opRead || r.op == opWrite) {
			return stream(r, w)
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

// syscallOf makes r's system call once.
func syscallOf(r *Request) (int, error) { return opCall(r.op, r.ioFd(), r.buf, r.off) }

// opCall makes o's system call on fd once: pread(2) or pwrite(2) of p at
// off, fsync(2) or fdatasync(2).
func opCall(o op, fd int, p []byte, off int64) (int, error) {
	switch o {
	case opRead:
		return unix.Pread(fd, p, off)
	case opWrite:
		return unix.Pwrite(fd, p, off)
	case opFsync:
		return 0, unix.Fsync(fd)
	case opFdatasync:
		return 0, unix.Fdatasync(fd)
	}
	panic("aio: threadBackend: request with unknown op")
}

// cancel takes r off its queue if no worker has taken it yet, and then
// completes it with ECANCELED on the caller's goroutine. A read or write
// a worker has taken is stopped unless it has moved data or is in a
// system call that may block (see stream.go): cancel marks it, wakes the
// worker's wait, and waits for the worker's verdict, which is prompt.
func (b *threadBackend) cancel(r *Request) bool {
	b.mu.Lock()
	switch r.bkState.Load() {
	case tbQueued:
		b.dequeue(r)
		r.bkState.Store(tbIdle)
		b.mu.Unlock()
		b.done(r, 0, syscall.ECANCELED)
		return true
	case tbRunning:
		if b.interruptible && b.stop(r) {
			b.mu.Unlock()
			// r's next life waits for this Cancel (cancelRefs), so its
			// result is still this life's once it is done.
			waitDone(r)
			return r.errno == syscall.ECANCELED
		}
	}
	b.mu.Unlock()
	return false
}

// stop marks r, which a worker has taken, to be stopped (tbStopping) and
// wakes that worker's stream wait. It reports whether it marked r: not
// when r is in a stream call that cannot be stopped, or finished. b.mu is
// held, which keeps the eventfds open.
func (b *threadBackend) stop(r *Request) bool {
	if r.op != opRead && r.op != opWrite || !r.bkState.CompareAndSwap(tbRunning, tbStopping) {
		return false
	}
	for i := range b.slots {
		if w := &b.slots[i]; w.r.Load() == r {
			w.kick()
			break
		}
	}
	return true
}

// interrupt makes every stream wait end with ECANCELED, those under way
// and those still to come (see interrupter): Close uses it once it has
// cancelled what it could, so no request waits on a descriptor that may
// never become ready.
func (b *threadBackend) interrupt() {
	b.stopping.Store(true)
	b.mu.Lock()
	for i := range b.slots {
		b.slots[i].kick()
	}
	b.mu.Unlock()
}

// visit lists the queued and the running requests (see tracker). mu is
// held across both walks, so a request a worker takes meanwhile is seen
// once.
func (b *threadBackend) visit(fd int, only *Request, pick func(*Request)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queue.each(func(r *Request) {
		if isTarget(r, fd, only) {
			r.cancelRefs.Add(1)
			pick(r)
		}
	})
	for w := range b.slots {
		slot := &b.slots[w].r
		if r := slot.Load(); r != nil && (only == nil || r == only) && pickHeld(slot, r, fd, only) {
			pick(r)
		}
	}
}

// close lets the workers drain the queues, waits for them to exit and
// closes their eventfds.
func (b *threadBackend) close() error {
	b.mu.Lock()
	b.closed = true
	b.work.Broadcast()
	b.mu.Unlock()
	b.workers.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.slots {
		if v := b.slots[i].wake.Swap(0); v != 0 {
			unix.Close(int(v - 1))
		}
	}
	return nil
}
