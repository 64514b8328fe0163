package uring

import (
	"errors"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A Handler receives the completions of a Loop's requests: the user_data
// the request's SQE carried and the CQE's res (a byte count, or a negated
// errno) and flags. The loop goroutine calls it, one completion at a time,
// holding no lock, so it may Submit again at once.
type Handler func(userData uint64, res int32, flags uint32)

// A Loop is a Ring driven by one goroutine of its own, and safe for
// concurrent use. Any goroutine queues SQEs with Submit; the loop goroutine
// hands everything queued to the kernel with one io_uring_enter, reaps the
// CQ, and calls the Handler. When it has nothing to do it waits without
// holding an OS thread: in Go's netpoller on an eventfd registered with
// the ring while requests are in the kernel, on a channel when nothing is
// in flight. A submitter that finds it waiting wakes it there. With
// LoopConfig.Thread the loop goroutine keeps an OS thread instead, and the
// ring is set up as fio sets up its own (loop_thread.go).
//
// Because every io_uring_enter is made by the loop goroutine, requests
// that the kernel completes inline (page-cached reads and writes) run on
// the loop's thread, not the submitter's: n Loops spread such work over n
// cores.
type Loop struct {
	ring   *Ring
	handle Handler
	limit  int32    // user requests in flight at most (LoopConfig.Entries)
	mode   loopMode // how the loop goroutine waits: *pollMode or *threadMode
	logf   func(format string, args ...any)

	// mu guards the SQ side of ring (NextSQE, Flush) and the fields below
	// it, and a threadMode's queued calls. The loop goroutine never holds
	// mu while it enters the kernel or calls the Handler.
	mu      sync.Mutex
	closed  bool                  // no more Submit, Cancel or Do
	stopped bool                  // Close was called
	waiters map[uint64]chan int32 // internal op's user_data → its result's destination
	nextOp  uint64                // source of internal ops' user_data

	// inflight counts SQEs queued (user requests and internal ops) whose
	// completion has not been reaped. It grows under mu and shrinks in the
	// loop goroutine, before the Handler runs, so a Handler may resubmit.
	inflight atomic.Int32

	// state says where the loop goroutine waits: loopParked (in the
	// mode's wait: requests are in the kernel) or loopIdle (on wakeCh)
	// from just before its last look for work until it wakes,
	// loopRunning otherwise. A submitter that moves it from a parked
	// stage to running wakes the loop there. The Dekker pair (submitter:
	// add to inflight, load state; loop: store state, load inflight and
	// the SQ) guarantees that one of the two sees the other.
	state  atomic.Int32
	wakeCh chan struct{} // loopIdle's wake-up; buffered, so a send never blocks

	stats loopStats // written by the loop goroutine only

	// toDevice says the loop's last large batch went to a device rather
	// than completing inside the enter (see submit). Loop goroutine only.
	toDevice bool

	// readied says a Handler woke a goroutine since the loop last waited
	// in the kernel (Readied). An idle wait on wakeCh does not clear it:
	// the P the loop thread gets back when it wakes from there may carry
	// the goroutines queued on it meanwhile, which the next wait must
	// still hand over. Loop goroutine only.
	readied bool

	// failed says the kernel refused the ring with an errno that is not
	// "try again" (loop_fail.go), at failedAt. Loop goroutine only.
	failed   bool
	failedAt time.Time
	failErr  error // what fail was told; read by Close after exited
	// fault, when set, is the error every io_uring_enter of the loop
	// reports instead of entering: the tests' way to break a ring.
	fault atomic.Pointer[error]

	closing atomic.Bool   // Close was called (or fail ran): cancel, drain, exit
	exited  chan struct{} // closed when the loop goroutine returns
}

// A loopMode is what depends on how the loop goroutine waits for the
// kernel. A pollMode (loop_poll.go) waits in Go's netpoller on an eventfd
// the kernel signals, holding no OS thread; a threadMode (loop_thread.go,
// LoopConfig.Thread) keeps an OS thread and waits inside io_uring_enter.
// The Loop calls every method on the loop goroutine except kick and do.
type loopMode interface {
	// start prepares the loop goroutine before its first round.
	start() error
	// beforeSubmit and afterSubmit do the mode's own work of a round,
	// around the entering of queued SQEs.
	beforeSubmit()
	afterSubmit()
	// taskRun has the kernel post the completions it holds back for the
	// loop's thread, reporting whether it entered to do so.
	taskRun() bool
	// owned reports how many of cqes are the mode's own, not requests;
	// handleOwn handles c if it is one of those, reporting whether it was.
	owned(cqes []CQE) int
	handleOwn(c *CQE) bool
	// pending reports whether the mode holds work for the loop goroutine
	// (park's last look before it waits).
	pending() bool
	// idleWoken runs when a submitter has woken the loop from its idle
	// wait on wakeCh.
	idleWoken()
	// wait blocks, with requests in the kernel, until a completion or a
	// kick may have come, or deadline passes.
	wait(deadline time.Time)
	// kick wakes a goroutine blocked in wait. Any goroutine.
	kick()
	// do runs fn with the ring where the kernel takes it (Loop.Do). Any
	// goroutine but the loop's.
	do(fn func(*Ring) error) error
	// completesUnentered reports whether the kernel posts completions
	// while the loop does not enter it, as a failed Loop needs.
	completesUnentered() bool
	// finish runs as the loop goroutine returns.
	finish()
	// close releases the mode's eventfd once the loop goroutine is gone.
	close() error
}

const (
	loopRunning = iota
	loopParked  // waiting on efd: requests are in the kernel
	loopIdle    // waiting on wakeCh: nothing in flight at all
)

// loopStats are the loop goroutine's counters, for LoopStats.
type loopStats struct {
	enters, submitted, reaped, parks, idles, late, handoffs atomic.Uint64
	readiedWaits                                            atomic.Uint64 // waits begun after a Handler's Readied
}

// LoopStats counts what a Loop's goroutine has done: how well it batches
// (Submitted/Enters is the mean SQEs per io_uring_enter; Submitted counts
// the Loop's own SQEs too, such as cancellations and the eventfd poll of
// a Loop with a thread) and how often it had to wait (Parks with requests
// in the kernel: on the eventfd, or in io_uring_enter with a thread; Idles
// on its channel with nothing in flight). Late counts eventfd waits that
// timed out (after parkRecheck) with a completion in the CQ: a missed
// signal, which should not happen; a Loop with a thread, which the kernel
// wakes itself, has none. Handoffs counts the times a Loop with a thread
// let the Go scheduler run before waiting because a Handler had woken a
// goroutine and no P was left over for it (Readied).
type LoopStats struct {
	Enters, Submitted, Reaped, Parks, Idles, Late, Handoffs uint64
}

// Stats reports the Loop's counters so far.
func (l *Loop) Stats() LoopStats {
	return LoopStats{
		Enters: l.stats.enters.Load(), Submitted: l.stats.submitted.Load(), Reaped: l.stats.reaped.Load(),
		Parks: l.stats.parks.Load(), Idles: l.stats.idles.Load(), Late: l.stats.late.Load(),
		Handoffs: l.stats.handoffs.Load(),
	}
}

// internalTag marks the user_data of SQEs the Loop makes itself
// (cancellations); a caller's user_data must leave this bit clear.
const internalTag = 1 << 63

// opReserve is room kept in the rings, beyond LoopConfig.Entries, for
// internal ops, so a Loop full of requests can still cancel them.
const opReserve = 8

// closeRecancel is how often a closing Loop repeats its cancel-everything
// while requests remain: a request that was between two kernel queues
// (say, about to arm a poll) can miss one cancellation.
const closeRecancel = 50 * time.Millisecond

// parkRecheck bounds a wait on the eventfd: see park. It is a safety net,
// not a poll: a request pending for hours (a read of a quiet pipe) costs
// ten wake-ups a second.
const parkRecheck = 100 * time.Millisecond

// LoopConfig says how to build a Loop.
type LoopConfig struct {
	// Entries is the most requests the Loop holds at once; Submit beyond
	// it gives ErrRingFull. The rings are sized so that this many never
	// overflow them.
	Entries uint32
	// Flags are IORING_SETUP_* flags added to the Loop's defaults
	// (SUBMIT_ALL, NO_SQARRAY). SINGLE_ISSUER, DEFER_TASKRUN and SQPOLL
	// are refused: Thread asks for the first two.
	Flags uint32
	// Thread gives the loop goroutine an OS thread of its own and sets the
	// ring up SINGLE_ISSUER | DEFER_TASKRUN | COOP_TASKRUN, as fio does:
	// see loop_thread.go. Where the kernel lacks DEFER_TASKRUN (before
	// 6.1) the Loop works as without Thread.
	Thread bool
	// Logf receives what the Loop has nobody else to tell: that the
	// kernel refused its ring and the Loop failed its requests and
	// closed (loop_fail.go). nil means log.Printf.
	Logf func(format string, args ...any)
}

// loopFlags are the setup flags every Loop asks for. SUBMIT_ALL keeps one
// bad SQE from holding back the rest of a batch; NO_SQARRAY drops the SQ
// index array the Loop would fill with the identity.
//
// Not COOP_TASKRUN: an asynchronous completion (a disk read, a pipe that
// became readable) is finished by task work on the thread that submitted
// it, and COOP_TASKRUN lets that wait until the thread next enters the
// kernel. A Go thread may run goroutines for a whole scheduler tick
// without doing so: with it, O_DIRECT reads at queue depth 32 measured
// a few percent fewer IOPS and about 40% more CPU per read than without.
const loopFlags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_NO_SQARRAY

// NewLoop sets up a ring, registers an eventfd with it and starts the loop
// goroutine, which calls h for every completion. h must not call Cancel
// or Close: they wait for the loop goroutine that is running h.
func NewLoop(cfg LoopConfig, h Handler) (*Loop, error) {
	if cfg.Entries == 0 || cfg.Entries > 1<<14 || h == nil {
		return nil, fmt.Errorf("uring: NewLoop(entries %d, handler nil %t): %w", cfg.Entries, h == nil, syscall.EINVAL)
	}
	if cfg.Flags&(IORING_SETUP_SINGLE_ISSUER|IORING_SETUP_DEFER_TASKRUN|IORING_SETUP_SQPOLL) != 0 {
		return nil, fmt.Errorf("uring: NewLoop: flags %#x need a thread-bound submitter: %w", cfg.Flags, syscall.EINVAL)
	}
	if cfg.Flags&IORING_SETUP_SQE128 != 0 {
		// Batch.SQE indexes 64-byte entries.
		return nil, fmt.Errorf("uring: NewLoop: IORING_SETUP_SQE128 is not supported by Loop: %w", syscall.EINVAL)
	}
	sq := uint32(1)
	for sq < cfg.Entries+opReserve {
		sq <<= 1
	}
	flags := cfg.Flags | loopFlags
	if cfg.Thread {
		flags |= threadFlags
	}
	ring, err := Setup(Config{Entries: sq, CQEntries: 2 * sq, Flags: flags})
	if err != nil {
		return nil, err
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		ring.Close()
		return nil, fmt.Errorf("uring: eventfd: %w", err)
	}
	l := &Loop{
		ring:    ring,
		handle:  h,
		limit:   int32(cfg.Entries),
		logf:    cfg.Logf,
		waiters: make(map[uint64]chan int32),
		wakeCh:  make(chan struct{}, 1),
		exited:  make(chan struct{}),
	}
	if l.logf == nil {
		l.logf = log.Printf
	}
	// With a thread the loop waits in io_uring_enter and polls the eventfd
	// from the ring; without, the kernel signals the eventfd for the
	// netpoller.
	if ring.Flags()&IORING_SETUP_DEFER_TASKRUN != 0 {
		l.mode = &threadMode{l: l, efd: efd}
	} else if l.mode, err = newPollMode(l, efd); err != nil {
		ring.Close()
		return nil, err
	}
	started := make(chan error, 1)
	go l.run(started)
	if err := <-started; err != nil {
		<-l.exited
		l.ring.Close()
		l.mode.close()
		return nil, err
	}
	return l, nil
}

// enableRing enables a ring set up with IORING_SETUP_R_DISABLED (a Loop
// with a thread, or one that asked for a thread on a kernel without
// DEFER_TASKRUN). On the loop goroutine.
func (l *Loop) enableRing() error {
	if l.ring.Flags()&IORING_SETUP_R_DISABLED == 0 {
		return nil
	}
	if err := l.ring.EnableRings(); err != nil {
		return fmt.Errorf("uring: NewLoop: enabling the ring: %w", err)
	}
	return nil
}

// Do runs fn with the Loop's ring and returns its error. On a Loop with a
// thread, where the kernel accepts io_uring_register only from the loop's
// thread, fn runs on the loop goroutine; otherwise on the caller's. fn
// must not call the Loop's methods. After Close, Do reports ErrClosed.
func (l *Loop) Do(fn func(*Ring) error) error { return l.mode.do(fn) }

// Ring is the Loop's ring, for registering buffers or files (through Do,
// which a Loop with a thread needs). Its SQ and CQ sides belong to the
// Loop: do not prepare, submit or reap on it.
func (l *Loop) Ring() *Ring { return l.ring }

// Readied tells the Loop that the Handler, running now, made a goroutine
// runnable (a channel send, a Cond's signal): it may be called only from
// the Handler. The goroutine it woke waits on the loop goroutine's P. A
// Loop without a thread waits in the netpoller, which gives that P up.
// One with a thread of its own (LoopConfig.Thread) waits in a system
// call, which keeps the P until the runtime's sysmon takes it back, 20 µs
// to 10 ms later, and when the process has as many such Loops as Ps, no
// other P takes the goroutine meanwhile; such a Loop then lets the Go
// scheduler run before it waits (aio.File's 32 callers on two rings with
// threads on two cores: 30k O_DIRECT reads a second with a p99 of 10 ms
// without the yield, 83k with it).
func (l *Loop) Readied() { l.readied = true }

// reapBatch is how many completions the loop goroutine reaps at once.
const reapBatch = 64

// MaxHeld bounds how many user requests can be, at one moment, between
// their Reserve and the return of their Handler call: the LoopConfig.Entries
// counted in flight, plus up to one reap's worth already uncounted (the
// count drops before the Handlers of a reap run, so they may resubmit) whose
// Handler has not returned yet. A caller keeping per-request state in a
// table it fills at Reserve and empties in the Handler needs this many
// entries.
func (l *Loop) MaxHeld() int { return int(l.limit) + reapBatch }

// InFlight reports how many requests the Loop holds (queued or in the
// kernel, completion not yet handled).
func (l *Loop) InFlight() int { return int(l.inflight.Load()) }

// Cancel asks the kernel to cancel the request whose SQE carried target
// (IORING_OP_ASYNC_CANCEL) and waits for the answer: 0 when the request was
// found and cancelled (its completion reaches the Handler with
// -ECANCELED), -ENOENT when it was not pending (already complete, or
// never submitted), -EALREADY when it is running and may still complete
// normally.
func (l *Loop) Cancel(target uint64) (int32, error) {
	ch := make(chan int32, 1)
	if err := l.queueOp(ch, func(s *SQE, ud uint64) { s.PrepCancel(target, ud) }); err != nil {
		return 0, err
	}
	return <-ch, nil
}

// Barrier waits until every SQE queued before the call has been handed to
// the kernel: it queues an IORING_OP_NOP behind them and waits for its
// completion (the kernel takes SQEs in order). A caller that changes
// what queued SQEs refer to, such as a fixed-file slot, uses it to know
// that no SQE still to be submitted names the old state. With the ring
// full of internal ops it reports ErrRingFull; after Close, ErrClosed.
func (l *Loop) Barrier() error {
	ch := make(chan int32, 1)
	if err := l.queueOp(ch, func(s *SQE, ud uint64) { s.PrepNop(ud) }); err != nil {
		return err
	}
	<-ch
	return nil
}

// queueOp queues an internal op prepared by prep; its result goes to ch
// (nil: dropped). Internal ops may use the opReserve beyond the limit and
// are queued even while closing, since Close itself queues one.
func (l *Loop) queueOp(ch chan int32, prep func(s *SQE, ud uint64)) error {
	l.mu.Lock()
	if l.closed && ch != nil {
		l.mu.Unlock()
		return ErrClosed
	}
	if l.inflight.Load() >= l.limit+opReserve {
		l.mu.Unlock()
		return ErrRingFull
	}
	l.nextOp++
	ud := internalTag | l.nextOp
	if ch != nil {
		l.waiters[ud] = ch
	}
	prep(l.ring.NextSQE(), ud)
	l.inflight.Add(1)
	l.ring.Flush()
	l.mu.Unlock()
	l.wake()
	return nil
}

// wake makes sure the loop goroutine will look at the SQ again: if it is
// parked or idle (or about to be), this moves it to running and wakes it
// where it waits.
func (l *Loop) wake() {
	switch l.state.Load() {
	case loopParked:
		if l.state.CompareAndSwap(loopParked, loopRunning) {
			l.mode.kick()
		}
	case loopIdle:
		if l.state.CompareAndSwap(loopIdle, loopRunning) {
			l.poke()
		}
	}
}

// poke wakes an idle loop goroutine. A Go channel costs no system call,
// and the runtime runs the woken goroutine next on the waker's P, once
// the waker blocks: a submitter finishes its burst of Submits before the
// loop takes them all into one io_uring_enter.
func (l *Loop) poke() {
	select {
	case l.wakeCh <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// wakeByte is the eventfd increment: 1, in host byte order.
var wakeByte = []byte{1, 0, 0, 0, 0, 0, 0, 0}

// Close stops the Loop: later Submits fail with ErrClosed, every request
// still in flight is cancelled (IORING_OP_ASYNC_CANCEL of everything,
// repeated until none remain), and Close returns once each has completed
// and reached the Handler (cancelled ones with -ECANCELED) and the ring
// is released. A request the kernel cannot interrupt (a disk read already
// issued) is waited for. On a Loop that failed (loop_fail.go) Close
// releases the ring and reports the failure.
func (l *Loop) Close() error {
	l.mu.Lock()
	already := l.stopped
	l.closed, l.stopped = true, true
	l.mu.Unlock()
	if already {
		<-l.exited
		return ErrClosed
	}
	l.closing.Store(true)
	l.state.Store(loopRunning)
	l.mode.kick()
	l.poke()
	<-l.exited
	err := l.ring.Close()
	if cerr := l.mode.close(); err == nil {
		err = cerr
	}
	if l.failErr != nil {
		err = errors.Join(fmt.Errorf("uring: Loop failed: %w", l.failErr), err)
	}
	return err
}
