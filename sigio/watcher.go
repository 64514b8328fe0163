package sigio

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// Options configure a Watcher. The zero value is ready to use.
type Options struct {
	// Signal is the real-time signal the descriptors raise, MinSignal..MaxSignal.
	// Zero picks DefaultSignal, or the next one free in this process.
	Signal int

	// Handler, if set, receives every event on the owner thread, one at a
	// time and in order; Events then returns nil. It must not block for
	// long: while it runs, signals wait in the kernel's queue (which is
	// bounded, see Resync). It may call Watch, Unwatch and Close; they take
	// effect at once, and events a Watch produces are delivered after the
	// handler returns.
	Handler func(Event)

	// QueueLen is the capacity of the Events channel (default 256). When it
	// is full the owner thread waits, so signals pile up in the kernel's
	// queue rather than being dropped here.
	QueueLen int

	// Repoll makes the watcher poll every watched descriptor after a Resync
	// and report each one that is ready as Polled events, so a caller that
	// handles only per-descriptor events still sees everything.
	Repoll bool
}

// A Watcher delivers signal-driven I/O notifications for real descriptors,
// each with its descriptor and band (SPEC R1).
//
// Every watched descriptor is owned (F_SETOWN_EX, F_OWNER_TID) by one thread
// the Watcher dedicates to it. That thread blocks the Watcher's real-time
// signal and SIGIO and reads them from a signalfd, so no signal handler runs
// and the Go runtime never sees them. Watch, Unwatch and Close are executed
// on that thread too, so they are ordered with respect to the events: no
// event for a descriptor is delivered after Unwatch of it has returned.
//
// A Watcher is safe for concurrent use.
type Watcher struct {
	sig     unix.Signal
	handler func(Event)
	events  chan Event // nil when handler is set
	repoll  bool
	tid     int // the owner thread; set before New returns, then read-only

	pid    int    // this process, for the doorbell
	cookie uint64 // si_value of the doorbell signal, unique to this Watcher

	// mu guards reqs and closed. A request is queued and the doorbell rung
	// under mu, and the owner sets closed under mu before its thread ends,
	// so no doorbell is ever aimed at a finished (or reused) thread id.
	mu     sync.Mutex
	reqs   []*request
	closed bool
	kick   chan struct{} // cap 1: wakes an owner blocked sending to events
	done   chan struct{} // closed when the owner thread has finished

	// Owner-confined state: read and written only on the owner thread.
	sfd      int
	watched  map[int]*armed
	pending  []Event // synthesised events not yet delivered
	closing  bool
	closer   *request // the Close request, answered once the owner has finished
	closeErr error

	stats struct{ signals, events, resyncs, stale, foreign atomic.Uint64 }
}

// cookies numbers the doorbells of the Watchers of this process.
var cookies atomic.Uint64

// Stats counts what a Watcher has seen since New. Every signal read is
// accounted for: Signals = events carried by signals + Resyncs + Stale +
// Foreign, except a last event or Resync dropped because Close came first.
type Stats struct {
	Signals uint64 // siginfos read from the signalfd
	Events  uint64 // events delivered: from signals, polled and resync
	Resyncs uint64 // plain SIGIOs read: the kernel's queue overflowed
	Stale   uint64 // signals for a descriptor no longer watched, dropped
	Foreign uint64 // signals sent by a process (kill, tgkill, sigqueue) rather than by fasync, dropped
}

// New starts a Watcher: it claims the signal and starts the owner thread.
// opts may be nil.
func New(opts *Options) (*Watcher, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	sig, err := claimSignal(o.Signal)
	if err != nil {
		return nil, fmt.Errorf("sigio: signal %d: %w", o.Signal, err)
	}
	w := &Watcher{
		sig:     sig,
		cookie:  cookies.Add(1) | 0x5349_4749_4f00_0000, // "SIGIO" in the high bytes
		handler: o.Handler,
		repoll:  o.Repoll,
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		watched: map[int]*armed{},
	}
	if w.handler == nil {
		n := o.QueueLen
		if n <= 0 {
			n = 256
		}
		w.events = make(chan Event, n)
	}
	ready := make(chan error, 1)
	go w.run(ready)
	if err := <-ready; err != nil {
		releaseSignal(sig)
		return nil, fmt.Errorf("sigio: starting owner thread: %w", err)
	}
	return w, nil
}

// Events returns the channel events are delivered on, or nil when
// Options.Handler is set. It is closed by Close.
func (w *Watcher) Events() <-chan Event { return w.events }

// Signal returns the real-time signal the watched descriptors raise.
func (w *Watcher) Signal() syscall.Signal { return syscall.Signal(w.sig) }

// OwnerTID returns the id of the owner thread, the F_OWNER_TID every watched
// descriptor is given.
func (w *Watcher) OwnerTID() int { return w.tid }

// Stats returns the counters so far.
func (w *Watcher) Stats() Stats {
	return Stats{
		Signals: w.stats.signals.Load(),
		Events:  w.stats.events.Load(),
		Resyncs: w.stats.resyncs.Load(),
		Stale:   w.stats.stale.Load(),
		Foreign: w.stats.foreign.Load(),
	}
}

// Watch makes fd signal-driven and reports its events: F_SETSIG, F_SETOWN_EX
// to the owner thread, O_ASYNC (added to the existing flags), then a poll(2)
// so readiness that already exists is reported as Polled events.
//
// Errors leave fd as it was: EBADF for a closed or invalid descriptor,
// ErrCannotSignal (EINVAL) for a file type that cannot signal (SPEC R2),
// ErrWatched (EEXIST) if fd is already watched, ErrAsyncBusy (EBUSY) if its
// open file already has O_ASYNC, ErrClosed after Close.
func (w *Watcher) Watch(fd int) error {
	if err := w.do(opWatch, fd); err != nil {
		return fmt.Errorf("sigio: watch fd %d: %w", fd, err)
	}
	return nil
}

// Unwatch stops reporting fd and restores its O_ASYNC bit, owner and
// F_SETSIG. No event for fd is delivered after Unwatch returns, except those
// already in the Events channel. It fails with ErrNotWatched (ENOENT) for a
// descriptor not watched and ErrStale (EBADF) if fd was closed meanwhile (the
// watch is dropped; nothing can be restored on a file that is gone).
func (w *Watcher) Unwatch(fd int) error {
	if err := w.do(opUnwatch, fd); err != nil {
		return fmt.Errorf("sigio: unwatch fd %d: %w", fd, err)
	}
	return nil
}

// Close unwatches every descriptor, stops the owner thread, releases the
// signal and closes the Events channel. A second Close returns ErrClosed.
// Called from the Handler, it takes effect when the handler returns.
func (w *Watcher) Close() error {
	if err := w.do(opClose, -1); err != nil {
		return fmt.Errorf("sigio: close: %w", err)
	}
	return nil
}
