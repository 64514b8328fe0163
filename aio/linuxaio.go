package aio

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/linuxaio"
)

func init() {
	registerBackend(backendEntry{name: "linuxaio", rank: 50, available: linuxAIOAvailable, new: newLinuxAIOBackend})
}

// Stages of a request in the linuxaio backend (Request.bkState), beyond
// the thread pool's tb* stages, which its requests take in the pool.
const (
	laPendingNowait = 16 + iota // waiting for a slot or a submitter; to be tried without waiting
	laPendingWait               // waiting for a slot or a submitter; may wait in the kernel
	laNowait                    // in the kernel with RWF_NOWAIT: its completion is prompt
	laStopping                  // laNowait, and cancel asked for it to stop
	laKernel                    // in the kernel, may wait there (an O_DIRECT transfer, an fsync)
)

// linuxAIOBackend performs requests with Linux's native AIO: one context
// (io_setup), requests handed to the kernel with io_submit, several per
// call when they arrive together, completions reaped with io_getevents by
// a goroutine that waits in the netpoller on an eventfd the kernel
// signals (IOCB_FLAG_RESFD), holding no OS thread meanwhile.
//
// Native AIO is asynchronous only where the kernel can be: O_DIRECT
// transfers on regular files and block devices, and fsync (run on a
// kernel worker, Linux 4.18 and later). Elsewhere io_submit itself
// blocks, so every read and write is first tried without waiting
// (RWF_NOWAIT in aio_rw_flags), as Seastar does: a page-cache hit is
// copied at once, and whatever would have to wait (a page-cache miss, an
// empty pipe, a file system without NOWAIT support) completes with
// EAGAIN or EOPNOTSUPP and goes on to a thread pool, unless it is an
// O_DIRECT transfer on a regular file or block device, which is submitted
// again allowed to wait. Streams thus end up on the pool, which can stop
// a wait on them (stream.go); a transfer that moved part of its data
// without waiting finishes on the pool too (see laPerform).
//
// A request in the kernel holds a slot: its iocb (the kernel writes
// aio_key into it and io_cancel reads it back) and its entry in reqs,
// which aio_data names and visit reads.
type linuxAIOBackend struct {
	done doneFunc
	ctx  uintptr  // the AIO context
	efd  *os.File // non-blocking eventfd the kernel signals per completion
	efdN uint32   // its descriptor, for aio_resfd
	pool *threadBackend
	// fsync says IOCB_CMD_FSYNC and IOCB_CMD_FDSYNC work here (probed).
	fsync bool

	cbs    []linuxaio.Iocb           // by slot
	reqs   []atomic.Pointer[Request] // by slot: the request holding it, or nil
	reaped chan struct{}             // closed when the reaper exits
	stats  laStats

	// reapMu is held by whoever takes completion events: the reaper
	// goroutine, or a submitter just back from io_submit (reapInline).
	// It guards evs, seen and the ring's head.
	reapMu sync.Mutex
	ring   *linuxaio.Ring     // the completion ring read in user space, or nil: io_getevents
	evs    []linuxaio.IoEvent // events taken
	seen   []laVerdict        // one per event

	// mu guards free, pending and deferring, slot assignment and
	// release, and moves of a request between stages other than laNowait
	// to laStopping (cancel's CAS) and a completion's return to idle.
	// Lock order: mu, then the pool's mu.
	mu      sync.Mutex
	free    []int32   // free slots
	pending prioQueue // requests waiting for a slot or a submitter, most urgent first
	// deferring counts batches of completions being finished (finish):
	// meanwhile submissions wait on pending, and the batch's end submits
	// them together.
	deferring int
	// active counts goroutines using the context (submitting, reaping);
	// close sets dead and waits on idle until none is, before the
	// context and its ring are unmapped.
	active int
	dead   bool
	idle   sync.Cond
	// arrays are io_submit's pointer arrays not in use (iocbArray).
	arrays []*[laChunk]*linuxaio.Iocb
}

// laStats counts what the backend did, for tests and benchmarks.
type laStats struct {
	submits atomic.Int64 // io_submit calls
	iocbs   atomic.Int64 // requests the kernel took
	pooled  atomic.Int64 // requests handed on to the pool
	retried atomic.Int64 // O_DIRECT transfers submitted again allowed to wait
}

// laSlotsMax bounds the requests one context holds (its queue depth);
// more wait on pending.
const laSlotsMax = 4096

// laEvents is how many completions one io_getevents takes at most.
const laEvents = 256

var (
	linuxAIOMu    sync.Mutex
	linuxAIOKnown bool  // the probe gave a lasting answer
	linuxAIOErr   error // its answer
	linuxAIOFsync bool
)

// linuxAIOAvailable reports whether native AIO can be used here. Its
// answer is kept for the process, because destroying the probe's
// context waits for an RCU grace period (about 30 ms here), except
// EAGAIN (fs.aio-max-nr requests allotted system-wide), which is probed
// again next time.
func linuxAIOAvailable() error {
	linuxAIOMu.Lock()
	defer linuxAIOMu.Unlock()
	if !linuxAIOKnown {
		linuxAIOErr = linuxaio.Available()
		linuxAIOKnown = !errors.Is(linuxAIOErr, syscall.EAGAIN)
	}
	return linuxAIOErr
}

func newLinuxAIOBackend(cfg backendConfig, done doneFunc) (backend, error) {
	n := min(max(cfg.QueueDepth, 1), laSlotsMax)
	if cfg.MaxInFlight > 0 {
		n = min(n, cfg.MaxInFlight)
	}
	ctx, err := linuxaio.Setup(n)
	if err != nil {
		return nil, fmt.Errorf("aio: linuxaio backend: %w", linuxaio.SetupError(err))
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		go linuxaio.Destroy(ctx)
		return nil, fmt.Errorf("aio: linuxaio backend: eventfd: %w", err)
	}
	b := &linuxAIOBackend{
		done: done, ctx: ctx, efdN: uint32(efd),
		efd:    os.NewFile(uintptr(efd), "linuxaio-eventfd"),
		cbs:    make([]linuxaio.Iocb, n),
		reqs:   make([]atomic.Pointer[Request], n),
		evs:    make([]linuxaio.IoEvent, min(n, laEvents)),
		seen:   make([]laVerdict, min(n, laEvents)),
		free:   make([]int32, n),
		reaped: make(chan struct{}),
		fsync:  probeFsync(ctx),
		ring:   linuxaio.RingOf(ctx),
	}
	b.idle.L = &b.mu
	for i := range b.free {
		b.free[i] = int32(n - 1 - i)
	}
	b.pool = newPool(cfg, done, laPerform)
	b.pool.interruptible = true
	go b.reap()
	return b, nil
}

// probeFsync reports whether the kernel takes IOCB_CMD_FSYNC (Linux
// 4.18): it syncs a memfd through ctx, whose answer is once per process.
func probeFsync(ctx uintptr) bool {
	fsyncProbe.Do(func() {
		fd, err := unix.MemfdCreate("aio-fsync-probe", unix.MFD_CLOEXEC)
		if err != nil {
			return
		}
		defer unix.Close(fd)
		cb := linuxaio.Iocb{Opcode: linuxaio.IOCB_CMD_FSYNC, Fildes: uint32(fd)}
		if n, _ := linuxaio.Submit(ctx, []*linuxaio.Iocb{&cb}); n != 1 {
			return // EINVAL: no such opcode
		}
		var ev [1]linuxaio.IoEvent
		for {
			k, errno := linuxaio.GeteventsWait(ctx, ev[:], unix.Timespec{Sec: 10})
			if errno == syscall.EINTR {
				continue
			}
			linuxAIOFsync = k == 1 && ev[0].Res == 0
			return
		}
	})
	return linuxAIOFsync
}

var fsyncProbe sync.Once

func (b *linuxAIOBackend) name() string { return "linuxaio" }

// start queues the batch's requests for the kernel (fsyncs go straight
// to the pool where the kernel has no IOCB_CMD_FSYNC) and submits them,
// with whatever else waits, unless a batch of completions is being
// finished: its end submits them (see finish). start never fails.
func (b *linuxAIOBackend) start(batch []*Request) error {
	b.mu.Lock()
	for _, r := range batch {
		r.ring = 0 // no bytes moved yet (see laPerform)
		switch {
		case r.op == opRead || r.op == opWrite:
			r.bkState.Store(laPendingNowait)
		case b.fsync:
			r.bkState.Store(laPendingWait)
		default:
			b.toPool(r)
			continue
		}
		if len(b.free) == 0 || b.deferring != 0 {
			r.pinFd() // it waits for a slot or for the batch's end (C1)
		}
		b.pending.push(r)
	}
	b.mu.Unlock()
	b.submitPending()
	return nil
}

// toPool hands r to the thread pool. b.mu is held.
func (b *linuxAIOBackend) toPool(r *Request) {
	b.stats.pooled.Add(1)
	p := b.pool
	p.mu.Lock()
	p.push(r)
	if p.free() > 0 {
		p.work.Signal()
	}
	p.mu.Unlock()
}

// laChunk is how many requests one io_submit takes at most.
const laChunk = 64

// submitPending hands pending requests to the kernel while slots are
// free, up to laChunk per io_submit, and takes the completions the
// kernel made inside the call (reapInline). Several goroutines may
// submit at once: a page-cache hit is copied inside io_submit, so
// serialising them would leave all but one core idle. Requests queued
// together (a ListIO, or those a batch of completions brought back) go
// in one call.
func (b *linuxAIOBackend) submitPending() {
	b.mu.Lock()
	if !b.enter() {
		b.mu.Unlock()
		return
	}
	for b.deferring == 0 && len(b.free) > 0 && b.pending.first() != nil {
		p := b.iocbArray()
		cbs := b.takePending(p[:0])
		b.mu.Unlock()
		b.submit(cbs)
		clear(cbs)
		b.reapInline()
		b.mu.Lock()
		b.arrays = append(b.arrays, p)
	}
	b.exit()
	b.mu.Unlock()
}

// iocbArray returns one of io_submit's pointer arrays, kept for reuse so
// that a submission allocates nothing: as many as goroutines have
// submitted at once. b.mu is held.
func (b *linuxAIOBackend) iocbArray() *[laChunk]*linuxaio.Iocb {
	if k := len(b.arrays); k > 0 {
		p := b.arrays[k-1]
		b.arrays = b.arrays[:k-1]
		return p
	}
	return new([laChunk]*linuxaio.Iocb)
}

// enter counts the caller among the context's users and reports true,
// or false once close has begun. b.mu is held.
func (b *linuxAIOBackend) enter() bool {
	if b.dead {
		return false
	}
	b.active++
	return true
}

// exit ends a use that enter counted. b.mu is held.
func (b *linuxAIOBackend) exit() {
	if b.active--; b.active == 0 && b.dead {
		b.idle.Broadcast()
	}
}

// takePending gives pending requests slots, most urgent first, fills
// their iocbs and appends them to cbs, up to its capacity. b.mu is held.
func (b *linuxAIOBackend) takePending(cbs []*linuxaio.Iocb) []*linuxaio.Iocb {
	for len(b.free) > 0 && len(cbs) < cap(cbs) {
		r := b.pending.first()
		if r == nil {
			break
		}
		b.pending.remove(r)
		slot := b.free[len(b.free)-1]
		b.free = b.free[:len(b.free)-1]
		r.tag = uint64(slot)
		b.reqs[slot].Store(r)
		cb := &b.cbs[slot]
		b.prep(cb, r, slot)
		cbs = append(cbs, cb)
	}
	return cbs
}

// prep fills cb for r and moves r into the kernel's stage. b.mu is held.
func (b *linuxAIOBackend) prep(cb *linuxaio.Iocb, r *Request, slot int32) {
	*cb = linuxaio.Iocb{Data: uint64(slot), Fildes: uint32(r.ioFd()), Flags: linuxaio.IOCB_FLAG_RESFD, Resfd: b.efdN}
	switch r.op {
	case opRead, opWrite:
		cb.Opcode = linuxaio.IOCB_CMD_PREAD
		if r.op == opWrite {
			cb.Opcode = linuxaio.IOCB_CMD_PWRITE
		}
		if len(r.buf) > 0 {
			p := unsafe.SliceData(r.buf)
			r.pin.Pin(p)
			cb.Buf = uint64(uintptr(unsafe.Pointer(p)))
			cb.Nbytes = uint64(len(r.buf))
		}
		cb.Offset = r.off
	case opFsync:
		cb.Opcode = linuxaio.IOCB_CMD_FSYNC
	case opFdatasync:
		cb.Opcode = linuxaio.IOCB_CMD_FDSYNC
	}
	if r.bkState.Load() == laPendingNowait {
		cb.SetRWFlags(unix.RWF_NOWAIT)
		r.bkState.Store(laNowait)
	} else {
		r.bkState.Store(laKernel)
	}
}

// submit hands cbs to the kernel. One the kernel refuses at once goes to
// the pool, which reports the errno a synchronous call gives (EBADF for a
// descriptor that is not open, EINVAL for a file without AIO).
func (b *linuxAIOBackend) submit(cbs []*linuxaio.Iocb) {
	for len(cbs) > 0 {
		n, errno := linuxaio.Submit(b.ctx, cbs)
		b.stats.submits.Add(1)
		switch {
		case n > 0:
			b.stats.iocbs.Add(int64(n))
			cbs = cbs[n:]
		case errno == syscall.EINTR:
		default:
			b.refused(int32(cbs[0].Data))
			cbs = cbs[1:]
		}
	}
}

// refused moves the request in slot, which the kernel did not take, to
// the pool, or completes it with ECANCELED if cancel asked it to stop.
func (b *linuxAIOBackend) refused(slot int32) {
	r := b.reqs[slot].Load()
	b.mu.Lock()
	stopped := !b.adopt(r)
	b.release(slot, r)
	b.mu.Unlock()
	if stopped {
		b.done(r, 0, syscall.ECANCELED)
	}
}

// adopt moves r from the kernel's stages to the pool's queue, unless
// cancel marked it to stop (laStopping): then r is idle and adopt reports
// false. b.mu is held.
func (b *linuxAIOBackend) adopt(r *Request) bool {
	p := b.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := r.bkState.Load(); s == laStopping || !r.bkState.CompareAndSwap(s, tbQueued) {
		r.bkState.Store(tbIdle)
		return false
	}
	p.enqueue(r)
	if p.free() > 0 {
		p.work.Signal()
	}
	b.stats.pooled.Add(1)
	return true
}

// release frees slot, which r held. b.mu is held.
func (b *linuxAIOBackend) release(slot int32, r *Request) {
	b.reqs[slot].Store(nil)
	r.pin.Unpin()
	b.free = append(b.free, slot)
}

// interrupt cancels the requests still waiting for a slot and makes
// every stream wait on the pool end (see interrupter); a request in the
// kernel completes without waiting on a stream, so Close waits for it.
func (b *linuxAIOBackend) interrupt() {
	b.mu.Lock()
	back := b.pending.takeAll()
	for r := back; r != nil; r = r.bkNext {
		r.bkState.Store(tbIdle)
	}
	b.mu.Unlock()
	for r := back; r != nil; {
		next := r.bkNext
		r.bkNext, r.bkPrev = nil, nil
		b.done(r, 0, syscall.ECANCELED)
		r = next
	}
	b.pool.interrupt()
}

// close stops the reaper and the pool and destroys the context. The
// engine calls it once nothing is in flight; close waits for the
// goroutines still leaving the backend's code (a submitter after its
// last completion) before it unmaps anything. io_destroy waits for an RCU
// grace period (about 30 ms), so it runs on a goroutine of its own: no
// request refers to the context any more.
func (b *linuxAIOBackend) close() error {
	b.mu.Lock()
	b.dead = true
	for b.active > 0 { // a submitter or the reaper still on its way out
		b.idle.Wait()
	}
	b.mu.Unlock()
	err := b.efd.Close()
	<-b.reaped
	b.pool.close()
	go linuxaio.Destroy(b.ctx)
	return err
}
