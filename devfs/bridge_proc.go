package devfs

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// What the signal bridge reads of real processes in /proc: status files
// (credentials, signal disposition and masks), a thread's current system
// call, fdinfo and mountinfo. The walk over processes and their
// descriptors is bridge_walk.go's.

// cred is a process's user ids as the permission rule needs them. The
// zero cred is unknown, and nobody may signal a target of unknown ids: a
// failed read never reads as root.
type cred struct {
	known           bool
	uid, euid, suid int
}

// procStatus is what the bridge reads from /proc/PID/status (or
// /proc/PID/task/TID/status).
type procStatus struct {
	tgid, pgid, threads int
	cred                cred
	blk, ign, cgt       uint64
	capEff              uint64 // effective capabilities
}

// Status fields the bridge needs; a status file missing one is refused.
const (
	hasTgid = 1 << iota
	hasUid
	hasBlk
	hasIgn
	hasCgt
	hasAll = hasTgid | hasUid | hasBlk | hasIgn | hasCgt
)

// parseStatus reads a status file's text. ok is false when a field the
// bridge needs is missing or unreadable; st.cred.known is ok.
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
		var err error
		switch string(key) {
		case "Tgid":
			if st.tgid, err = strconv.Atoi(string(val)); err == nil {
				seen |= hasTgid
			}
		case "NSpgid":
			if f := bytes.Fields(val); len(f) > 0 {
				st.pgid, _ = strconv.Atoi(string(f[0]))
			}
		case "Threads":
			st.threads, _ = strconv.Atoi(string(val))
		case "Uid":
			if f := bytes.Fields(val); len(f) >= 3 {
				var e1, e2, e3 error
				st.cred.uid, e1 = strconv.Atoi(string(f[0]))
				st.cred.euid, e2 = strconv.Atoi(string(f[1]))
				st.cred.suid, e3 = strconv.Atoi(string(f[2]))
				if e1 == nil && e2 == nil && e3 == nil {
					seen |= hasUid
				}
			}
		case "SigBlk":
			if st.blk, err = strconv.ParseUint(string(val), 16, 64); err == nil {
				seen |= hasBlk
			}
		case "SigIgn":
			if st.ign, err = strconv.ParseUint(string(val), 16, 64); err == nil {
				seen |= hasIgn
			}
		case "CapEff":
			st.capEff, _ = strconv.ParseUint(string(val), 16, 64)
		case "SigCgt":
			if st.cgt, err = strconv.ParseUint(string(val), 16, 64); err == nil {
				seen |= hasCgt
			}
		}
	}
	if seen != hasAll {
		return procStatus{}, false
	}
	st.cred.known = true
	return st, true
}

// statusBufSize holds any status file (about 1.5 KiB on 6.x kernels).
const statusBufSize = 4096

// readStatusFd rereads an open status file. The descriptor belongs to the
// process it was opened for: once that process is gone the read fails
// (ESRCH), whoever has its pid since.
func (s sys) readStatusFd(fd int, buf []byte) (procStatus, error) {
	n, err := s.pread(fd, buf)
	if err != nil {
		return procStatus{}, err
	}
	st, ok := parseStatus(buf[:n])
	if !ok {
		return procStatus{}, unix.EIO
	}
	return st, nil
}

// readStatus reads the status file at path once (the worker's way).
func readStatus(path string) (procStatus, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return procStatus{}, err
	}
	defer unix.Close(fd)
	return sys{}.readStatusFd(fd, make([]byte, statusBufSize))
}

func statusPath(pid, tid int) string {
	if tid == 0 {
		return "/proc/" + strconv.Itoa(pid) + "/status"
	}
	return "/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(tid) + "/status"
}

// syscallPath is the syscall file of thread tid of process pid: the
// system call it sleeps in, with its arguments.
func syscallPath(pid, tid int) string {
	return "/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(tid) + "/syscall"
}

// sigBit is sig's bit in a SigBlk/SigIgn/SigCgt mask.
func sigBit(sig int) uint64 { return 1 << (uint(sig) - 1) }

// sigwaitSet parses a /proc/PID/task/TID/syscall line: when the thread
// sleeps in rt_sigtimedwait (sigwait, sigwaitinfo, sigtimedwait), it
// returns the address and size of the set it waits for.
func sigwaitSet(line []byte) (addr uintptr, size int, ok bool) {
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[0]) != strconv.Itoa(unix.SYS_RT_SIGTIMEDWAIT) {
		return 0, 0, false
	}
	a, err1 := strconv.ParseUint(string(bytes.TrimPrefix(f[1], []byte("0x"))), 16, 64)
	n, err2 := strconv.ParseUint(string(bytes.TrimPrefix(f[4], []byte("0x"))), 16, 64)
	if err1 != nil || err2 != nil || n == 0 || n > 128 {
		return 0, 0, false
	}
	return uintptr(a), int(n), true
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

// statPgrp returns the process group of pid from /proc/PID/stat, or -1.
func statPgrp(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 3 {
		return -1
	}
	g, err := strconv.Atoi(string(f[2]))
	if err != nil {
		return -1
	}
	return g
}
