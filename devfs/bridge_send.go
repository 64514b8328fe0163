package devfs

import (
	"bytes"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/kernel"
)

// statusBufs are the buffers status files are read into.
var statusBufs = sync.Pool{New: func() any { return new([statusBufSize]byte) }}

// bandMask is the poll mask si_band carries for each band (SPEC A8;
// Linux's band_table).
var bandMask = [...]int64{
	kernel.POLL_IN:  0x041,
	kernel.POLL_OUT: 0x304,
	kernel.POLL_MSG: 0x441,
	kernel.POLL_ERR: 0x008,
	kernel.POLL_PRI: 0x082,
	kernel.POLL_HUP: 0x018,
}

// sigSpecificCodes reports whether sig has si_codes of its own, for which
// Linux sends SI_SIGIO instead of the band (fs/fcntl.c).
func sigSpecificCodes(sig int) bool {
	switch unix.Signal(sig) {
	case unix.SIGILL, unix.SIGFPE, unix.SIGSEGV, unix.SIGBUS, unix.SIGTRAP, unix.SIGCHLD, unix.SIGSYS:
		return true
	}
	return false
}

// deliver sends owner a's signal for band to target t, as Linux's
// send_sigio_to_task would, after the checks Linux does not need (F2, F4):
// the target's status is read now, a target that would be killed is
// skipped, and every recorded sender must be allowed to signal it. On a
// full real-time queue plain SIGIO goes instead (A7). inline says the
// caller is where the driver raised the notification: a process whose
// threads must each be looked at then reports false, for the worker.
func (b *bridge) deliver(w *watch, dup int, a *armedOwner, t *target, band int, inline bool) bool {
	buf := statusBufs.Get().(*[statusBufSize]byte)
	defer statusBufs.Put(buf)
	if inline {
		b.stats.inline.Add(1)
	}
	st, err := readStatusFd(t.statusFd, buf[:])
	if err != nil {
		return true // gone: nothing reaches it
	}
	sig := a.sig
	if sig == 0 {
		sig = int(unix.SIGIO)
	}
	switch b.safe(t, st, sig, inline) {
	case safeNo:
		b.stats.unsafe.Add(1)
		return true
	case safeIgnored:
		return true
	case safeAsk:
		return false
	}
	for _, c := range a.creds {
		if !c.mayKill(st.cred) {
			b.stats.refused.Add(1)
			return true
		}
	}
	info := siginfo{signo: int32(sig), code: siQueue}
	if a.sig != 0 {
		info.band, info.fd, info.mark = bandMask[band], a.siFd, BridgeMark
		if sigSpecificCodes(sig) {
			info.code = siSigio
		}
	}
	if inline {
		b.stats.inline.Add(2)
	}
	// Last look that a client still holds the file, right before the
	// signal goes (F5): the checks above took a while.
	if !kcmpSameFile(b.self, dup, a.holderPid, a.holderFd) {
		if inline {
			return false // the worker looks further
		}
		if !w.stillHeld(b) {
			return true
		}
	}
	err = sendSignal(t.pidfd, sig, &info, t.tid != 0)
	if err == unix.EAGAIN && sig != int(unix.SIGIO) {
		// The real-time queue is full: plain SIGIO, if that is safe too
		// (where only the worker can tell, it sends both again).
		switch b.safe(t, st, int(unix.SIGIO), inline) {
		case safeAsk:
			return false
		case safeNo, safeIgnored:
			return true
		}
		info = siginfo{signo: int32(unix.SIGIO), code: siQueue}
		err = sendSignal(t.pidfd, int(unix.SIGIO), &info, t.tid != 0)
	}
	if err == nil {
		b.stats.sent.Add(1)
		b.sent(w, band)
	}
	return true
}

type safety int

const (
	safeYes     safety = iota
	safeNo             // the default action would run: never send
	safeIgnored        // ignored: sending changes nothing
	safeAsk            // only every thread's mask can tell (worker)
)

// safe judges whether sig may go to t: caught, or blocked where it would
// be delivered (the thread, or every thread of the process). Ignored
// signals are not sent at all.
func (b *bridge) safe(t *target, st procStatus, sig int, inline bool) safety {
	bit := sigBit(sig)
	switch {
	case st.ign&bit != 0:
		return safeIgnored
	case st.cgt&bit != 0:
		return safeYes
	case st.blk&bit == 0:
		return safeNo
	case t.tid != 0 || st.threads <= 1:
		return safeYes
	case inline:
		return safeAsk
	}
	// A process-directed signal goes to any thread that does not block it.
	for _, tid := range pids("/proc/" + strconv.Itoa(t.pid) + "/task") {
		ts, err := readStatus("/proc/" + strconv.Itoa(t.pid) + "/task/" + strconv.Itoa(tid) + "/status")
		if err == nil && ts.blk&bit == 0 {
			return safeNo
		}
	}
	return safeYes
}

// deliverGroup sends a's signal for band to every member of the owning
// process group, each judged on its own.
func (b *bridge) deliverGroup(w *watch, dup int, a *armedOwner, band int) {
	pgid := int(a.own.pid)
	for _, pid := range pids("/proc") {
		if pid == b.self || statPgrp(pid) != pgid {
			continue
		}
		t := openTarget(pid, 0)
		if t == nil {
			continue
		}
		// The status read through the target's own file is the process
		// the pidfd names (or fails if it has gone): check the group again.
		buf := statusBufs.Get().(*[statusBufSize]byte)
		st, err := readStatusFd(t.statusFd, buf[:])
		statusBufs.Put(buf)
		if err == nil && st.pgid == pgid {
			b.deliver(w, dup, a, t, band, false)
		}
		t.close()
	}
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
