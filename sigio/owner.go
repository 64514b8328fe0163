package sigio

import (
	"errors"
	"log"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/linux"
)

// The owner thread. Everything in this file except do and ring runs on it.
//
// Signals raised by fasync with F_OWNER_TID are queued on that one thread.
// The thread blocks them (and SIGIO, the kernel's overflow fallback), so no
// handler runs; a signalfd created with the same mask dequeues them with
// their siginfo. signalfd only returns signals pending for the thread that
// reads it (or for the whole process), so the reader must be the owner
// thread itself: hence runtime.LockOSThread, never undone. When the goroutine
// returns while still locked, the runtime ends the thread, and its signal
// mask with it, so no other goroutine ever runs with these signals blocked.
//
// The thread sleeps in a blocking read(2) of the signalfd: one system call
// per wake-up (poll(2) on the signalfd and an eventfd first cost about 2 us
// more per event, measured). Requests ring it with the watcher's own signal,
// queued to the thread by rt_tgsigqueueinfo with si_code SI_QUEUE and a
// cookie in si_value; see ring.

type op int

const (
	opWatch op = iota
	opUnwatch
	opClose
)

// A request is a Watch, Unwatch or Close waiting for the owner thread.
type request struct {
	op   op
	fd   int
	done chan error // buffered: the owner never waits for the requester
}

// run is the owner goroutine: it locks itself to its thread, sets the thread
// up, reports through ready, then serves signals and requests until Close.
func (w *Watcher) run(ready chan<- error) {
	runtime.LockOSThread() // never unlocked, see above
	if err := w.setup(); err != nil {
		ready <- err
		return
	}
	ready <- nil
	w.loop()
	w.shutdown()
}

func (w *Watcher) setup() error {
	w.tid = unix.Gettid()
	var set unix.Sigset_t
	sigaddset(&set, w.sig)
	sigaddset(&set, unix.SIGIO)
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
		return err
	}
	sfd, err := unix.Signalfd(-1, &set, unix.SFD_CLOEXEC)
	if err != nil {
		return err
	}
	w.sfd = sfd
	w.pid = unix.Getpid()
	return nil
}

// loop reads signals until Close. Synthesised events are delivered first,
// so a Watch's Polled events precede the signals read after it.
func (w *Watcher) loop() {
	buf := make([]unix.SignalfdSiginfo, 64)
	size := int(unsafe.Sizeof(buf[0]))
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), len(buf)*size)
	for !w.closing {
		w.flush()
		if w.closing {
			break
		}
		n, err := unix.Read(w.sfd, raw)
		if err == unix.EINTR { // the runtime's own signals (SIGURG ...)
			continue
		}
		if err != nil {
			w.fail(err)
			return
		}
		for i := 0; i < n/size && !w.closing; i++ {
			w.dispatch(&buf[i])
		}
		w.serveRequests()
	}
}

// fail closes a Watcher whose signalfd the kernel will not read (an
// errno other than EINTR): a library must not take its host down for
// that. It logs the error, restores every watched descriptor as Unwatch
// would, and answers the requests waiting for the owner with the errno
// (a Close among them once shutdown, which run calls next, has released
// everything); later calls get ErrClosed and the Events channel closes.
func (w *Watcher) fail(err error) {
	log.Printf("sigio: owner thread %d: reading signalfd: %v: closing the Watcher", w.tid, err)
	w.closing = true
	for fd, a := range w.watched {
		delete(w.watched, fd)
		a.disarm() // a descriptor closed meanwhile has nothing to restore
	}
	w.mu.Lock()
	w.closed = true
	reqs := w.reqs
	w.reqs = nil
	w.mu.Unlock()
	for _, r := range reqs {
		if r.op == opClose {
			w.closer, w.closeErr = r, err
			continue
		}
		r.done <- err
	}
}

// dispatch turns one siginfo into an event, or accounts for dropping it.
func (w *Watcher) dispatch(si *unix.SignalfdSiginfo) {
	if w.isDoorbell(si) {
		return // loop serves the requests after the batch
	}
	w.stats.signals.Add(1)
	if unix.Signal(si.Signo) == unix.SIGIO {
		if si.Code <= 0 && si.Pid != 0 && !(si.Code == linux.SI_TKILL && int(si.Pid) == w.pid) {
			// Sent by a process (kill, tgkill, sigqueue), not the
			// kernel's overflow fallback, which comes as SI_KERNEL (or
			// as SI_USER from pid 0 when even SIGIO's siginfo could not
			// be allocated): it was meant for os/signal, which signalfd
			// beat to it. ring's own fallback SIGIO is excepted: it may
			// have absorbed an overflow SIGIO pending at the same time.
			w.stats.foreign.Add(1)
			nudgeClassics()
			return
		}
		w.resync()
		return
	}
	band, fd := Band(si.Code), int(si.Fd)
	mask := si.Band
	if bfd, bband, bmask, ok := bridgedEvent(si); ok { // from a devfs export (bridged.go)
		fd, band, mask = bfd, bband, bmask
	}
	if !band.valid() { // SI_USER, SI_QUEUE, SI_TKILL: not from fasync
		w.stats.foreign.Add(1)
		return
	}
	if w.watched[fd] == nil {
		w.stats.stale.Add(1) // queued before Unwatch, read after it
		return
	}
	w.emit(Event{Fd: fd, Band: band, Mask: mask})
}

// resync reports a queue overflow. A SIGIO from the kernel may also be a
// process-directed one raised for a Classic's descriptor (signalfd dequeues
// those too, and they look the same), so live Classics are told as well,
// and the caller sees a Resync it did not strictly need.
func (w *Watcher) resync() {
	w.stats.resyncs.Add(1)
	nudgeClassics()
	w.emit(Event{Fd: -1, Resync: true})
	if w.repoll {
		for fd := range w.watched {
			w.pending = append(w.pending, readiness(fd)...)
		}
	}
}

// emit delivers ev to the handler or the channel. While the channel is full
// it keeps serving requests, so a consumer that calls Unwatch or Close
// instead of receiving cannot deadlock with the owner; an event whose
// descriptor is unwatched meanwhile is dropped.
func (w *Watcher) emit(ev Event) {
	if w.handler != nil {
		w.stats.events.Add(1)
		w.handler(ev)
		return
	}
	for {
		select {
		case w.events <- ev:
			w.stats.events.Add(1)
			return
		case <-w.kick:
			w.serveRequests()
			if w.closing || (!ev.Resync && w.watched[ev.Fd] == nil) {
				if !ev.Polled && !ev.Resync {
					w.stats.stale.Add(1)
				}
				return
			}
		}
	}
}

// flush delivers the synthesised events, skipping those whose descriptor
// was unwatched since they were made.
func (w *Watcher) flush() {
	for len(w.pending) > 0 && !w.closing {
		ev := w.pending[0]
		w.pending = w.pending[1:]
		if w.watched[ev.Fd] != nil {
			w.emit(ev)
		}
	}
	w.pending = nil
}

// serveRequests runs the requests queued by do.
func (w *Watcher) serveRequests() {
	w.mu.Lock()
	reqs := w.reqs
	w.reqs = nil
	w.mu.Unlock()
	for _, r := range reqs {
		err := w.serve(r)
		if r.op == opClose {
			w.closer, w.closeErr = r, err
			continue
		}
		r.done <- err
	}
}

// serve executes one request on the owner thread.
func (w *Watcher) serve(r *request) error {
	switch r.op {
	case opWatch:
		return w.watch(r.fd)
	case opUnwatch:
		a := w.watched[r.fd]
		if a == nil {
			return ErrNotWatched
		}
		delete(w.watched, r.fd)
		return a.disarm()
	case opClose:
		w.closing = true
		var errs []error
		for fd, a := range w.watched {
			delete(w.watched, fd)
			if err := a.disarm(); err != nil && !errors.Is(err, ErrStale) {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	panic("sigio: request with unknown op")
}

func (w *Watcher) watch(fd int) error {
	if a := w.watched[fd]; a != nil {
		if a.sameFile() {
			return ErrWatched
		}
		// The watched file was closed (which removed its fasync entry)
		// and fd now names another one: forget the old watch.
		delete(w.watched, fd)
	}
	a, err := arm(fd, int(w.sig), linux.FOwnerEx{Type: F_OWNER_TID, Pid: int32(w.tid)})
	if err != nil {
		return err
	}
	w.watched[fd] = a
	w.pending = append(w.pending, readiness(fd)...)
	return nil
}

// do hands a request to the owner thread and waits for its answer. Called
// on the owner thread itself (from the Handler), it runs the request there
// and then, since waiting for oneself would never end.
func (w *Watcher) do(o op, fd int) error {
	r := &request{op: o, fd: fd, done: make(chan error, 1)}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	if o == opClose {
		w.closed = true
	}
	if unix.Gettid() == w.tid { // only the owner goroutine runs on that thread
		w.mu.Unlock()
		return w.serve(r)
	}
	w.reqs = append(w.reqs, r)
	w.ring()
	w.mu.Unlock()
	err := <-r.done
	if o == opClose {
		<-w.done
	}
	return err
}

// ring wakes the owner thread, blocked in read(2) of the signalfd or in
// emit. Called with mu held, so never after shutdown.
//
// The wake-up is the watcher's own signal, queued to the owner thread with
// si_code SI_QUEUE and w's cookie, which isDoorbell recognises. Queueing a
// real-time signal fails with EAGAIN when the user's RLIMIT_SIGPENDING is
// exhausted; then a plain SIGIO is sent instead, which cannot fail (a
// standard signal is marked pending even without room for its siginfo) and
// which the owner treats as a Resync, since it may have merged with a real
// overflow SIGIO pending at the same time.
func (w *Watcher) ring() {
	info := sigqueueInfo{signo: int32(w.sig), code: linux.SI_QUEUE, pid: int32(w.pid), uid: uint32(unix.Getuid()), value: w.cookie}
	_, _, e := unix.Syscall6(unix.SYS_RT_TGSIGQUEUEINFO, uintptr(w.pid), uintptr(w.tid), uintptr(w.sig), uintptr(unsafe.Pointer(&info)), 0, 0)
	if e != 0 {
		unix.Tgkill(w.pid, w.tid, unix.SIGIO)
	}
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// isDoorbell reports whether si is a wake-up sent by ring.
func (w *Watcher) isDoorbell(si *unix.SignalfdSiginfo) bool {
	return unix.Signal(si.Signo) == w.sig && si.Code == linux.SI_QUEUE && int(si.Pid) == w.pid && si.Ptr == w.cookie
}

// sigqueueInfo is the head of siginfo_t for SI_QUEUE (the _rt member) as
// rt_tgsigqueueinfo reads it; the kernel copies all 128 bytes.
type sigqueueInfo struct {
	signo, errno, code, _ int32
	pid                   int32
	uid                   uint32
	value                 uint64 // si_value: signalfd reports it as ssi_ptr
	_                     [96]byte
}

// shutdown releases everything once the loop has ended. Requests that
// arrived meanwhile are refused; Close callers are answered last, when the
// descriptors, the signal and the channel are all released.
func (w *Watcher) shutdown() {
	w.mu.Lock()
	w.closed = true // no ring from now on: the thread is about to end
	reqs := w.reqs
	w.reqs = nil
	w.mu.Unlock()
	for _, r := range reqs {
		r.done <- ErrClosed // do refuses a second Close, so none is here
	}
	unix.Close(w.sfd)
	releaseSignal(w.sig)
	if w.events != nil {
		close(w.events)
	}
	close(w.done)
	if w.closer != nil {
		w.closer.done <- w.closeErr
	}
}
