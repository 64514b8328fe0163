package aio

import (
	"syscall"
)

// op is the opcode of a request as a backend sees it. The engine derives it
// from the call that submitted the request (Read, Write, Fsync, or a ListIO
// entry's Opcode) and stores it in Request.op before the backend sees r.
type op uint8

const (
	opRead      op = iota + 1 // pread(2) of r.buf at r.off
	opWrite                   // pwrite(2) of r.buf at r.off
	opFsync                   // fsync(2)
	opFdatasync               // fdatasync(2)
)

// A backend performs requests for an Engine.
//
// What a backend may read from a Request (the engine writes these before
// start and does not change them until done has been called for r):
//
//	r.fd   int     the descriptor
//	r.off  int64   the file offset (ignored by the kernel for O_APPEND files)
//	r.buf  []byte  the buffer; len(r.buf) is the transfer size; nil for fsync
//	r.op   op      what to do
//	r.prio int     the request's priority (POSIX aio_reqprio, 0..AIO_PRIO_DELTA_MAX,
//	               always in range; 0 for fsync; larger means less urgent): a
//	               backend serves the requests waiting for it most urgent first
//
// What a backend may use for its own per-request state (the engine never
// touches these; each is zero when r reaches start for the first time and
// whatever the backend left there on later submissions of the same r):
//
//	r.bk      any             anything (a pointer does not allocate)
//	r.bkNext  *Request        intrusive list links, e.g. a submission queue
//	r.bkPrev  *Request
//	r.bkState atomic.Int32    e.g. queued / running / finished, for cancel
//	r.ring    int32           e.g. the io_uring ring r was submitted on
//	r.tag     uint64          e.g. the user_data of r's SQE
//	r.pin     runtime.Pinner  pins r.buf while the kernel owns it
//
// Ordering is the engine's job, not the backend's: the engine holds back a
// request that must wait for others (an fsync behind earlier writes to its
// descriptor, SPEC C10; an O_APPEND write behind the previous one, C12) and
// passes it to start only when it may run. A backend may therefore run the
// requests of a batch, and of different batches, in any order and in
// parallel.
//
// The engine never holds a lock of its own while it calls start, cancel or
// close, so each of them may call done synchronously.
//
// Concurrency between the calls: the engine links a request on its
// descriptor's list before it calls start (or, for a read on a backend
// that is a tracker, Cancel finds it in the backend: see track.go), so a
// concurrent Cancel may call cancel(r) while start(batch containing r) is
// still running, or before it has begun. The backend must synchronise its per-request state between
// the two (the thread pool does it under its queue lock); reporting false
// for a request start has not reached yet is correct (the request then
// runs, and Cancel reports AIO_NOTCANCELED). Likewise cancel(r) may come
// after done was called for r (it completed meanwhile) and must then
// report false; r is not started again before that cancel call returns.
type backend interface {
	name() string // "uring" or "threads"
	// start begins every request of batch without waiting for its I/O (one
	// io_uring_enter for the whole batch where possible). For each request it calls
	// the engine's done function exactly once, possibly before start returns, from
	// any goroutine, holding no lock of its own. It returns an error only when
	// nothing of the batch was started (then done is not called for any).
	start(batch []*Request) error
	// cancel tries to stop r. It reports true when r will complete (done called)
	// with ECANCELED, false when r is already running or finished.
	cancel(r *Request) bool
	// close waits for in-flight requests to finish and releases the backend.
	close() error
}

// doneFunc is how a backend reports a request's result: n bytes (or 0), errno 0 on success.
//
// After done returns the request belongs to its owner again (who may
// resubmit it at once), so a backend must not touch r after calling done,
// except for fields it owns (the bk* fields, ring, tag, pin) that it has
// finished with before the call — in practice: unpin, then call done last.
type doneFunc func(r *Request, n int, errno syscall.Errno)

// Each backend has a constructor of this shape; cfg carries queue depth, ring count etc.
//
//	newUringBackend(cfg backendConfig, done doneFunc) (backend, error)   // in aio/uring.go (io_uring helper)
//	newThreadBackend(cfg backendConfig, done doneFunc) (backend, error)  // in aio/threads.go (aio helper)
type backendConfig struct {
	QueueDepth int // per ring / per worker pool
	Rings      int // io_uring: number of rings (default runtime.NumCPU())
	// RingThreads gives each ring's loop an OS thread (WithRingThreads).
	RingThreads bool
	Workers     int // threads: worker goroutines (default 2*QueueDepth or so)
	// Arena is the engine's buffer arena (WithBufferArena), nil without
	// one: a backend that can register buffers registers it, and may then
	// treat a request whose buf lies inside it specially (see arena.go).
	// It stays valid until after close.
	Arena *arena
	// MaxInFlight is the engine's in-flight limit (SPEC C6): the backend never
	// holds more than this many requests at once, so it may size rings and
	// completion queues from it.
	MaxInFlight int
}

// backendEntry describes one backend the package can build. Each backend's
// file registers its entry in init with registerBackend, so a backend whose
// file exists joins automatic selection and the test suite by itself.
//
// aio/uring.go registers itself with this one line:
//
//	func init() { registerBackend(backendEntry{name: "uring", rank: 0, available: uring.Available, new: newUringBackend}) }
type backendEntry struct {
	name string
	// rank orders automatic selection: the available backend of lowest rank
	// wins ("uring" 0, "threads" 100).
	rank int
	// available reports nil when the backend can run on this machine, or an
	// error naming why not (io_uring_disabled sysctl, seccomp EPERM, ENOSYS).
	available func() error
	new       func(cfg backendConfig, done doneFunc) (backend, error)
}

// registry holds every registered backend, by name. It is written only by
// init functions, so it needs no lock.
var registry = map[string]backendEntry{}

// registerBackend adds e to the registry. A name registered twice is a
// programming error.
func registerBackend(e backendEntry) {
	if _, dup := registry[e.name]; dup {
		panic("aio: backend registered twice: " + e.name)
	}
	registry[e.name] = e
}
