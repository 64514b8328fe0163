package linux

import "golang.org/x/sys/unix"

// si_code values a process may send (include/uapi/asm-generic/siginfo.h).
// rt_sigqueueinfo and pidfd_send_signal let a process send another only a
// negative code other than SI_TKILL.
const (
	SI_QUEUE = -1 // sigqueue(3): the SIL_RT layout (pid, uid, sigval)
	SI_TKILL = -6 // tkill/tgkill: refused from another process
	SI_SIGIO = -5 // a queued SIGIO: the SIL_POLL layout (band, fd)
)

// SigSpecificCodes reports whether sig has si_codes of its own, for which
// Linux's fasync sends SI_SIGIO instead of the POLL_* code
// (fs/fcntl.c send_sigio_to_task).
func SigSpecificCodes(sig int) bool {
	switch unix.Signal(sig) {
	case unix.SIGILL, unix.SIGFPE, unix.SIGSEGV, unix.SIGBUS, unix.SIGTRAP, unix.SIGCHLD, unix.SIGSYS:
		return true
	}
	return false
}

// PollSiginfo is siginfo_t in the SIL_POLL layout on 64-bit Linux, the
// one a fasync signal has: si_band (a long) at offset 16, si_fd (an int)
// at 24. signalfd reports these two words as ssi_band and ssi_fd only
// for an si_code of that layout (a POLL_* code, or SI_SIGIO).
type PollSiginfo struct {
	Signo, Errno, Code int32
	_                  int32
	Band               int64
	Fd                 int32
	_                  [100]byte
}
