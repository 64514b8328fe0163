package sigio

import (
	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/linux"
)

// Devices exported by devfs (fasync mount) are files on FUSE, which keeps
// no O_ASYNC: F_SETFL accepts it and F_GETFL never shows it. The export's
// signal bridge reads the owner and F_SETSIG from the client's own open
// file instead and queues the signal itself (SPEC F). It marks every
// device file with an extended attribute, and arming accepts a file that
// carries it although O_ASYNC did not stick (SPEC F7; R2 still refuses
// everything else).
//
// A bridged signal comes with si_code SI_SIGIO, since no process may send
// another a kernel code such as POLL_IN; SI_SIGIO has the layout of the
// POLL_* codes, so signalfd reports its si_band and si_fd as ssi_band and
// ssi_fd, as for a kernel fasync signal (SPEC F3). The kernel itself sends
// SI_SIGIO only for signals with codes of their own (SIGCHLD and the
// like), never for the real-time signals a Watcher uses.

// bridged reports whether fd is a file whose signals a devfs bridge sends.
func bridged(fd int) bool {
	var buf [8]byte
	n, err := unix.Fgetxattr(fd, linux.XattrSigio, buf[:])
	return err == nil && n > 0
}

// bridgedEvent decodes a signal the bridge sent: its descriptor, band and
// mask. ok is false for any other signal.
func bridgedEvent(si *unix.SignalfdSiginfo) (fd int, band Band, mask uint32, ok bool) {
	if si.Code != linux.SI_SIGIO {
		return 0, 0, 0, false
	}
	b, ok := linux.BandOf(si.Band)
	if !ok {
		return 0, 0, 0, false
	}
	return int(si.Fd), Band(b), si.Band, true
}
