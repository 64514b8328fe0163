package aio

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrClosed is returned by submissions to an Engine after Close. It wraps
// EINVAL, so errors.Is(err, syscall.EINVAL) holds.
var ErrClosed = fmt.Errorf("aio: engine closed: %w", syscall.EINVAL)

// An Engine queues requests and hands them to a backend: io_uring when the
// kernel allows it, else Linux's native AIO, else a pool of worker
// goroutines. Its methods are
// safe for concurrent use. Create one with New; the package-level functions
// use a default engine created on first use.
//
// Life of a request: submission validates it (SPEC C5), reserves a place
// under the in-flight limit (C6), links it on its descriptor's list in
// submission order, and starts it on the backend unless an ordering rule
// holds it back (C10, C12). Completion unlinks it, starts whatever it was
// holding back, publishes the result (C2, C3), wakes Suspend and ListIO
// waiters (C7, C9), and then notifies (C11) with no engine lock held.
type Engine struct {
	bk  backend
	trk tracker // bk, when it can list what it holds (reads then skip the descriptor lists), else nil
	// arena is the WithBufferArena memory, or nil. It is never freed: the
	// collector takes it once neither the engine nor a buffer refers to it.
	arena *arena
	fds   fdSpace // where descriptors live: the process, or a model task
	log   *slog.Logger
	why   string   // why automatic selection passed over the backends it preferred (BackendReason)
	done  doneFunc // e.complete, bound once so backends get it without allocating
	max   int64
	// closed is set once by Close; a submission re-checks it after
	// reserving, so Close sees every request it must wait for.
	closed atomic.Bool

	// inflight counts submitted requests that have not completed; it never
	// exceeds max (SPEC C6). Every submission and completion writes it, so
	// it has a cache line of its own: next to the fields above, read by
	// every submission, it made each of those reads a cache miss.
	_        [64]byte
	inflight atomic.Int64
	// roomWaiters counts the File calls waiting for room under max (see
	// room.go): release reads it right after writing inflight, on the
	// same line.
	roomWaiters atomic.Int64
	_           [48]byte

	shards [fdShards]fdShard

	// cancelMu is held by Cancel and Close for their whole run; see Cancel.
	cancelMu sync.Mutex
	// cancelling counts Cancel and Close calls under way (taken before
	// cancelMu): SIGEV_INLINE callbacks run on goroutines of their own
	// meanwhile, because a completion may then come from a Cancel holding
	// cancelMu, or from a ring loop that Cancel waits for.
	cancelling atomic.Int32
	// inlineOK says completions come from the backend's own goroutines,
	// holding nothing (io_uring, thread pool; not a model task's drivers).
	inlineOK bool

	// idleMu and idle let Close wait for inflight to reach zero.
	idleMu sync.Mutex
	idle   sync.Cond

	// roomMu guards the list of File calls waiting for room under the
	// in-flight limit, oldest first (see room.go).
	roomMu             sync.Mutex
	roomHead, roomTail *fileCall
}

// New creates an Engine. Without options it picks the backend
// automatically (io_uring when available, else Linux's native AIO, else
// threads; the reasons are logged at debug level and BackendReason
// gives them), a queue depth of 32 and an in-flight limit of
// 65536 requests.
func New(opts ...Option) (*Engine, error) {
	c := config{
		bc:  backendConfig{QueueDepth: 32, MaxInFlight: 1 << 16},
		log: slog.Default(),
	}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	e := &Engine{fds: hostFds{}, log: c.log, max: int64(c.bc.MaxInFlight)}
	if c.task != nil {
		e.fds = taskFds{c.task}
	}
	e.done = e.complete
	e.idle.L = &e.idleMu
	if c.arena > 0 {
		e.arena = newArena(c.arena)
		c.bc.Arena = e.arena
	}
	bk, err := selectBackend(&c, e.done)
	if err != nil {
		e.unpinArena()
		return nil, err
	}
	e.bk = bk
	e.why = c.passedOver
	e.trk, _ = bk.(tracker)
	e.inlineOK = c.task == nil
	return e, nil
}

// Backend reports the name of the engine's backend: "uring", "linuxaio",
// "threads", or "model" for an engine bound to a model task (WithTask).
// BackendReason says why automatic selection did not choose one it
// prefers.
func (e *Engine) Backend() string { return e.bk.name() }

// BackendReason reports why automatic selection passed over the backends
// it prefers to the engine's, each with the errno that refused it, e.g.
// "uring refused: EPERM" where a seccomp filter refuses io_uring_setup
// (the full reasons are logged at debug level). It is empty when the
// engine has its first choice or a backend forced with WithBackend.
func (e *Engine) BackendReason() string { return e.why }

// InFlight reports how many submitted requests have not completed yet.
func (e *Engine) InFlight() int { return int(e.inflight.Load()) }

// Read queues r to read r.Buf from r.Fd at r.Offset (aio_read). It returns
// as soon as the request is queued (SPEC C1).
func (e *Engine) Read(r *Request) error { return e.submit(r, opRead, nil) }

// Write queues r to write r.Buf to r.Fd at r.Offset (aio_write); on a
// descriptor opened O_APPEND the data is appended, in submission order
// (SPEC C1, C12).
func (e *Engine) Write(r *Request) error { return e.submit(r, opWrite, nil) }

// Fsync queues r to flush r.Fd (aio_fsync): op is O_SYNC for fsync(2) or
// O_DSYNC for fdatasync(2); anything else is EINVAL. The request completes
// after every write to r.Fd submitted before it (SPEC C10). A descriptor
// that is not open, or not open for writing, fails at once with EBADF
// (C4, C14); a pipe, FIFO or socket with EINVAL (C14). Only r.Fd and
// r.Notify are read: Priority, Opcode, Offset and the buffer are ignored.
func (e *Engine) Fsync(op int, r *Request) error {
	switch op {
	case unix.O_SYNC:
		return e.submit(r, opFsync, nil)
	case unix.O_DSYNC:
		return e.submit(r, opFdatasync, nil)
	}
	return syscall.EINVAL
}

// Error reports r's status; see Request.Error.
func (e *Engine) Error(r *Request) error { return r.Error() }

// Return takes r's result; see Request.Return.
func (e *Engine) Return(r *Request) (int, error) { return r.Return() }

// submit validates r, claims it and starts it (or holds it back).
func (e *Engine) submit(r *Request, o op, g *listGroup) error {
	app, err := r.check(o, e.fds)
	if err != nil {
		return err
	}
	return e.submitChecked(r, o, app, g)
}

// submitChecked is submit for a request already known to be valid, with
// appendMode saying whether a write goes to an O_APPEND descriptor.
func (e *Engine) submitChecked(r *Request, o op, appendMode bool, g *listGroup) error {
	prev, err := e.claim(r)
	if err != nil {
		return err
	}
	r.prepare(e, o, appendMode, g)
	if e.link(r) {
		return nil
	}
	r.one[0] = r
	if err := e.bk.start(r.one[:]); err != nil {
		e.unclaim(r, prev)
		return err
	}
	return nil
}

// link puts r on its descriptor's list, if it goes there, and reports
// whether r is held back.
func (e *Engine) link(r *Request) (held bool) {
	if !r.linked {
		return false
	}
	s := e.shard(r.fd)
	s.mu.Lock()
	held = s.link(r)
	if held && e.inlineOK {
		// Under the lock: a completion cannot start r before it has
		// its own reference to the file (pin.go). Model descriptors
		// (inlineOK false) are not the process's.
		r.pinFd()
	}
	s.mu.Unlock()
	return held
}

// unlink takes r off its descriptor's list, if it was there, and returns
// the held requests that may start now.
func (e *Engine) unlink(r *Request) (ready *Request) {
	if !r.linked {
		return nil
	}
	s := e.shard(r.fd)
	s.mu.Lock()
	ready = s.unlink(r)
	s.mu.Unlock()
	return ready
}

// claim moves r into flight and reserves its place under the in-flight
// limit. It returns r's previous state, for unclaim. On failure r is left
// as it was and nothing is reserved.
func (e *Engine) claim(r *Request) (prev int32, err error) {
	prev, err = r.claimState()
	if err != nil {
		return prev, err
	}
	if err := e.reserve(1); err != nil {
		r.state.Store(prev)
		return prev, err
	}
	return prev, nil
}

// claimState moves r from idle or done into flight and returns the state
// it left. A request already in flight is EINVAL: it is in use.
func (r *Request) claimState() (prev int32, err error) {
	if r.cancelRefs.Load() != 0 {
		// A Cancel that picked r in an earlier life is still running; let
		// it finish so it cannot touch this submission.
		old := r.eng
		old.cancelMu.Lock()
		//lint:ignore SA2001 taking the lock is the wait for that Cancel
		old.cancelMu.Unlock()
	}
	prev = r.state.Load()
	if prev == stateInFlight || !r.state.CompareAndSwap(prev, stateInFlight) {
		return prev, fmt.Errorf("aio: request already in flight: %w", syscall.EINVAL)
	}
	return prev, nil
}

// reserve takes n places under the in-flight limit: EAGAIN when they are
// not all free (SPEC C6), ErrClosed after Close. On failure nothing is
// reserved.
func (e *Engine) reserve(n int64) error {
	// A compare-and-swap, not an add undone on failure: a refused
	// submission never holds a place, even for a moment, so it cannot
	// make a room waiter's submission fail (see room.go).
	for {
		cur := e.inflight.Load()
		if cur+n > e.max {
			return syscall.EAGAIN
		}
		if e.inflight.CompareAndSwap(cur, cur+n) {
			break
		}
	}
	if e.closed.Load() {
		e.release(n)
		return ErrClosed
	}
	return nil
}

// reserveUpTo takes as many of n places under the in-flight limit as are
// free and reports how many it took: ListIO queues what fits (SPEC C14).
// After Close it takes none and reports ErrClosed.
func (e *Engine) reserveUpTo(n int64) (int64, error) {
	var k int64
	for {
		cur := e.inflight.Load()
		k = min(n, e.max-cur)
		if k <= 0 {
			k = 0
			break
		}
		if e.inflight.CompareAndSwap(cur, cur+k) {
			break
		}
	}
	if e.closed.Load() {
		e.release(k)
		return 0, ErrClosed
	}
	return k, nil
}

// release gives back n places under the in-flight limit and wakes Close
// when the last request has gone.
func (e *Engine) release(n int64) {
	left := e.inflight.Add(-n)
	if e.roomWaiters.Load() != 0 {
		e.wakeRoom(n)
	}
	if left == 0 && e.closed.Load() {
		e.idleMu.Lock()
		e.idle.Broadcast()
		e.idleMu.Unlock()
	}
}

// unclaim undoes a submission whose backend start failed: r leaves its
// descriptor's list and returns to its previous state, as if never submitted.
func (e *Engine) unclaim(r *Request, prev int32) {
	r.unpinFd()
	ready := e.unlink(r)
	r.group = nil
	e.release(1)
	r.state.Store(prev)
	e.startReady(ready)
}

// inline reports whether a SIGEV_INLINE callback may run on the calling
// (completing) goroutine now.
func (e *Engine) inline() bool { return e.inlineOK && e.cancelling.Load() == 0 }

// complete is the doneFunc every backend reports to.
func (e *Engine) complete(r *Request, n int, errno syscall.Errno) {
	ready := e.unlink(r)
	e.publish(r, n, errno)
	e.startReady(ready)
}

// publish makes the result of r, already off its descriptor's list,
// visible and then notifies, with no engine lock held.
func (e *Engine) publish(r *Request, n int, errno syscall.Errno) {
	// Take what the notification needs before publishing: once r is done
	// its owner may Return and resubmit it at once.
	ev, g := r.sigev, r.group
	r.unpinFd()
	r.n, r.errno, r.group = n, errno, nil
	// Give the place back before publishing, so an owner who sees r done
	// may submit again without meeting the limit (SPEC C6).
	e.release(1)
	r.state.Store(stateDone)
	wakeSuspended()
	inline := e.inline()
	notify(e.log, r, ev.Notify, ev.Signo, ev.Value, ev.ThreadID, ev.Func, ev.Chan, inline)
	if g != nil {
		g.finish(errno, inline)
	}
}

// startReady starts the requests an unlink released. A start failure
// completes the request with the failure's errno: its submission already
// succeeded, so the error can only be reported through the request.
func (e *Engine) startReady(ready *Request) {
	for r := ready; r != nil; {
		next := r.ready
		r.ready = nil
		r.one[0] = r
		if err := e.bk.start(r.one[:]); err != nil {
			e.complete(r, 0, errnoOf(err))
		}
		r = next
	}
}

// errnoOf extracts the errno of err, or EIO when it carries none.
func errnoOf(err error) syscall.Errno {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return syscall.EIO
}

// Close stops the engine: later submissions fail with ErrClosed, requests
// still queued, and those waiting on a descriptor that may never become
// ready (an empty pipe, a full socket), are cancelled (each completes
// with ECANCELED and is notified), requests whose transfer is under way
// are waited for, and the backend is released. Close is idempotent.
func (e *Engine) Close() error {
	if !e.closed.CompareAndSwap(false, true) {
		return nil
	}
	e.cancelling.Add(1)
	defer e.cancelling.Add(-1)
	e.cancelMu.Lock()
	for i := range e.shards {
		for _, fd := range e.shards[i].descriptors() {
			e.cancelLocked(fd, nil)
		}
	}
	if e.trk != nil {
		e.cancelLocked(-1, nil) // the reads the backend holds, on any descriptor
	}
	if in, ok := e.bk.(interrupter); ok {
		in.interrupt() // what the pass could not see or stop
	}
	e.cancelMu.Unlock()
	e.idleMu.Lock()
	for e.inflight.Load() != 0 {
		e.idle.Wait()
	}
	e.idleMu.Unlock()
	err := e.bk.close()
	e.unpinArena() // the rings that registered it are closed
	return err
}

// An interrupter is a backend that Close can tell to stop, after its
// cancel pass, whatever may still wait without bound: the requests the
// pass could not see (their submission was under way as Close began) and
// those still to reach the backend. The thread pool ends every stream
// wait with ECANCELED (see stream.go); io_uring cancels what its rings
// hold, and what reaches them afterwards (uringBackend.interrupt).
type interrupter interface{ interrupt() }

// unpinArena releases the arena's pin once no kernel registration refers
// to it: the buffers lent from it stay valid Go memory.
func (e *Engine) unpinArena() {
	if e.arena != nil {
		e.arena.pin.Unpin()
	}
}

// descriptors lists the descriptors with requests in flight on s.
func (s *fdShard) descriptors() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	fds := make([]int, 0, len(s.fds))
	for fd := range s.fds {
		fds = append(fds, fd)
	}
	return fds
}
