package aio

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Trying a transfer without blocking first (SPEC C18).
//
// preadv2 and pwritev2 with RWF_NOWAIT move the data at once when the
// page cache holds it (or has room for it) and fail with EAGAIN when they
// would have to wait for the disk. A File makes that try on the caller's
// goroutine, a system call like os.File's pread(2), and goes to the
// engine only when the kernel says it would block. The try is worth it
// only while it mostly succeeds, so each direction of each File keeps a
// probe: after probeFailures failed tries in a row the next pause calls
// skip the try and go straight to the engine; the pause doubles each
// time the tries fail again (up to maxPause calls) and halves with each
// success. A file that is not regular and an O_DIRECT file are never
// tried: their transfers go to the engine. A file the kernel cannot try
// (EOPNOTSUPP: a file system without RWF_NOWAIT, such as buffered writes
// on ext4) cannot say what would block, so after that first answer its
// calls make the plain pread(2) or pwrite(2) on the caller's goroutine,
// as os.File's do: on the engine they would cost more than os.File's
// (io_uring hands such a write to a kernel worker, at about half
// os.File's rate for buffered 4 KiB random writes on ext4).
//
// A try costs the kernel more than pread(2) does (preadv2 imports an
// iovec and goes through vfs_readv: about 5% of a cached 4 KiB read).
// So a probe whose tries keep succeeding turns hot: about hotWins ×
// winSample successes with no failure between them, counted by a sample
// of them so that the count is rarely written. A hot probe's calls make
// the plain pread(2) or pwrite(2) that os.File makes, on the caller's
// goroutine, and one call in hotSample, drawn at random, still makes the
// try; the first try that fails cools the probe. A call that misses the
// cache while the probe is hot waits in the kernel on its own thread, as
// os.File's call would.
//
// The probe is read by every call and written only when a try fails or
// a sampled success is counted, so on a file the page cache serves its
// line stays shared by every core.

const (
	probeFailures = 4    // failed tries in a row that start a pause
	minPause      = 16   // calls in the first pause
	maxPause      = 4096 // calls in the longest pause

	winSample = 16 // one success in winSample is counted toward hot
	hotWins   = 8  // counted successes in a row that make a probe hot
	hotSample = 16 // a hot probe's calls: one in hotSample still tries
)

// A probe decides whether a File's reads (or writes) are tried without
// blocking first.
type probe struct {
	// skip is how many calls are still to skip the try, or skipNever
	// (every call goes to the engine) or skipPlain (every call makes the
	// plain transfer).
	skip  atomic.Int32
	fails atomic.Int32 // tries failed in a row
	pause atomic.Int32 // the next pause, in calls (0: minPause)
	wins  atomic.Int32 // counted successes since the last failed try
	hot   atomic.Bool  // calls make the plain transfer (see above)
}

// The probe's settled states, in skip.
const (
	skipNever = math.MinInt32     // never tried: O_DIRECT, not a regular file
	skipPlain = math.MinInt32 + 1 // no RWF_NOWAIT on this file system
)

// How a call moves its data, as its probe decides (probe.how).
const (
	viaEngine = iota // the engine: the probe is pausing, or never tries
	viaTry           // a try without blocking (RWF_NOWAIT)
	viaPlain         // the plain pread(2) or pwrite(2): the probe is hot, or no try is possible
)

// how decides how this call moves its data.
func (p *probe) how() int {
	switch p.skip.Load() {
	case skipNever:
		return viaEngine // even if a success raced never() and made it hot
	case skipPlain:
		return viaPlain
	}
	if p.hot.Load() {
		if rand.Uint32()%hotSample != 0 {
			return viaPlain
		}
		return viaTry
	}
	if p.try() {
		return viaTry
	}
	return viaEngine
}

// try reports whether this call makes the try.
func (p *probe) try() bool {
	s := p.skip.Load()
	if s == 0 {
		return true
	}
	if s > 0 {
		p.skip.CompareAndSwap(s, s-1) // lost to another call: that one counted
	}
	return false
}

// succeeded records a try the kernel answered at once.
func (p *probe) succeeded() {
	if p.fails.Load() != 0 {
		p.fails.Store(0)
	}
	if n := p.pause.Load(); n > minPause {
		p.pause.CompareAndSwap(n, n/2)
	}
	if !p.hot.Load() && rand.Uint32()%winSample == 0 && p.wins.Add(1) >= hotWins {
		p.hot.Store(true)
	}
}

// failed records a try that would have blocked, and starts a pause after
// probeFailures of them in a row.
func (p *probe) failed() {
	if p.hot.Load() {
		p.hot.Store(false)
	}
	if p.wins.Load() != 0 {
		p.wins.Store(0)
	}
	if p.fails.Add(1) < probeFailures {
		return
	}
	p.fails.Store(0)
	n := max(p.pause.Load(), minPause)
	p.pause.Store(min(2*n, maxPause))
	p.skip.CompareAndSwap(0, n)
}

// never sends every call to the engine, for good.
func (p *probe) never() {
	p.hot.Store(false)
	p.skip.Store(skipNever)
}

// unsupported makes every call the plain transfer, for good: the file
// system has no RWF_NOWAIT.
func (p *probe) unsupported() { p.skip.Store(skipPlain) }

// tryRead reads p at off on the caller's goroutine, as the probe says:
// what the page cache holds of it, without blocking, or, the probe being
// hot, the whole of it with pread(2). It reports the bytes read (0 at the
// end of the file) and ok, or ok false when the read is for the engine:
// the probe said to skip it, or the kernel would have blocked, or gave an
// error the engine's read will give too.
func (f *File) tryRead(p []byte, off int64) (n int, ok bool) {
	switch f.rd.how() {
	case viaPlain:
		n, errno := plain(unix.SYS_PREAD64, f.fd, p, off)
		return n, errno == 0
	case viaTry:
		n, errno := nowait(unix.SYS_PREADV2, f.fd, p, off)
		return n, f.rd.settle(errno)
	}
	return 0, false
}

// tryWrite is tryRead for a write: it reports the bytes written, or ok
// false when the write is for the engine.
func (f *File) tryWrite(p []byte, off int64) (n int, ok bool) {
	switch f.wr.how() {
	case viaPlain:
		n, errno := plain(unix.SYS_PWRITE64, f.fd, p, off)
		return n, errno == 0 && n > 0
	case viaTry:
		n, errno := nowait(unix.SYS_PWRITEV2, f.fd, p, off)
		return n, f.wr.settle(errno) && n > 0
	}
	return 0, false
}

// settle records the outcome of a try and reports whether it answered.
func (p *probe) settle(errno syscall.Errno) bool {
	switch errno {
	case 0:
		p.succeeded()
		return true
	case syscall.EAGAIN:
		p.failed()
	case syscall.EOPNOTSUPP:
		p.unsupported()
	}
	return false
}

// nowait makes one preadv2 or pwritev2 (trap) of p at off with
// RWF_NOWAIT, from a single iovec on the stack: no allocation.
//
// It is an ordinary system call, the runtime told (entersyscall), as
// os.File's pread(2) is, though RWF_NOWAIT never waits for the disk. A
// raw one (RawSyscall6) costs 5-8% less CPU per cached 4 KiB read
// (BenchmarkSyscallRead4K), but keeps the goroutine's processor through
// the call: the File then runs on GOMAXPROCS threads while os.File's
// callers, handed new processors whenever the host preempts a thread
// inside pread, run on 20 or more, and on a machine other processes load
// that cost the File 10-30% of its reads per second beside os.File
// (docs/PERFORMANCE.md).
func nowait(trap uintptr, fd int, p []byte, off int64) (int, syscall.Errno) {
	iov := unix.Iovec{Base: unsafe.SliceData(p)}
	iov.SetLen(len(p))
	// On 64-bit Linux the offset is the low word alone (pos_h is 0).
	n, _, errno := unix.Syscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(&iov)), 1,
		uintptr(off), 0, unix.RWF_NOWAIT)
	if errno != 0 {
		return 0, errno
	}
	return int(n), 0
}

// plain makes one pread64 or pwrite64 (trap) of p at off, the call
// os.File makes.
func plain(trap uintptr, fd int, p []byte, off int64) (int, syscall.Errno) {
	n, _, errno := unix.Syscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))),
		uintptr(len(p)), uintptr(off), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), 0
}
