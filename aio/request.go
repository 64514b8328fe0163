package aio

import (
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"syscall"
)

// Opcodes of a ListIO entry (Request.Opcode), with Linux's (glibc's) values.
const (
	LIO_READ  = 0 // read Buf at Offset
	LIO_WRITE = 1 // write Buf at Offset
	LIO_NOP   = 2 // ignored by ListIO
)

// Modes of ListIO, with Linux's values.
const (
	LIO_WAIT   = 0 // block until every entry has completed
	LIO_NOWAIT = 1 // return once every entry is queued; notify when all complete
)

// Results of Cancel, with Linux's values.
const (
	AIO_CANCELED    = 0 // every targeted request was cancelled
	AIO_NOTCANCELED = 1 // at least one targeted request was running and goes on
	AIO_ALLDONE     = 2 // no targeted request was pending
)

// AIO_PRIO_DELTA_MAX is the largest Request.Priority accepted (Linux's value).
const AIO_PRIO_DELTA_MAX = 20

// Notification kinds (Sigevent.Notify). SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD
// and SIGEV_THREAD_ID have Linux's values; SIGEV_CHAN and SIGEV_INLINE are
// fasync's own.
const (
	SIGEV_SIGNAL    = 0     // queue signal Signo with Value to this process
	SIGEV_NONE      = 1     // no notification
	SIGEV_THREAD    = 2     // run Func on a goroutine of its own
	SIGEV_THREAD_ID = 4     // queue signal Signo with Value to thread ThreadID of this process
	SIGEV_CHAN      = 0x100 // send the request on Chan (fasync's Go analogue)
	SIGEV_INLINE    = 0x101 // call Func where the request completes (see Sigevent.Func)
)

// A Sigevent says how the completion of a request (or of a whole ListIO)
// is announced, after the result is visible to Error and Return.
//
// The zero value is SIGEV_SIGNAL with signal 0, the null signal, which
// announces nothing: a Request whose Notify is left alone is not notified.
type Sigevent struct {
	Notify int // SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD_ID, SIGEV_THREAD, SIGEV_CHAN or SIGEV_INLINE

	// Signo and Value are used by SIGEV_SIGNAL and SIGEV_THREAD_ID. The
	// signal is queued with si_code SI_ASYNCIO and Value as its sigval:
	// a signalfd reader finds it in ssi_ptr (and its low 32 bits in
	// ssi_int). Signo 0 sends nothing.
	Signo syscall.Signal
	Value uint64
	// ThreadID is the kernel thread id (gettid) SIGEV_THREAD_ID targets.
	ThreadID int

	// Func is called by SIGEV_THREAD on a new goroutine, never while the
	// engine holds a lock, with the completed request (nil for a ListIO
	// list notification).
	//
	// SIGEV_INLINE calls Func the same way but on the goroutine that
	// completed the request (an io_uring ring's loop, a thread-pool
	// worker), saving the goroutine and its wake-up: the way to keep a
	// queue full with the least work per request, as fio's loop does. Func
	// then holds up every completion behind it, so it must not block: it
	// may Return the request and submit it or others again (Read, Write,
	// Fsync, ListIO with LIO_NOWAIT), and must not wait (Suspend, ListIO
	// with LIO_WAIT, Cancel, Close, a blocking channel send). While a
	// Cancel or Close runs on the engine, and on an engine bound to a model
	// task (whose drivers complete requests on their own goroutines),
	// SIGEV_INLINE behaves as SIGEV_THREAD.
	Func func(r *Request)

	// Chan receives the completed request for SIGEV_CHAN (nil for a ListIO
	// list notification). If Chan has no room the send waits on a goroutine
	// of its own, so a slow reader delays no other request and loses nothing.
	Chan chan<- *Request
}

// A Request is one asynchronous I/O operation: POSIX's aiocb. The caller
// fills the exported fields and submits the request with Read, Write, Fsync
// or ListIO; from then until the request has completed (Error no longer
// reports EINPROGRESS) the caller must not change the request or touch Buf.
// After Return the request may be submitted again, which costs no
// allocation.
type Request struct {
	Fd       int      // descriptor (aio_fildes)
	Offset   int64    // file offset (aio_offset); ignored for O_APPEND files
	Buf      []byte   // data to write or room to read into (aio_buf)
	Nbytes   int      // transfer size (aio_nbytes); 0 means len(Buf)
	Priority int      // aio_reqprio: 0..AIO_PRIO_DELTA_MAX, larger is less urgent; Fsync ignores it
	Opcode   int      // LIO_READ, LIO_WRITE or LIO_NOP, used by ListIO only
	Notify   Sigevent // how completion is announced (aio_sigevent)

	// Submission snapshot, read by the backend (see backend.go). The engine
	// copies the exported fields here at submission, so a caller breaking
	// the rule above cannot change a request under a backend's feet.
	fd   int
	off  int64
	buf  []byte
	op   op
	prio int

	// state is the request's life-cycle stage (stateIdle ...). The result
	// fields n and errno are written before state is set to stateDone and
	// read only after state was seen as stateDone, so the atomic orders them.
	state atomic.Int32
	n     int
	errno syscall.Errno

	// Engine bookkeeping, guarded by the lock of the descriptor shard r.fd
	// belongs to (see engine.go).
	eng    *Engine
	sigev  Sigevent   // Notify as submitted
	group  *listGroup // the ListIO r was submitted by, or nil
	fdst   *fdState   // the descriptor state r is linked on while in flight
	fdNext *Request   // list of in-flight requests on r.fd, in submission order
	fdPrev *Request
	held   bool // held back by the engine, not yet given to the backend
	// readies says r's completion makes a goroutine runnable even when
	// its notification is SIGEV_INLINE: a File's call (its callback wakes
	// the caller). Set once, before r is first submitted.
	readies bool
	// linked says r goes on its descriptor's list; set at submission,
	// false for a read on a tracker backend (see track.go).
	linked bool
	append bool     // a write to an O_APPEND descriptor (SPEC C12)
	ready  *Request // chain of held requests just released (see fdState.release)
	// one lets the engine pass r to backend.start as a batch of one
	// without allocating a slice.
	one [1]*Request
	// cancelRefs counts Cancel calls that picked r as a target and have not
	// finished; a resubmission waits for them (see Engine.Cancel).
	cancelRefs atomic.Int32
	// pinned is r's own duplicate of r.fd plus one, or 0 (see pin.go).
	// Written at submission before r reaches a backend, and cleared by
	// publish once the backend is done with r.
	pinned int32

	// Backend-owned state (see backend.go).
	bk      any
	bkNext  *Request
	bkPrev  *Request
	bkState atomic.Int32
	ring    int32
	tag     uint64
	pin     runtime.Pinner
}

// Life-cycle stages of a Request (Request.state).
const (
	stateIdle     = iota // never submitted, or its result was taken by Return
	stateInFlight        // submitted, not yet complete
	stateDone            // complete; the result waits for Return
)

// Error reports the status of r (aio_error): EINPROGRESS while it is in
// flight, nil once it completed successfully, the errno it failed with
// (ECANCELED when cancelled), or EINVAL when r was never submitted or its
// result was already taken by Return (SPEC C2).
func (r *Request) Error() error {
	switch r.state.Load() {
	case stateInFlight:
		return syscall.EINPROGRESS
	case stateDone:
		if r.errno != 0 {
			return r.errno
		}
		return nil
	}
	return syscall.EINVAL
}

// Return takes the result of the completed request r (aio_return): the
// byte count, or -1 and the errno it failed with. The result can be taken
// once: afterwards r is idle again and a second Return gives EINVAL. On a
// request still in flight Return gives -1 and EINPROGRESS and leaves r
// alone; on one never submitted, -1 and EINVAL (SPEC C3).
func (r *Request) Return() (int, error) {
	for {
		switch r.state.Load() {
		case stateInFlight:
			return -1, syscall.EINPROGRESS
		case stateIdle:
			return -1, syscall.EINVAL
		}
		n, errno := r.n, r.errno
		// Two concurrent Returns: only the one that moves r to idle gets
		// the result; the other sees idle and reports EINVAL.
		if r.state.CompareAndSwap(stateDone, stateIdle) {
			if errno != 0 {
				return -1, errno
			}
			return n, nil
		}
	}
}

// maxTransfer is the most one read or write moves: Linux's MAX_RW_COUNT
// (INT_MAX rounded down to a page). read(2) and write(2) move at most this
// much and report a longer request as short; the engine does the same on
// every backend, which also keeps a transfer's length within the 32 bits
// of an io_uring SQE.
const maxTransfer = math.MaxInt32 &^ 4095

// size is the transfer size r asks for: Nbytes, or len(Buf) when Nbytes is 0.
func (r *Request) size() int {
	if r.Nbytes != 0 {
		return r.Nbytes
	}
	return len(r.Buf)
}

// check validates r for a submission as o, reading only the exported
// fields and asking fds about the descriptor, and reports whether a write
// goes to an O_APPEND descriptor. Every failure is an errno at submission
// with r untouched (SPEC C4, C5, C14). A field the call does not use is
// not looked at: Opcode for Read and Write, and everything but Fd and
// Notify for Fsync.
func (r *Request) check(o op, fds fdSpace) (appendMode bool, err error) {
	if err := r.Notify.check(); err != nil {
		return false, err
	}
	switch o {
	case opFsync, opFdatasync:
		// aio_fsync fails at once on a descriptor that is not open for
		// writing (EBADF) or a file without synchronized I/O (EINVAL).
		return false, fds.syncable(r.Fd)
	}
	if r.Buf == nil {
		return false, fmt.Errorf("aio: nil buffer: %w", syscall.EINVAL)
	}
	if r.Nbytes < 0 || r.Nbytes > len(r.Buf) {
		return false, fmt.Errorf("aio: Nbytes %d with a buffer of %d: %w", r.Nbytes, len(r.Buf), syscall.EINVAL)
	}
	if r.Priority < 0 || r.Priority > AIO_PRIO_DELTA_MAX {
		return false, fmt.Errorf("aio: priority %d: %w", r.Priority, syscall.EINVAL)
	}
	if r.Offset < 0 {
		return false, fmt.Errorf("aio: offset %d: %w", r.Offset, syscall.EINVAL)
	}
	if n := int64(min(r.size(), maxTransfer)); n > 0 && r.Offset > math.MaxInt64-n {
		// The offset maximum of every descriptor is the largest off_t.
		// A write that starts there or would end past it is EFBIG (POSIX
		// aio_write); a read is EINVAL, as pread(2) gives for it.
		if o == opWrite {
			return false, fmt.Errorf("aio: write of %d bytes at offset %d: %w", n, r.Offset, syscall.EFBIG)
		}
		return false, fmt.Errorf("aio: read of %d bytes at offset %d: %w", n, r.Offset, syscall.EINVAL)
	}
	// A descriptor that is not open is reported by the request itself
	// (EBADF from Error), for writes as for reads; see doc.go.
	return o == opWrite && fds.appends(r.Fd), nil
}

// prepare fills r's submission snapshot. r is claimed by the caller and
// not yet visible to any backend.
func (r *Request) prepare(e *Engine, o op, appendMode bool, g *listGroup) {
	if r.eng != e {
		// Written only when it changes: Cancel reads r.eng without a lock
		// to tell another engine's request from ours, and a resubmission
		// to the same engine must not race with that read.
		r.eng = e
	}
	r.fd = r.Fd
	if !kernelFd(r.fd) {
		r.fd = -1 // never truncated to another descriptor: EBADF from the kernel
	}
	r.off = r.Offset
	r.op = o
	r.prio = 0 // aio_fsync ignores aio_reqprio (C14)
	if o == opRead || o == opWrite {
		r.prio = r.Priority
	}
	r.append = appendMode
	r.sigev = r.Notify
	r.group = g
	r.linked = o != opRead || e.trk == nil
	r.buf = nil
	if o == opRead || o == opWrite {
		r.buf = r.Buf[:min(r.size(), maxTransfer)]
	}
}
