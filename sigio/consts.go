package sigio

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/linux"
)

// Owner types for F_SETOWN_EX and F_GETOWN_EX (include/uapi/asm-generic/fcntl.h).
// golang.org/x/sys/unix has F_SETOWN_EX but not these.
const (
	F_OWNER_TID  = linux.F_OWNER_TID  // the owner is one thread
	F_OWNER_PID  = linux.F_OWNER_PID  // the owner is a process (thread group)
	F_OWNER_PGRP = linux.F_OWNER_PGRP // the owner is a process group
)

// A Band is the si_code of a signal-driven I/O signal: which kind of
// readiness the descriptor reports (include/uapi/asm-generic/siginfo.h).
type Band int32

// The SIGPOLL si_codes. The kernel sends one per notification; si_band
// carries the matching poll mask (A8 in the SPEC).
const (
	POLL_IN  Band = linux.POLL_IN  // data input available
	POLL_OUT Band = linux.POLL_OUT // output buffers available
	POLL_MSG Band = linux.POLL_MSG // input message available
	POLL_ERR Band = linux.POLL_ERR // i/o error
	POLL_PRI Band = linux.POLL_PRI // high priority input available
	POLL_HUP Band = linux.POLL_HUP // device disconnected
)

var bandNames = [...]string{
	POLL_IN:  "POLL_IN",
	POLL_OUT: "POLL_OUT",
	POLL_MSG: "POLL_MSG",
	POLL_ERR: "POLL_ERR",
	POLL_PRI: "POLL_PRI",
	POLL_HUP: "POLL_HUP",
}

// String returns the Linux name of b (POLL_IN ...), or "Band(n)" for a value
// the kernel never sends.
func (b Band) String() string {
	if b >= POLL_IN && b <= POLL_HUP {
		return bandNames[b]
	}
	return fmt.Sprintf("Band(%d)", int32(b))
}

// valid reports whether b is one of the six codes a fasync signal carries.
func (b Band) valid() bool { return b >= POLL_IN && b <= POLL_HUP }

// Poll mask bits as si_band and poll(2) report them (include/uapi/asm-generic/poll.h).
const (
	POLLIN     = linux.POLLIN
	POLLPRI    = linux.POLLPRI
	POLLOUT    = linux.POLLOUT
	POLLERR    = linux.POLLERR
	POLLHUP    = linux.POLLHUP
	POLLNVAL   = linux.POLLNVAL
	POLLRDNORM = linux.POLLRDNORM
	POLLRDBAND = linux.POLLRDBAND
	POLLWRNORM = linux.POLLWRNORM
	POLLWRBAND = linux.POLLWRBAND
	POLLMSG    = linux.POLLMSG
)

// Mask returns the poll mask the kernel puts in si_band for b (Linux's
// band_table), or 0 for an invalid band.
func (b Band) Mask() uint32 { return linux.BandMask(int(b)) }

// Signal numbers a Watcher may use. 32 and 33 belong to glibc's threads and
// 34 (SIGRTMIN as glibc reports it) is commonly taken; the Go runtime uses
// none of the real-time signals but does use SIGURG for preemption.
const (
	MinSignal = 35
	MaxSignal = 64
	// DefaultSignal is used when Options.Signal is zero. Nothing in libc,
	// the Go runtime or this project claims it; if another Watcher of this
	// process holds it, the next free signal up (wrapping within
	// MinSignal..MaxSignal) is chosen.
	DefaultSignal = 45
)

// sigaddset adds sig to set, as sigaddset(3) does.
func sigaddset(set *unix.Sigset_t, sig unix.Signal) {
	n := uint(sig - 1)
	set.Val[n/64] |= 1 << (n % 64)
}
