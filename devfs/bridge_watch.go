package devfs

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/linux"
	"github.com/fasync-go/fasync/kernel"
)

// A watch is the bridge's view of one exported open file (a handle): the
// client's open file description, which every process sharing it (fork,
// dup, SCM_RIGHTS) reaches through its own descriptors.
//
// Its life:
//
//   - At open the model file gets the bridge's hook and FASYNC, so the
//     driver's Kill reaches kill.
//   - A notification for a file whose owner the bridge does not know yet
//     is counted and handed to the worker (no system call where the driver
//     raised it). The worker finds a client descriptor for the file
//     (discover, bridge_walk.go), keeps a duplicate of it, and reads the
//     owner and F_SETSIG there. No owner: the notifications are dropped,
//     as Linux drops them for a file nobody owns, the duplicate is
//     closed, and the worker waits (holdOff, doubling) before it looks at
//     the file again. An owner: the worker finds every process holding
//     the file (for si_fd and the check that a client holds it), resolves
//     the owner (a pidfd, the target's status and syscall files), and
//     sends what was counted.
//   - Once the owner is known, a notification is sent where it is raised:
//     the owner, signal and the ids that set them are reread from the
//     duplicate (an owner changed, set again or cleared goes back to the
//     worker), the target's status is reread (disposition, masks,
//     credentials: bridge_safe.go, and bridge_perm.go's rule), and the
//     signal is queued through the pidfd. Process groups, and processes
//     whose threads must each be looked at, go to the worker.
//   - The duplicate keeps the file open, so a client's close is never the
//     last one while the bridge holds it. Before every signal the bridge
//     checks that a client still holds the file (kcmp of the duplicate
//     against a holder's descriptor, one system call; the known holders,
//     then every process, when that fails), so nothing is sent once the
//     last client close has returned (F5). The worker sweeps the held files
//     every sweepEvery, and once every rescanEvery looks for every holder:
//     it closes the duplicate of a file no client holds, and the kernel
//     then releases the file, later than the client's close would have on
//     its own by at most that long.
type watch struct {
	b      *bridge
	id     uint64 // the FUSE file handle
	name   string // device name
	ino    uint64 // node id: the inode number clients see
	opener int    // process that opened the file

	lastPid atomic.Int32                     // thread of the latest request on the file
	queued  atomic.Bool                      // in the worker's queue
	pending [linux.POLL_HUP + 1]atomic.Int32 // for the worker
	fast    [linux.POLL_HUP + 1]atomic.Int32 // for the sender
	sending atomic.Bool                      // in the sender's queue
	known   atomic.Bool                      // the sender may send: see setKnown
	rep     repeater                         // bridge_repeat.go

	// mu guards dup, gone and armed. The sender holds it for
	// reading while it uses them; the worker changes them under the write
	// lock and closes what it replaced only afterwards, so no descriptor
	// is closed (and its number reused) under a reader. The worker is
	// the only writer of dup and armed (release sets only gone), so it
	// reads them without the lock. The sender holds mu for reading
	// across its calls on a client, which wait at most callPatience
	// (bridge_bound.go); no transport thread takes mu (kill reads known);
	// the worker makes its own calls (the probe's poll, which this server
	// answers, among them) with mu released.
	mu    sync.RWMutex
	dup   int  // the bridge's duplicate of the client's file; -1 if none
	gone  bool // no client holds the file any more (or the mount has ended)
	armed *armedOwner

	// Worker only.
	candPid, candFd int           // where discover found the file last
	idle            time.Duration // the wait before the next look (holdOff)
	nextCheck       time.Time
	holders         []holder
	scanned         time.Time // the latest look for every holder
	retryAt         time.Time
	backoff         time.Duration
}

// An armedOwner is an owner the bridge has resolved: what the duplicate
// showed and where signals go.
type armedOwner struct {
	fown       // owner, signal and the ids that set them (F4)
	siFd int32 // the descriptor reported in si_fd
	// holderPid's descriptor holderFd is the file: the cheap check that a
	// client still holds it.
	holderPid, holderFd int
	// target is the process or thread of an F_OWNER_PID or F_OWNER_TID
	// owner; nil for a process group, whose members are found per signal.
	target *target
}

// A target is one process (tid 0) or thread that signals go to.
type target struct {
	pid, tid int
	pidfd    int
	statusFd int // /proc/PID/status or /proc/PID/task/TID/status
	// syscallFd is the syscall file of the thread that takes the signal
	// (the named thread, or the process's main thread): whether it waits
	// in sigwaitinfo (F2, bridge_safe.go). -1 when it cannot be read.
	syscallFd int
}

func (t *target) close() {
	if t != nil {
		unix.Close(t.pidfd)
		unix.Close(t.statusFd)
		if t.syscallFd >= 0 {
			unix.Close(t.syscallFd)
		}
	}
}

func (a *armedOwner) release() {
	if a != nil {
		a.target.close()
	}
}

// newWatch starts bridging h, opened by process pid, as handle id of
// device node n.
func (b *bridge) newWatch(h *handle, id uint64, n *node, pid int) *watch {
	w := &watch{b: b, id: id, name: n.name, ino: n.id, opener: pid, dup: -1}
	w.rep.file = h.file
	h.file.SetSigioHook(w.kill)
	h.mu.Lock()
	_ = h.file.SetFlags(h.file.Flags() | kernel.FASYNC) // a driver without Fasync never signals
	h.mu.Unlock()
	return w
}

// seen records the thread of a request on the file: a process that may
// hold it.
func (w *watch) seen(tid uint32) {
	if int32(tid) != w.lastPid.Load() {
		w.lastPid.Store(int32(tid))
	}
}

// kill is the model file's hook: the driver raised band for this file. It
// runs where the driver raised it (a FUSE transport thread, say) and
// makes no system call: a file whose owner is known goes to the sender,
// any other to the worker.
func (w *watch) kill(band int) {
	if band < linux.POLL_IN || band > linux.POLL_HUP {
		return
	}
	if w.known.Load() {
		w.fast[band].Add(1)
		w.b.toSender(w)
		return
	}
	w.pending[band].Add(1)
	w.b.enqueue(w)
}

// setKnown records, with mu held for writing, whether the sender may
// send w's signals: the owner is a process or thread the worker has
// resolved, the duplicate is held, and a sender runs. kill reads it
// without taking mu, which the sender holds while its calls wait for a
// client.
func (w *watch) setKnown() {
	w.known.Store(w.b.swake >= 0 && !w.gone && w.armed != nil && w.dup >= 0 && w.armed.target != nil)
}

// sendKnown is the sender's turn at w: it sends the signals counted for
// a known owner since the last turn, at most 64 a band, and hands to the
// worker what it cannot send itself.
func (w *watch) sendKnown() {
	for band := linux.POLL_IN; band <= linux.POLL_HUP; band++ {
		n := w.fast[band].Swap(0)
		for i := int32(0); i < n; i++ {
			if i >= 64 {
				break
			}
			if r := w.sendNow(band); r != sendDone {
				w.pending[band].Add(n - i)
				w.b.enqueue(w)
				break
			}
		}
	}
}

// sendNow sends band's signal at once when the owner is known and
// unchanged, on the sender. It reports sendWorker when the worker must do
// it, sendLater when a client did not answer in time. Its system calls
// count into SigioStats.Inline.
func (w *watch) sendNow(band int) sendResult {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.gone {
		return sendDone
	}
	a := w.armed
	if a == nil || w.dup < 0 || a.target == nil {
		return sendWorker
	}
	s := w.b.sender
	if same, err := s.sameFile(w.b.self, w.dup, a.holderPid, a.holderFd); err != nil {
		return sendLater
	} else if !same {
		return sendWorker // closed there: the worker looks further
	}
	// The owner, signal and ids are reread each time: another holder may
	// have set the same owner again with ids of its own (F4).
	if f, err := s.owner(w.dup); err != nil || f != a.fown {
		return sendWorker
	}
	return w.b.deliver(s, w, w.dup, a, a.target, band)
}

// serve is the worker's turn at w: it sends the notifications counted
// since the last turn, finding and resolving the owner first if need be.
// It reports true, keeping the counts, when it is too early to look at
// a file found without an owner (holdOff).
func (w *watch) serve(b *bridge) (later bool) {
	if time.Now().Before(w.nextCheck) {
		return true
	}
	var counts [linux.POLL_HUP + 1]int32
	some := false
	for band := linux.POLL_IN; band <= linux.POLL_HUP; band++ {
		counts[band] = w.pending[band].Swap(0)
		some = some || counts[band] > 0
	}
	if !some {
		return false
	}
	w.mu.RLock()
	gone, dup := w.gone, w.dup
	w.mu.RUnlock()
	if gone {
		return false
	}
	if dup < 0 {
		if time.Now().Before(w.retryAt) || !w.discover(b) {
			return false
		}
		w.mu.RLock()
		dup = w.dup
		w.mu.RUnlock()
	}
	b.stats.checks.Add(1)
	f, err := b.worker.owner(dup)
	if err != nil {
		b.warn("fcntl", "F_GETOWN_EX on a client's file: %v", err)
		w.disarm()
		w.unhold(b)
		return false
	}
	if f.own.Pid == 0 {
		// Nobody owns the file: let go of it, so that its closes stay
		// exact, and look again (a new duplicate) at the next notification.
		w.disarm()
		w.unhold(b)
		w.idle = min(max(2*w.idle, holdOff), maxHoldOff)
		w.nextCheck = time.Now().Add(w.idle)
		return false
	}
	w.idle = 0
	a := w.armed
	if a == nil || a.fown != f || (a.target == nil && f.own.Type != linux.F_OWNER_PGRP) {
		if a = w.arm(b, f); a == nil {
			return false
		}
	} else if same, err := b.worker.sameFile(b.self, dup, a.holderPid, a.holderFd); err != nil {
		return w.retryLater(&counts)
	} else if !same && !w.refresh(b, false) {
		w.drop(b) // the last client close has happened
		return false
	}
	return w.sendCounted(b, dup, a, &counts)
}

// retryLater keeps counts for the worker's next look at w, callPatience
// from now: a call on a client got no answer in time (bridge_bound.go).
func (w *watch) retryLater(counts *[linux.POLL_HUP + 1]int32) bool {
	for band, n := range counts {
		if n > 0 {
			w.pending[band].Add(n)
		}
	}
	w.nextCheck = time.Now().Add(callPatience)
	return true
}

// sendCounted sends owner a the signals counted for each band, at most
// 64 a band. It reports true, keeping what is left, when a client did
// not answer in time: the worker tries again later.
func (w *watch) sendCounted(b *bridge, dup int, a *armedOwner, counts *[linux.POLL_HUP + 1]int32) bool {
	for band := linux.POLL_IN; band <= linux.POLL_HUP; band++ {
		for i := int32(0); i < min(counts[band], 64); i++ {
			if a.own.Type == linux.F_OWNER_PGRP {
				b.deliverGroup(w, dup, a, band)
			} else if a.target != nil && b.deliver(b.worker, w, dup, a, a.target, band) == sendLater {
				counts[band] -= i
				for earlier := linux.POLL_IN; earlier < band; earlier++ {
					counts[earlier] = 0
				}
				return w.retryLater(counts)
			}
		}
	}
	return false
}

// disarm forgets the owner.
func (w *watch) disarm() {
	w.mu.Lock()
	a := w.armed
	w.armed = nil
	w.setKnown()
	w.mu.Unlock()
	a.release()
}

// arm resolves owner f and makes it the watch's: every holder is found
// (for si_fd and the check that a client holds the file), the target is
// opened, and the owner is read again to be sure it named the same
// process, with the same signal and ids, all along (a dead owner reads as
// 0, so a pid reused meanwhile is not mistaken for it). It returns nil
// when the owner changed or is gone, or nobody holds the file.
func (w *watch) arm(b *bridge, f fown) *armedOwner {
	a := &armedOwner{fown: f}
	own := f.own
	w.mu.RLock()
	dup := w.dup
	w.mu.RUnlock()
	found, unknown := b.scan(dup, nil, true, false)
	if len(found) == 0 {
		if !unknown {
			w.drop(b) // no client holds the file any more
		}
		return nil
	}
	w.scanned = time.Now()
	w.holders = nil
	w.note(found)
	ownerPid := int(own.Pid)
	switch own.Type {
	case linux.F_OWNER_PID:
		a.target = openTarget(ownerPid, 0)
	case linux.F_OWNER_TID:
		if st, err := readStatus(statusPath(ownerPid, 0)); err == nil {
			ownerPid = st.tgid
			a.target = openTarget(st.tgid, int(own.Pid))
		}
	}
	a.siFd = w.chooseFd(ownerPid)
	a.holderPid, a.holderFd = w.holders[0].pid, w.holders[0].fds[0]
	again, err := b.worker.owner(dup)
	if err != nil || again != f || (own.Type != linux.F_OWNER_PGRP && a.target == nil) {
		// Changed or gone meanwhile: let go of the file as for one
		// nobody owns, and look again at the next notification.
		a.release()
		w.disarm()
		w.unhold(b)
		return nil
	}
	w.mu.Lock()
	old := w.armed
	w.armed = a
	w.setKnown()
	w.mu.Unlock()
	old.release()
	b.hold(w)
	return a
}

// unhold closes the duplicate of a file nobody owns; the watch goes on.
func (w *watch) unhold(b *bridge) {
	w.mu.Lock()
	dup := w.dup
	w.dup = -1
	w.setKnown()
	w.mu.Unlock()
	b.mu.Lock()
	delete(b.held, w)
	b.mu.Unlock()
	b.closeDup(dup)
}

// openTarget opens process pid, or its thread tid, for signalling: a
// pidfd, its status file and the syscall file of the thread that takes
// the signal. nil if it is gone.
func openTarget(pid, tid int) *target {
	t := &target{pid: pid, tid: tid, syscallFd: -1}
	var err error
	if tid != 0 {
		t.pidfd, err = unix.PidfdOpen(tid, unix.PIDFD_THREAD)
	} else {
		t.pidfd, err = unix.PidfdOpen(pid, 0)
	}
	if err != nil {
		return nil
	}
	if t.statusFd, err = unix.Open(statusPath(pid, tid), unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
		unix.Close(t.pidfd)
		return nil
	}
	thread := tid
	if thread == 0 {
		thread = pid
	}
	if fd, err := unix.Open(syscallPath(pid, thread), unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
		t.syscallFd = fd
	}
	return t
}

// chooseFd picks the descriptor reported in si_fd: Linux reports the one
// O_ASYNC was set through, which the bridge cannot see; it takes the
// lowest descriptor of the owner's process, else of the opener, else of
// any holder.
func (w *watch) chooseFd(ownerPid int) int32 {
	pick := func(pid int) (int32, bool) {
		for _, h := range w.holders {
			if h.pid == pid && len(h.fds) > 0 {
				return int32(h.fds[0]), true
			}
		}
		return 0, false
	}
	if fd, ok := pick(ownerPid); ok {
		return fd
	}
	if fd, ok := pick(w.opener); ok {
		return fd
	}
	for _, h := range w.holders {
		if len(h.fds) > 0 {
			return int32(h.fds[0])
		}
	}
	return -1
}

// refresh looks for the processes holding w's file, the known ones
// first, and stops at the first found (all of them with all): the
// sweep's and the last check's look. It keeps the holders' descriptors
// current for si_fd and the sender's check, and reports false when nobody
// holds the file.
func (w *watch) refresh(b *bridge, all bool) bool {
	w.mu.RLock()
	dup := w.dup
	w.mu.RUnlock()
	if dup < 0 {
		return false
	}
	prefer := []int{w.opener, threadGroup(int(w.lastPid.Load()))}
	for _, h := range w.holders {
		prefer = append(prefer, h.pid)
	}
	found, unknown := b.scan(dup, prefer, true, !all)
	if len(found) == 0 {
		return unknown // a client that did not answer may hold it
	}
	if all && !unknown {
		// Every holder: those not found hold the file no more.
		w.scanned = time.Now()
		w.holders = found
	} else {
		w.note(found)
	}
	if a := w.armed; a != nil {
		fd := w.chooseFd(targetPid(a))
		w.mu.Lock()
		a.siFd = fd
		a.holderPid, a.holderFd = found[0].pid, found[0].fds[0]
		w.setKnown()
		w.mu.Unlock()
	}
	return true
}

// note records holders found: their descriptors replace the ones known.
func (w *watch) note(found []holder) {
	for _, h := range found {
		known := false
		for i := range w.holders {
			if w.holders[i].pid == h.pid {
				w.holders[i].fds, known = h.fds, true
			}
		}
		if !known {
			w.holders = append(w.holders, h)
		}
	}
}

func targetPid(a *armedOwner) int {
	if a.target != nil {
		return a.target.pid
	}
	return int(a.own.Pid)
}

// drop ends the watch: nothing is sent for the file any more, and the
// duplicate is closed, so the kernel can release the file.
func (w *watch) drop(b *bridge) {
	w.mu.Lock()
	w.gone = true
	dup, a := w.dup, w.armed
	w.dup, w.armed = -1, nil
	w.setKnown()
	w.mu.Unlock()
	b.mu.Lock()
	delete(b.held, w)
	b.mu.Unlock()
	b.closeDup(dup)
	a.release()
}

// release ends the watch when the kernel releases the file, or when
// serving ends (server.shutdown, while the worker still runs). Only the
// worker closes what it opened: a file the kernel releases has no
// duplicate and no armed owner left (the worker lets go of both
// together), and at the end of serving the worker's shutdown drops every
// file it holds. Closing a target here, under a worker that is sending
// to it, would let its pidfd's number name another process's pidfd.
func (w *watch) release() {
	w.mu.Lock()
	w.gone = true
	w.setKnown()
	w.mu.Unlock()
}
