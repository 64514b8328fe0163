package devfs

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/fuseraw"
	"github.com/fasync-go/fasync/internal/linux"
)

// Sigio says whether an export passes its devices' fasync notifications on
// to the real processes that own the client files (SPEC F; Options.Sigio).
type Sigio int

const (
	// SigioAuto runs the signal bridge when this process may (see
	// SigioAvailable) and otherwise serves without it, saying once why.
	SigioAuto Sigio = iota
	// SigioOn runs the bridge; Mount fails when it cannot.
	SigioOn
	// SigioOff serves without signals.
	SigioOff
)

// String names s as ParseSigio and fasync mount --sigio spell it.
func (s Sigio) String() string {
	switch s {
	case SigioAuto:
		return "auto"
	case SigioOn:
		return "on"
	case SigioOff:
		return "off"
	}
	return fmt.Sprintf("Sigio(%d)", int(s))
}

// ParseSigio reads "auto", "on" or "off"; anything else is EINVAL.
func ParseSigio(s string) (Sigio, error) {
	for _, v := range []Sigio{SigioAuto, SigioOn, SigioOff} {
		if s == v.String() {
			return v, nil
		}
	}
	return SigioAuto, fmt.Errorf("devfs: sigio %q is not auto, on or off: %w", s, syscall.EINVAL)
}

// XattrSigio is the extended attribute every device file carries while
// the export runs the signal bridge. Its value is "1". Package sigio looks
// for it when O_ASYNC does not stick on a descriptor (SPEC F7).
const XattrSigio = linux.XattrSigio

// SigioAvailable reports nil when this process may run the signal bridge:
// the kernel has pidfd_open, pidfd_getfd, kcmp and fcntl F_GETOWNER_UIDS,
// and the process may read its clients' descriptors (pidfd_getfd needs
// ptrace access to the client: root or CAP_SYS_PTRACE, or, for clients of
// the same user, a Yama ptrace_scope of 0 or no Yama). The error says
// what is missing and what would enable it.
func SigioAvailable() error { return sigioAvailable() }

// sigioAvailable is SigioAvailable; tests replace it.
var sigioAvailable = checkSigio

func checkSigio() error {
	self := os.Getpid()
	pidfd, err := unix.PidfdOpen(self, 0)
	if err != nil {
		return fmt.Errorf("devfs: signal bridge: pidfd_open (Linux 5.3+): %w", err)
	}
	defer unix.Close(pidfd)
	dup, err := unix.PidfdGetfd(pidfd, pidfd, 0)
	if err != nil {
		return fmt.Errorf("devfs: signal bridge: pidfd_getfd (Linux 5.6+): %w", err)
	}
	same := kcmpFile(self, pidfd, self, dup)
	unix.Close(dup)
	if !same {
		return fmt.Errorf("devfs: signal bridge: kcmp (CONFIG_KCMP) is unavailable: %w", syscall.ENOSYS)
	}
	if _, _, err := linux.GetOwnerUids(pidfd); err != nil {
		return fmt.Errorf("devfs: signal bridge: fcntl F_GETOWNER_UIDS (CONFIG_CHECKPOINT_RESTORE), which tells who set a file's owner, is unavailable: %w", err)
	}
	st, err := readStatus("/proc/self/status")
	if err != nil {
		return fmt.Errorf("devfs: signal bridge: reading /proc/self/status: %w", err)
	}
	if st.cred.euid == 0 || st.capEff&(1<<unix.CAP_SYS_PTRACE) != 0 {
		return nil
	}
	b, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope")
	if err == nil && strings.TrimSpace(string(b)) != "0" {
		return fmt.Errorf("devfs: signal bridge: reading a client's descriptor (pidfd_getfd) needs ptrace access, and kernel.yama.ptrace_scope is %s: run as root or with CAP_SYS_PTRACE, or set kernel.yama.ptrace_scope=0: %w",
			strings.TrimSpace(string(b)), syscall.EPERM)
	}
	return nil
}

// SigioStats counts what the signal bridge has done (Mount.SigioStats).
type SigioStats struct {
	// Sent counts signals queued to real processes.
	Sent uint64
	// Refused counts signals not sent because the ids of the process
	// that set the owner may not signal the target (SPEC F4). It is
	// judged first: a refused signal counts nowhere else.
	Refused uint64
	// Unsafe counts signals not sent because they would have killed the
	// target: the thread that takes them neither catches, blocks nor
	// ignores them, nor waits for them in sigwaitinfo (SPEC F2).
	Unsafe uint64
	// Inline counts the system calls of signals sent for files whose
	// owner the bridge already knows: the wake-up of the sender where the
	// driver raised the notification (a FUSE write on a transport
	// thread, say; one eventfd write when the sender has nothing queued),
	// and the sender's calls. Each call is counted where it is made
	// (bridge_sys.go, bridge.go). With nobody subscribed it stays 0.
	Inline uint64
	// Wakes counts the times a notification woke the bridge's worker,
	// which looks at files whose owner it does not know yet, at most once
	// per millisecond.
	Wakes uint64
	// Checks counts the worker's looks at a client file's owner.
	Checks uint64
}

// SigioStats reports the bridge's counters; zero when it does not run.
func (m *Mount) SigioStats() SigioStats {
	b := m.fs.bridge
	if b == nil {
		return SigioStats{}
	}
	return SigioStats{
		Sent: b.stats.sent.Load(), Refused: b.stats.refused.Load(), Unsafe: b.stats.unsafe.Load(),
		Inline: b.stats.inline.Load(), Wakes: b.stats.wakes.Load(), Checks: b.stats.checks.Load(),
	}
}

// Sigio reports whether the mount runs the signal bridge.
func (m *Mount) Sigio() bool { return m.fs.bridge != nil }

// holdOff is how long the worker waits after finding a client file
// without an owner before it looks at that file again; each further look
// that finds none doubles the wait, up to maxHoldOff. Notifications in
// between are kept and judged at the next look, so a client that sets an
// owner meanwhile gets them then, late by at most the wait.
const (
	holdOff    = time.Millisecond
	maxHoldOff = 32 * time.Millisecond
)

// sweepEvery is how often the worker checks that the files it holds (the
// owned ones) are still open in some client: one kcmp per file. Kernel
// FUSE tells the server nothing when a client closes a file the server
// also holds (the bridge asks for no FLUSH, see noflush), so the
// sweep is what lets go of a file after the last client close, and the
// release then follows.
const sweepEvery = 5 * time.Millisecond

// rescanEvery is how often the sweep looks for every holder of an owned
// file, not only the first it knows, so that an owner that gets the file
// later has its own descriptor reported in si_fd.
const rescanEvery = time.Second

// noflush is the open flag the bridge asks for on every device file,
// FOPEN_NOFLUSH: closes of the file send no FLUSH. A FLUSH sent by a close
// in this process while it dies would wait for an answer nobody is left to
// give (the connection aborts only once every file of the process is
// released, after the closes), and the process could never finish exiting.
const noflush = fuseraw.FOPEN_NOFLUSH

// dupBase is the lowest descriptor number the bridge gives its
// duplicates of client files, away from the numbers the program's own
// files take.
const dupBase = 1024

// A bridge carries the model's fasync notifications for the exported
// files of one mount to the real owners of the client files (SPEC F).
//
// It hears the model through a hook on each device file (File.SetSigioHook)
// with FASYNC set, so the driver's Kill reaches it (B5, B6). It sees a
// client's owner and F_SETSIG through a duplicate of the client's own open
// file description, taken with pidfd_getfd: kernel FUSE keeps no O_ASYNC
// and forwards no fcntl, so the owner set is the only sign (F2). See
// bridge_watch.go for one file's life and doc.go for what is exact.
type bridge struct {
	fs   *FS
	dir  string
	logf func(format string, args ...any)
	self int // this process

	tid     atomic.Int32  // the worker's thread, whose POLLs are the bridge's own
	probeFh atomic.Uint64 // file handle of the worker's latest POLL

	// mu guards queue, held, dups and stopped.
	mu       sync.Mutex
	queue    []*watch // files with notifications for the worker
	held     map[*watch]bool
	dups     map[int]bool // the bridge's own descriptors, skipped when scanning itself
	stopped  bool
	kick     chan struct{} // cap 1: notifications queued
	stop     chan struct{}
	done     chan struct{}
	mnt      uint64 // mount id, looked up by the worker when it first needs it
	base     int    // lowest descriptor number of a duplicate; set with mnt
	warnOnce sync.Map
	rep      repeats // files whose latest POLL_IN or POLL_OUT may go again

	// smu guards squeue, the files with signals for the sender. The
	// sender sleeps in a read of the eventfd swake, which a write wakes
	// (see send); it closes sdone when it ends.
	smu      sync.Mutex
	squeue   []*watch
	sstopped bool // the sender has been told to stop: nothing is queued
	swake    int
	sdone    chan struct{}

	stats struct{ sent, refused, unsafe, inline, wakes, checks atomic.Uint64 }
	// sender makes the sender's system calls, counted in stats.inline;
	// worker makes the worker's. Both bound their calls on clients by
	// calls (bridge_bound.go).
	sender, worker sys
	calls          bounded
	closing        atomic.Int32 // closes of foreign duplicates under way (closeForeign)
}

// newBridge starts the bridge of the mount on dir.
func newBridge(fsys *FS, dir string, logf func(string, ...any)) *bridge {
	b := &bridge{
		fs: fsys, dir: dir, logf: logf, self: os.Getpid(),
		held: map[*watch]bool{}, dups: map[int]bool{}, kick: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{}),
		sdone: make(chan struct{}), swake: -1,
	}
	b.sender = sys{n: &b.stats.inline, calls: &b.calls}
	if fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC); err == nil {
		b.swake = fd
	} else {
		b.warn("eventfd", "eventfd: %v: signals of owned files wait for the worker", err)
	}
	b.worker = sys{calls: &b.calls}
	ready := make(chan struct{})
	go b.run(ready)
	if b.swake >= 0 {
		go b.send()
	} else {
		close(b.sdone)
	}
	<-ready
	return b
}

// send is the sender: it sends the signals of files whose owner is
// known, off the thread where the driver raised them (a FUSE transport
// thread must never wait for a client), with calls that wait for a
// client at most callPatience (bridge_bound.go); what it cannot send
// goes to the worker.
//
// It sleeps in a read of the eventfd swake rather than on a channel: a
// goroutine readied by a transport thread would wait for that thread's
// P, which the thread keeps while it sleeps in read(2) or io_uring_enter
// (tens of microseconds, until sysmon takes it back), whereas the kernel
// wakes the sender's own thread at once.
func (b *bridge) send() {
	defer close(b.sdone)
	var buf [8]byte
	for {
		if _, err := unix.Read(b.swake, buf[:]); err != nil && err != unix.EINTR {
			b.warn("eventfd-read", "reading the sender's eventfd: %v", err)
			return
		}
		select {
		case <-b.stop:
			return
		default:
		}
		b.smu.Lock()
		q := b.squeue
		b.squeue = nil
		b.smu.Unlock()
		for _, w := range q {
			w.sending.Store(false)
			w.sendKnown()
		}
	}
}

// toSender queues w for the sender unless it is queued already, and
// wakes the sender when the queue was empty: one write(2) of the eventfd,
// counted in SigioStats.Inline.
func (b *bridge) toSender(w *watch) {
	if w.sending.Swap(true) {
		return
	}
	b.smu.Lock()
	defer b.smu.Unlock()
	if b.sstopped {
		return
	}
	b.squeue = append(b.squeue, w)
	if len(b.squeue) == 1 {
		b.wakeSender()
	}
}

// wakeSender adds 1 to the sender's eventfd; smu is held.
func (b *bridge) wakeSender() {
	b.sender.count()
	one := [8]byte{1}
	unix.Write(b.swake, one[:])
}

// warn logs a problem once per kind.
func (b *bridge) warn(kind, format string, args ...any) {
	if _, seen := b.warnOnce.LoadOrStore(kind, true); !seen {
		b.logf("devfs: signal bridge: "+format, args...)
	}
}

// run is the worker. It stays on one thread, so the POLLs it sends to
// tell files apart are recognised by their thread id; it makes the slow
// calls of the bridge (scans of /proc) and every one that sends this
// server a request.
func (b *bridge) run(ready chan<- struct{}) {
	runtime.LockOSThread() // never unlocked: the thread ends with the worker
	b.tid.Store(int32(unix.Gettid()))
	close(ready)
	defer close(b.done)
	sweepT := time.NewTicker(sweepEvery) // received from only while files are held
	defer sweepT.Stop()
	later := map[*watch]bool{} // files waiting for their next look
	var laterT *time.Timer
	for {
		var laterC <-chan time.Time
		next := b.repeatNext()
		for w := range later {
			if next.IsZero() || w.nextCheck.Before(next) {
				next = w.nextCheck
			}
		}
		if !next.IsZero() {
			laterT = time.NewTimer(time.Until(next))
			laterC = laterT.C
		}
		var sweep <-chan time.Time
		b.mu.Lock()
		if len(b.held) > 0 {
			sweep = sweepT.C
		}
		b.mu.Unlock()
		select {
		case <-b.stop:
			b.shutdown()
			return
		case <-sweep:
		case <-laterC:
			for w := range later {
				delete(later, w)
				w.queued.Store(false)
				b.requeue(w)
			}
		case <-b.kick:
		}
		if laterT != nil {
			laterT.Stop()
			laterT = nil
		}
		b.sweep()
		b.serveRepeats()
		b.serveKills(later)
	}
}

// sweep lets go of every held file that no client holds any more. It is
// cheap (a kcmp per file) and runs on each turn of the worker.
func (b *bridge) sweep() {
	b.mu.Lock()
	ws := make([]*watch, 0, len(b.held))
	for w := range b.held {
		ws = append(ws, w)
	}
	b.mu.Unlock()
	for _, w := range ws {
		if !w.refresh(b, time.Since(w.scanned) >= rescanEvery) {
			w.drop(b)
		}
	}
}

// close stops the worker, which closes every duplicate and pidfd, and
// waits for it. Serving has ended, so closing sends no request.
func (b *bridge) close() {
	b.mu.Lock()
	if !b.stopped {
		b.stopped = true
		close(b.stop)
	}
	b.mu.Unlock()
	b.smu.Lock()
	first := !b.sstopped && b.swake >= 0
	b.sstopped = true
	if first {
		b.wakeSender()
	}
	b.smu.Unlock()
	if first {
		<-b.sdone
		unix.Close(b.swake) // nobody writes it once sstopped is set
	}
	<-b.done
}

// shutdown runs on the worker when the mount has ended.
func (b *bridge) shutdown() {
	b.mu.Lock()
	ws := make([]*watch, 0, len(b.held)+len(b.queue))
	for w := range b.held {
		ws = append(ws, w)
	}
	ws = append(ws, b.queue...)
	b.queue = nil
	b.mu.Unlock()
	for _, w := range ws {
		w.drop(b)
	}
}

// enqueue hands w's new notifications to the worker. It makes no system
// call of its own: the worker's wake-up is a channel send, which finds
// the channel full while the worker is busy, and is not made at all
// while w waits for its next look (holdOff).
func (b *bridge) enqueue(w *watch) {
	if b.requeue(w) {
		b.stats.wakes.Add(1)
	}
}

// requeue queues w for the worker unless it is queued already, and
// reports whether it woke the worker.
func (b *bridge) requeue(w *watch) bool {
	if w.queued.Swap(true) {
		return false
	}
	b.mu.Lock()
	stopped := b.stopped
	if !stopped {
		b.queue = append(b.queue, w)
	}
	b.mu.Unlock()
	if stopped {
		return false
	}
	select {
	case b.kick <- struct{}{}:
		return true
	default:
		return false
	}
}

// serveKills judges every queued file's notifications; a file the
// worker must not look at yet goes to later.
func (b *bridge) serveKills(later map[*watch]bool) {
	b.mu.Lock()
	queue := b.queue
	b.queue = nil
	b.mu.Unlock()
	for _, w := range queue {
		w.queued.Store(false)
		if w.serve(b) {
			// Its notifications only count until the look: queued, so
			// they wake nobody.
			w.queued.Store(true)
			later[w] = true
		}
	}
}

// hold counts w among the files whose duplicate the sweep checks.
func (b *bridge) hold(w *watch) {
	b.mu.Lock()
	b.held[w] = true
	b.mu.Unlock()
}

// addDup and closeDup keep the set of descriptors that are the bridge's
// own, which scans of this process skip.
func (b *bridge) addDup(fd int) {
	b.mu.Lock()
	b.dups[fd] = true
	b.mu.Unlock()
}

func (b *bridge) closeDup(fd int) {
	if fd < 0 {
		return
	}
	b.mu.Lock()
	delete(b.dups, fd)
	b.mu.Unlock()
	unix.Close(fd)
}

func (b *bridge) isDup(fd int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dups[fd]
}

// notDups returns fds without the bridge's own descriptors.
func (b *bridge) notDups(fds []int) []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := fds[:0]
	for _, fd := range fds {
		if !b.dups[fd] {
			out = append(out, fd)
		}
	}
	return out
}

// locate finds the mount's id and the descriptor base, on the worker's
// first discovery (the mount exists by then): the base lies above every
// descriptor open now, the connection's own among them.
func (b *bridge) locate() bool {
	mnt, ok := mountID(b.dir)
	if !ok {
		b.warn("mountinfo", "mount %s not found in /proc/self/mountinfo", b.dir)
		return false
	}
	b.base = dupBase
	for _, fd := range pids("/proc/self/fd") {
		if !b.isDup(fd) {
			b.base = max(b.base, fd+1)
		}
	}
	b.mnt = mnt
	return true
}
