package devfs

import (
	"bytes"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// What the signal bridge reads of real processes, through /proc and raw
// system calls. None of these calls makes a FUSE request, so they may run
// on a transport thread: fcntl's F_GETOWN_EX and F_GETSIG, reads of
// /proc, kcmp, pidfd_open and pidfd_send_signal. close(2) of a descriptor
// for an exported file does (FLUSH), and only the bridge's worker makes it.

// Flags of pidfd_open and pidfd_send_signal (include/uapi/linux/pidfd.h).
const (
	pidfdThread       = unix.O_EXCL // PIDFD_THREAD: a pidfd for one thread
	pidfdSignalThread = 1           // PIDFD_SIGNAL_THREAD
	kcmpFile          = 0           // KCMP_FILE
	capKill           = 5           // CAP_KILL
	capSysPtrace      = 19          // CAP_SYS_PTRACE
)

// The si_codes the bridge sends (include/uapi/asm-generic/siginfo.h).
const (
	siQueue = -1 // SI_QUEUE
	siSigio = -5 // SI_SIGIO
)

// BridgeMark is what the bridge puts in the upper half of a bridged
// signal's sigval (bytes 28..31 of siginfo_t, beside si_fd), so a reader
// such as package sigio can tell a bridged notification from any other
// SI_QUEUE signal. C handlers reading si_fd and si_band never see it.
const BridgeMark = 0x46555345 // "FUSE"

// siginfo is siginfo_t as the bridge fills it on x86-64 and arm64:
// si_band (a long) overlays si_pid and si_uid at offset 16, si_fd (an
// int) the sigval at offset 24.
type siginfo struct {
	signo, errno, code, _ int32
	band                  int64
	fd                    int32
	mark                  uint32
	_                     [96]byte
}

// cred is a process's user ids as the permission rule needs them.
type cred struct {
	uid, euid, suid int
	capKill         bool
}

// mayKill is Linux's rule for signals sent on a file's behalf (SPEC A10,
// F4; fs/fcntl.c sigio_perm): root, or the sender's uid or euid matching
// the target's uid or saved uid. Root must also hold CAP_KILL.
func (from cred) mayKill(to cred) bool {
	return (from.euid == 0 && from.capKill) ||
		from.uid == to.uid || from.uid == to.suid ||
		from.euid == to.uid || from.euid == to.suid
}

// procStatus is what the bridge reads from /proc/PID/status (or
// /proc/PID/task/TID/status).
type procStatus struct {
	tgid, pgid, threads int
	cred                cred
	blk, ign, cgt       uint64
}

// parseStatus reads a status file's text. ok is false when a field the
// bridge needs is missing.
func parseStatus(b []byte) (st procStatus, ok bool) {
	var seen int
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		key, val, found := bytes.Cut(line, []byte{':'})
		if !found {
			continue
		}
		val = bytes.TrimSpace(val)
		switch string(key) {
		case "Tgid":
			st.tgid, _ = strconv.Atoi(string(val))
			seen |= 1
		case "NSpgid":
			f := bytes.Fields(val)
			if len(f) > 0 {
				st.pgid, _ = strconv.Atoi(string(f[0]))
			}
		case "Threads":
			st.threads, _ = strconv.Atoi(string(val))
		case "Uid":
			f := bytes.Fields(val)
			if len(f) >= 3 {
				st.cred.uid, _ = strconv.Atoi(string(f[0]))
				st.cred.euid, _ = strconv.Atoi(string(f[1]))
				st.cred.suid, _ = strconv.Atoi(string(f[2]))
				seen |= 2
			}
		case "SigBlk":
			st.blk, _ = strconv.ParseUint(string(val), 16, 64)
			seen |= 4
		case "SigIgn":
			st.ign, _ = strconv.ParseUint(string(val), 16, 64)
			seen |= 8
		case "SigCgt":
			st.cgt, _ = strconv.ParseUint(string(val), 16, 64)
			seen |= 16
		case "CapEff":
			c, _ := strconv.ParseUint(string(val), 16, 64)
			st.cred.capKill = c&(1<<capKill) != 0
		}
	}
	return st, seen == 31
}

// statusBufSize holds any status file (about 1.5 KiB on 6.x kernels).
const statusBufSize = 4096

// readStatusFd rereads an open status file from its start (a /proc file
// regenerates at offset 0). The descriptor belongs to the process it was
// opened for: once that process is gone the read fails (ESRCH), whoever
// has its pid since.
func readStatusFd(fd int, buf []byte) (procStatus, error) {
	n, err := unix.Pread(fd, buf, 0)
	if err != nil {
		return procStatus{}, err
	}
	st, ok := parseStatus(buf[:n])
	if !ok {
		return st, unix.EIO
	}
	return st, nil
}

// readStatus reads /proc/PATH/status once.
func readStatus(path string) (procStatus, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return procStatus{}, err
	}
	defer unix.Close(fd)
	return readStatusFd(fd, make([]byte, statusBufSize))
}

// sigBit is sig's bit in a SigBlk/SigIgn/SigCgt mask.
func sigBit(sig int) uint64 { return 1 << (uint(sig) - 1) }

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
	return out
}

// kcmpSameFile reports whether descriptor fd1 of process pid1 and fd2 of
// pid2 refer to the same open file description (kcmp KCMP_FILE).
func kcmpSameFile(pid1, fd1, pid2, fd2 int) bool {
	r, _, e := unix.Syscall6(unix.SYS_KCMP, uintptr(pid1), uintptr(pid2), kcmpFile, uintptr(fd1), uintptr(fd2), 0)
	return e == 0 && r == 0
}

// ownerEx is struct f_owner_ex.
type ownerEx struct {
	typ, pid int32
}

// Owner types (include/uapi/asm-generic/fcntl.h).
const (
	ownerTID  = 0
	ownerPID  = 1
	ownerPGRP = 2
)

// getOwner returns the owner and F_SETSIG signal of the open file fd.
func getOwner(fd int) (ownerEx, int, error) {
	var o ownerEx
	if _, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), unix.F_GETOWN_EX, uintptr(unsafe.Pointer(&o))); e != 0 {
		return o, 0, e
	}
	sig, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), unix.F_GETSIG, 0)
	if e != 0 {
		return o, 0, e
	}
	return o, int(sig), nil
}

// pidfdOpen opens a pidfd for process pid, or for thread pid with thread.
func pidfdOpen(pid int, thread bool) (int, error) {
	flags := 0
	if thread {
		flags = pidfdThread
	}
	r, _, e := unix.Syscall(unix.SYS_PIDFD_OPEN, uintptr(pid), uintptr(flags), 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// pidfdGetfd duplicates descriptor fd of the process behind pidfd into
// this one (close-on-exec).
func pidfdGetfd(pidfd, fd int) (int, error) {
	r, _, e := unix.Syscall(unix.SYS_PIDFD_GETFD, uintptr(pidfd), uintptr(fd), 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// sendSignal queues sig with si to the process (or, with thread, the
// thread) behind pidfd. A pidfd names one process for good, so a pid
// reused meanwhile is never signalled.
func sendSignal(pidfd, sig int, si *siginfo, thread bool) error {
	flags := 0
	if thread {
		flags = pidfdSignalThread
	}
	_, _, e := unix.Syscall6(unix.SYS_PIDFD_SEND_SIGNAL, uintptr(pidfd), uintptr(sig), uintptr(unsafe.Pointer(si)), uintptr(flags), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// fdinfo reads the mnt_id and ino lines of /proc/PID/fdinfo/FD.
func fdinfo(pid, fd int) (mnt, ino uint64, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		return 0, 0, false
	}
	var seen int
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		key, val, found := bytes.Cut(line, []byte{':'})
		if !found {
			continue
		}
		v, err := strconv.ParseUint(string(bytes.TrimSpace(val)), 10, 64)
		if err != nil {
			continue
		}
		switch string(key) {
		case "mnt_id":
			mnt, seen = v, seen|1
		case "ino":
			ino, seen = v, seen|2
		}
	}
	return mnt, ino, seen == 3
}

// mountID returns the mount id of the mount point dir in this process's
// mount namespace (/proc/self/mountinfo), without touching the mount.
func mountID(dir string) (uint64, bool) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return 0, false
	}
	var id uint64
	found := false
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		if f := bytes.Fields(line); len(f) > 4 && string(f[4]) == dir {
			if v, err := strconv.ParseUint(string(f[0]), 10, 64); err == nil {
				id, found = v, true // the last one listed is the one on top
			}
		}
	}
	return id, found
}
