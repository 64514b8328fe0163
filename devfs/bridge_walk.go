package devfs

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The bridge's one walk over /proc, and what it finds with it: the
// client descriptor a watch starts from (discover) and the processes that
// hold a watched file (scan).

// pids lists the numeric entries of dir (/proc, /proc/PID/fd,
// /proc/PID/task).
func pids(dir string) []int {
	f, err := os.Open(dir) // a /proc directory, never the mount
	if err != nil {
		return nil
	}
	defer f.Close()
	names, _ := f.Readdirnames(-1)
	out := make([]int, 0, len(names))
	for _, n := range names {
		if v, err := strconv.Atoi(n); err == nil {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// walk visits processes, the pids in prefer first (each once, in order),
// then, with rest, every other process in /proc, until visit returns
// true. It is the bridge's one walk over processes: holders (scan), a
// client descriptor to start from (discover) and a group's members
// (deliverGroup) are all found with it.
func walk(prefer []int, rest bool, visit func(pid int) (stop bool)) {
	tried := make(map[int]bool, len(prefer))
	look := func(pid int) bool {
		if pid <= 0 || tried[pid] {
			return false
		}
		tried[pid] = true
		return visit(pid)
	}
	for _, pid := range prefer {
		if look(pid) {
			return
		}
	}
	if !rest {
		return
	}
	for _, pid := range pids("/proc") {
		if look(pid) {
			return
		}
	}
}

// fdsOf lists the open descriptors of process pid, ascending, without
// the bridge's own duplicates.
func (b *bridge) fdsOf(pid int) []int {
	fds := pids("/proc/" + strconv.Itoa(pid) + "/fd")
	if pid == b.self {
		fds = b.notDups(fds)
	}
	return fds
}

// A holder is a process holding a watched file, with its descriptors for
// it (ascending).
type holder struct {
	pid int
	fds []int
}

// scan returns the processes holding the open file that the bridge's
// duplicate dup is (kcmp): those in prefer, and with rest every other
// one; with first it stops at the first found. unknown reports that the
// kcmps of some process got no answer in time (bridge_bound.go): it may
// hold the file too.
func (b *bridge) scan(dup int, prefer []int, rest, first bool) (hs []holder, unknown bool) {
	walk(prefer, rest, func(pid int) bool {
		fds := b.fdsOf(pid)
		mine, err := boundedCall(&b.calls, pid, func() ([]int, error) {
			var mine []int
			for _, fd := range fds {
				if kcmpFile(b.self, dup, pid, fd) {
					mine = append(mine, fd)
				}
			}
			return mine, nil
		}, nil)
		if err != nil {
			unknown = true
			return false
		}
		if len(mine) == 0 {
			return false
		}
		hs = append(hs, holder{pid: pid, fds: mine})
		return first
	})
	return hs, unknown
}

// discover finds a client descriptor for w's file and keeps a duplicate
// of it: the processes known to have used the file first, then every
// process. Candidates are descriptors whose link names the device and
// whose fdinfo shows this mount and node; the one that is this very open
// file is told by a poll(2) of the duplicate, whose FUSE POLL carries the
// file handle. A failure waits before the next try.
func (w *watch) discover(b *bridge) bool {
	if b.mnt == 0 && !b.locate() {
		return false
	}
	found := w.candPid > 0 && w.probe(b, w.candPid, w.candFd)
	if !found {
		walk([]int{w.opener, threadGroup(int(w.lastPid.Load()))}, true, func(pid int) bool {
			for _, fd := range b.fdsOf(pid) {
				if w.candidate(b, pid, fd) && w.probe(b, pid, fd) {
					found = true
					return true
				}
			}
			return false
		})
	}
	if found {
		w.backoff = 0
		return true
	}
	w.backoff = min(max(2*w.backoff, 10*time.Millisecond), time.Second)
	w.retryAt = time.Now().Add(w.backoff)
	return false
}

// candidate reports whether descriptor fd of process pid is a file of
// w's device on this mount (it may be another open file of it).
func (w *watch) candidate(b *bridge, pid, fd int) bool {
	link, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(fd))
	if err != nil || !strings.HasSuffix(link, "/"+w.name) {
		return false
	}
	mnt, ino, ok := fdinfo(pid, fd)
	return ok && mnt == b.mnt && ino == w.ino
}

// probe duplicates descriptor fd of process pid above the bridge's base
// and keeps it if it is w's file. The file was opened with
// FOPEN_NOFLUSH, so closing a duplicate sends nothing (a last close sends
// a RELEASE, which waits for no answer).
func (w *watch) probe(b *bridge, pid, fd int) bool {
	if b.closing.Load() >= maxClosing {
		return false
	}
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return false
	}
	// pidfd_getfd takes the client's exec lock: bounded, and a
	// duplicate that comes too late is closed as a foreign one.
	low, err := boundedCall(&b.calls, pid, func() (int, error) {
		defer unix.Close(pidfd)
		return unix.PidfdGetfd(pidfd, fd, 0)
	}, b.closeForeign)
	if err != nil {
		if err == unix.EPERM {
			b.warn("getfd-perm", "no access to the descriptors of process %d (pidfd_getfd: %v): its files get no signals", pid, err)
		}
		return false
	}
	// The client may have put another file at fd since it was looked at
	// (dup2): nothing touches the duplicate before fdinfo shows it is a
	// file of this device node on this mount.
	if mnt, ino, ok := fdinfo(b.self, low); !ok || mnt != b.mnt || ino != w.ino {
		b.closeForeign(low)
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
	w.setKnown()
	w.mu.Unlock()
	w.candPid, w.candFd = pid, fd
	return true
}

// maxClosing is how many closes of foreign duplicates may be under way
// before the worker stops taking duplicates.
const maxClosing = 4

// closeForeign closes a duplicate that is not a file of this mount. Its
// close may never return: a file of another FUSE server sends that
// server a FLUSH and waits for the answer. It is closed on a goroutine of
// its own, and while maxClosing such closes are under way the worker
// takes no more duplicates (probe).
func (b *bridge) closeForeign(fd int) {
	b.closing.Add(1)
	go func() {
		unix.Close(fd)
		b.closing.Add(-1)
	}()
}
