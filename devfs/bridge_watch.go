package devfs

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

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
//     (discover), keeps a duplicate of it, and reads the owner and
//     F_SETSIG there. No owner: the notifications are dropped, as Linux
//     drops them for a file nobody owns, the duplicate is closed, and the
//     worker waits (holdOff, doubling) before it looks at the file again. An owner: the worker
//     resolves it (a pidfd, the target's status file), records the
//     credentials of every process holding the file (the permission
//     check's senders), and sends what was counted.
//   - Once the owner is known, a notification is sent where it is raised:
//     the owner and signal are reread from the duplicate (an owner changed
//     or cleared goes back to the worker), the target's status is reread
//     (disposition, credentials), and the signal is queued through the
//     pidfd. Process groups, and processes whose threads must each be
//     looked at, go to the worker.
//   - The duplicate keeps the file open, so a client's close is never the
//     last one while the bridge holds it. Before every signal the bridge
//     checks that a client still holds the file (kcmp of the duplicate
//     against a holder's descriptor, one system call; the known holders,
//     then every process, when that fails), so nothing is sent once the
//     last client close has returned (F5). The worker sweeps the held files
//     every sweepEvery and closes the duplicate of any that no client
//     holds: the kernel then releases the file, later than the client's
//     close would have on its own by at most that long.
type watch struct {
	b          *bridge
	id         uint64 // the FUSE file handle
	name       string // device name
	ino        uint64 // node id: the inode number clients see
	opener     int    // process that opened the file
	openerCred []cred // its credentials at open (status and request header)

	lastPid atomic.Int32 // thread of the latest request on the file
	queued  atomic.Bool  // in the worker's queue
	pending [kernel.POLL_HUP + 1]atomic.Int32
	rep     repeater // bridge_repeat.go

	// mu guards dup, gone and armed. The inline path holds it for
	// reading while it uses them; the worker changes them under the write
	// lock and closes what it replaced only afterwards, so no descriptor
	// is closed (and its number reused) under a reader.
	mu    sync.RWMutex
	dup   int  // the bridge's duplicate of the client's file; -1 if none
	gone  bool // no client holds the file any more (or the mount has ended)
	armed *armedOwner

	// Worker only.
	candPid, candFd int           // where discover found the file last
	idle            time.Duration // the wait before the next look (holdOff)
	nextCheck       time.Time
	holders         []holder
	retryAt         time.Time
	backoff         time.Duration
}

// An armedOwner is an owner the bridge has resolved: what the duplicate
// showed and where signals go.
type armedOwner struct {
	own   ownerEx
	sig   int   // F_SETSIG; 0 is plain SIGIO
	siFd  int32 // the descriptor reported in si_fd
	creds []cred
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
}

func (t *target) close() {
	if t != nil {
		unix.Close(t.pidfd)
		unix.Close(t.statusFd)
	}
}

func (a *armedOwner) release() {
	if a != nil {
		a.target.close()
	}
}

// A holder is a process holding the file, with its descriptors for it.
type holder struct {
	pid  int
	fds  []int
	cred cred
}

// newWatch starts bridging h, opened by process pid with the request's
// fsuid uid, as handle id of device node n.
func (b *bridge) newWatch(h *handle, id uint64, n *node, pid int, uid uint32) *watch {
	w := &watch{b: b, id: id, name: n.name, ino: n.id, opener: pid, dup: -1}
	// The request header's fsuid, and the opener's ids and CAP_KILL from
	// /proc: each one must be allowed to signal a target.
	hdr := cred{uid: int(uid), euid: int(uid), suid: int(uid), capKill: uid == 0}
	if st, err := readStatus("/proc/" + strconv.Itoa(pid) + "/status"); err == nil {
		w.openerCred = append(w.openerCred, st.cred)
		hdr.capKill = hdr.capKill && st.cred.capKill
	}
	w.openerCred = append(w.openerCred, hdr)
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

// kill is the model file's hook: the driver raised band for this file.
func (w *watch) kill(band int) {
	if band < kernel.POLL_IN || band > kernel.POLL_HUP {
		return
	}
	if w.sendInline(band) {
		return
	}
	w.pending[band].Add(1)
	w.b.enqueue(w)
}

// sendInline sends band's signal at once when the owner is known and
// unchanged. It reports false when the worker must do it.
func (w *watch) sendInline(band int) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.gone {
		return true
	}
	a := w.armed
	if a == nil || w.dup < 0 || a.target == nil {
		return false
	}
	w.b.stats.inline.Add(3)
	if !kcmpSameFile(w.b.self, w.dup, a.holderPid, a.holderFd) {
		return false // closed there: the worker looks further
	}
	own, sig, err := getOwner(w.dup)
	if err != nil || own != a.own || sig != a.sig {
		return false
	}
	return w.b.deliver(w, w.dup, a, a.target, band, true)
}

// serve is the worker's turn at w: it sends the notifications counted
// since the last turn, finding and resolving the owner first if need be.
// It reports true, keeping the counts, when it is too early to look at
// a file found without an owner (holdOff).
func (w *watch) serve(b *bridge) (later bool) {
	if time.Now().Before(w.nextCheck) {
		return true
	}
	var counts [kernel.POLL_HUP + 1]int32
	some := false
	for band := kernel.POLL_IN; band <= kernel.POLL_HUP; band++ {
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
	own, sig, err := getOwner(dup)
	if err != nil {
		b.warn("fcntl", "F_GETOWN_EX on a client's file: %v", err)
		w.disarm()
		w.unhold(b)
		return false
	}
	if own.pid == 0 {
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
	if a == nil || a.own != own || a.sig != sig || (a.target == nil && own.typ != ownerPGRP) {
		if a = w.arm(b, own, sig); a == nil {
			return false
		}
	} else if !kcmpSameFile(b.self, dup, a.holderPid, a.holderFd) && !w.stillHeld(b) {
		w.drop(b) // the last client close has happened
		return false
	}
	for band := kernel.POLL_IN; band <= kernel.POLL_HUP; band++ {
		for i := int32(0); i < min(counts[band], 64); i++ {
			if a.own.typ == ownerPGRP {
				b.deliverGroup(w, dup, a, band)
			} else if a.target != nil {
				b.deliver(w, dup, a, a.target, band, false)
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
	w.mu.Unlock()
	a.release()
}

// arm resolves owner own (with signal sig) and makes it the watch's: the
// holders are scanned for the credentials, the target is opened, and the
// owner is read again to be sure it named the same process all along (a
// dead owner reads as 0, so a pid reused meanwhile is not mistaken for
// it). It returns nil when the owner changed or is gone.
func (w *watch) arm(b *bridge, own ownerEx, sig int) *armedOwner {
	a := &armedOwner{own: own, sig: sig}
	w.holders = w.scanAll(b)
	a.creds = append(a.creds, w.openerCred...)
	for _, h := range w.holders {
		a.creds = append(a.creds, h.cred)
	}
	ownerPid := int(own.pid)
	switch own.typ {
	case ownerPID:
		a.target = openTarget(ownerPid, 0)
	case ownerTID:
		if st, err := readStatus("/proc/" + strconv.Itoa(ownerPid) + "/status"); err == nil {
			ownerPid = st.tgid
			a.target = openTarget(st.tgid, int(own.pid))
		}
	}
	a.siFd = w.chooseFd(ownerPid)
	if len(w.holders) == 0 {
		a.release()
		w.drop(b) // no client holds the file any more
		return nil
	}
	a.holderPid, a.holderFd = w.holders[0].pid, w.holders[0].fds[0]
	w.mu.RLock()
	dup := w.dup
	w.mu.RUnlock()
	again, sig2, err := getOwner(dup)
	if err != nil || again != own || sig2 != sig || (own.typ != ownerPGRP && a.target == nil) {
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
	w.mu.Unlock()
	b.mu.Lock()
	delete(b.held, w)
	b.mu.Unlock()
	b.closeDup(dup)
}

// openTarget opens process pid, or its thread tid, for signalling: a
// pidfd and its status file. nil if it is gone.
func openTarget(pid, tid int) *target {
	t := &target{pid: pid, tid: tid}
	var err error
	path := "/proc/" + strconv.Itoa(pid) + "/status"
	if tid != 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(tid) + "/status"
		t.pidfd, err = pidfdOpen(tid, true)
	} else {
		t.pidfd, err = pidfdOpen(pid, false)
	}
	if err != nil {
		return nil
	}
	if t.statusFd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
		unix.Close(t.pidfd)
		return nil
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

// discover finds a client descriptor for the file and keeps a duplicate
// of it: the processes known to have used the file first, then every
// process. Candidates are descriptors whose link names the device and
// whose fdinfo shows this mount and node; the one that is this very open
// file is told by a poll(2) of the duplicate, whose FUSE POLL carries the
// file handle. A failure waits before the next try.
func (w *watch) discover(b *bridge) bool {
	if b.mnt == 0 && !b.locate() {
		return false
	}
	if w.discoverIn(b) {
		w.backoff = 0
		return true
	}
	w.backoff = min(max(2*w.backoff, 10*time.Millisecond), time.Second)
	w.retryAt = time.Now().Add(w.backoff)
	return false
}

func (w *watch) discoverIn(b *bridge) bool {
	if w.candPid > 0 && w.probe(b, w.candPid, w.candFd) {
		return true
	}
	tried := map[int]bool{}
	for _, pid := range []int{w.opener, threadGroup(int(w.lastPid.Load()))} {
		if pid > 0 && !tried[pid] {
			tried[pid] = true
			if w.tryProcess(b, pid) {
				return true
			}
		}
	}
	for _, pid := range pids("/proc") {
		if !tried[pid] && w.tryProcess(b, pid) {
			return true
		}
	}
	return false
}

// tryProcess looks for the file among the descriptors of process pid.
func (w *watch) tryProcess(b *bridge, pid int) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	for _, fd := range pids(dir) {
		if pid == b.self && b.isDup(fd) {
			continue
		}
		link, err := os.Readlink(dir + strconv.Itoa(fd))
		if err != nil || !strings.HasSuffix(link, "/"+w.name) {
			continue
		}
		if mnt, ino, ok := fdinfo(pid, fd); !ok || mnt != b.mnt || ino != w.ino {
			continue
		}
		if w.probe(b, pid, fd) {
			return true
		}
	}
	return false
}

// probe duplicates descriptor fd of process pid above dupBase and keeps it
// if it is this watch's file. The file was opened with FOPEN_NOFLUSH, so
// closing a duplicate sends nothing (a last close sends a RELEASE, which
// waits for no answer).
func (w *watch) probe(b *bridge, pid, fd int) bool {
	pidfd, err := pidfdOpen(pid, false)
	if err != nil {
		return false
	}
	low, err := pidfdGetfd(pidfd, fd)
	unix.Close(pidfd)
	if err != nil {
		if err == unix.EPERM {
			b.warn("getfd-perm", "no access to the descriptors of process %d (pidfd_getfd: %v): its files get no signals", pid, err)
		}
		return false
	}
	high, err := unix.FcntlInt(uintptr(low), unix.F_DUPFD_CLOEXEC, b.base)
	unix.Close(low)
	if err != nil {
		b.warn("dupfd", "F_DUPFD_CLOEXEC above %d: %v (RLIMIT_NOFILE too low?)", b.base, err)
		return false
	}
	b.addDup(high)
	b.probeFh.Store(0)
	pfd := []unix.PollFd{{Fd: int32(high), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(pfd, 0); err != unix.EINTR {
			break
		}
	}
	if b.probeFh.Load() != w.id {
		b.closeDup(high)
		return false
	}
	w.mu.Lock()
	w.dup = high
	w.mu.Unlock()
	w.candPid, w.candFd = pid, fd
	return true
}

// heldBy returns the descriptors of process pid that are the file (kcmp
// against the duplicate).
func (w *watch) heldBy(b *bridge, pid, dup int) []int {
	var fds []int
	for _, fd := range pids("/proc/" + strconv.Itoa(pid) + "/fd") {
		if pid == b.self && b.isDup(fd) {
			continue
		}
		if kcmpSameFile(b.self, dup, pid, fd) {
			fds = append(fds, fd)
		}
	}
	if len(fds) > 1 {
		sortInts(fds)
	}
	return fds
}

// scanAll returns every process holding the file, with its credentials.
func (w *watch) scanAll(b *bridge) []holder {
	w.mu.RLock()
	dup := w.dup
	w.mu.RUnlock()
	var hs []holder
	for _, pid := range pids("/proc") {
		if fds := w.heldBy(b, pid, dup); len(fds) > 0 {
			h := holder{pid: pid, fds: fds}
			st, err := readStatus("/proc/" + strconv.Itoa(pid) + "/status")
			if err != nil {
				continue // gone meanwhile
			}
			h.cred = st.cred
			hs = append(hs, h)
		}
	}
	return hs
}

// stillHeld reports whether some client still holds the file: the known
// holders first, then every process. It keeps the holders' descriptors
// current for si_fd and the inline check; their credentials stay those
// recorded with the owner.
func (w *watch) stillHeld(b *bridge) bool {
	w.mu.RLock()
	dup := w.dup
	w.mu.RUnlock()
	if dup < 0 {
		return false
	}
	tried := map[int]bool{}
	var known []holder
	for _, p := range append([]int{w.opener, threadGroup(int(w.lastPid.Load()))}, holderPids(w.holders)...) {
		if p <= 0 || tried[p] {
			continue
		}
		tried[p] = true
		if fds := w.heldBy(b, p, dup); len(fds) > 0 {
			known = append(known, holder{pid: p, fds: fds, cred: credOf(w.holders, p)})
		}
	}
	if len(known) == 0 {
		for _, p := range pids("/proc") {
			if tried[p] {
				continue
			}
			if fds := w.heldBy(b, p, dup); len(fds) > 0 {
				st, _ := readStatus("/proc/" + strconv.Itoa(p) + "/status")
				known = append(known, holder{pid: p, fds: fds, cred: st.cred})
				break
			}
		}
	}
	if len(known) == 0 {
		return false
	}
	for _, k := range known {
		found := false
		for i := range w.holders {
			if w.holders[i].pid == k.pid {
				w.holders[i].fds, found = k.fds, true
			}
		}
		if !found {
			w.holders = append(w.holders, k)
		}
	}
	if a := w.armed; a != nil {
		fd := w.chooseFd(targetPid(a))
		w.mu.Lock()
		a.siFd = fd
		a.holderPid, a.holderFd = known[0].pid, known[0].fds[0]
		w.mu.Unlock()
	}
	return true
}

func targetPid(a *armedOwner) int {
	if a.target != nil {
		return a.target.pid
	}
	return int(a.own.pid)
}

func holderPids(hs []holder) []int {
	out := make([]int, len(hs))
	for i, h := range hs {
		out[i] = h.pid
	}
	return out
}

func credOf(hs []holder, pid int) cred {
	for _, h := range hs {
		if h.pid == pid {
			return h.cred
		}
	}
	return cred{}
}

// drop ends the watch: nothing is sent for the file any more, and the
// duplicate is closed, so the kernel can release the file.
func (w *watch) drop(b *bridge) {
	w.mu.Lock()
	w.gone = true
	dup, a := w.dup, w.armed
	w.dup, w.armed = -1, nil
	w.mu.Unlock()
	b.mu.Lock()
	delete(b.held, w)
	b.mu.Unlock()
	b.closeDup(dup)
	a.release()
}

// release ends the watch when the kernel releases the file. The kernel
// does so only once every descriptor, the bridge's duplicate included,
// is closed, so there is none left to close here.
func (w *watch) release() {
	w.mu.Lock()
	w.gone = true
	a := w.armed
	w.armed = nil
	w.mu.Unlock()
	a.release()
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
