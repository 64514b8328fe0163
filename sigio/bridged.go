package sigio

import "golang.org/x/sys/unix"

// Devices exported by devfs (fasync mount) are files on FUSE, which keeps
// no O_ASYNC: F_SETFL accepts it and F_GETFL never shows it. The export's
// signal bridge reads the owner and F_SETSIG from the client's own open
// file instead and queues the signal itself (SPEC F). It marks every
// device file with an extended attribute, and arming accepts a file that
// carries it although O_ASYNC did not stick (SPEC F7; R2 still refuses
// everything else).
//
// A bridged signal comes with si_code SI_QUEUE, since no process may send
// another a kernel code such as POLL_IN. Its siginfo has si_band (the
// poll mask) at offset 16, over si_pid and si_uid, and si_fd at 24, over
// the sigval, whose upper half holds BridgeMark. signalfd reports those
// words as ssi_pid, ssi_uid and ssi_ptr.

// BridgeXattr is the extended attribute devfs puts on exported device
// files while its signal bridge runs (devfs.XattrSigio).
const BridgeXattr = "user.fasync.sigio"

// BridgeMark is the upper half of a bridged signal's sigval
// (devfs.BridgeMark).
const BridgeMark = 0x46555345

// bridged reports whether fd is a file whose signals a devfs bridge sends.
func bridged(fd int) bool {
	var buf [8]byte
	n, err := unix.Fgetxattr(fd, BridgeXattr, buf[:])
	return err == nil && n > 0
}

// bridgedEvent decodes a signal the bridge sent: its descriptor, band and
// mask. ok is false for any other signal.
func bridgedEvent(si *unix.SignalfdSiginfo) (fd int, band Band, mask uint32, ok bool) {
	if si.Code != siQUEUE || uint32(si.Ptr>>32) != BridgeMark || si.Uid != 0 {
		return 0, 0, 0, false
	}
	mask = si.Pid
	for b := POLL_IN; b <= POLL_HUP; b++ {
		if b.Mask() == mask {
			return int(int32(uint32(si.Ptr))), b, mask, true
		}
	}
	return 0, 0, 0, false
}
