package linux

// The SIGPOLL si_codes: which kind of readiness a signal-driven I/O
// signal reports (include/uapi/asm-generic/siginfo.h).
const (
	POLL_IN  = 1 // data input available
	POLL_OUT = 2 // output buffers available
	POLL_MSG = 3 // input message available
	POLL_ERR = 4 // i/o error
	POLL_PRI = 5 // high priority input available
	POLL_HUP = 6 // device disconnected
)

// Poll mask bits as poll(2) and si_band report them
// (include/uapi/asm-generic/poll.h).
const (
	POLLIN     = 0x001
	POLLPRI    = 0x002
	POLLOUT    = 0x004
	POLLERR    = 0x008
	POLLHUP    = 0x010
	POLLNVAL   = 0x020
	POLLRDNORM = 0x040
	POLLRDBAND = 0x080
	POLLWRNORM = 0x100
	POLLWRBAND = 0x200
	POLLMSG    = 0x400
)

// bandTable is fs/fcntl.c's band_table: the si_band that goes with each
// si_code.
var bandTable = [...]uint32{
	POLL_IN:  POLLIN | POLLRDNORM,
	POLL_OUT: POLLOUT | POLLWRNORM | POLLWRBAND,
	POLL_MSG: POLLIN | POLLRDNORM | POLLMSG,
	POLL_ERR: POLLERR,
	POLL_PRI: POLLPRI | POLLRDBAND,
	POLL_HUP: POLLHUP | POLLERR,
}

// BandMask returns the poll mask Linux puts in si_band for the si_code
// band (POLL_IN..POLL_HUP), and 0 for any other value.
func BandMask(band int) uint32 {
	if band < POLL_IN || band > POLL_HUP {
		return 0
	}
	return bandTable[band]
}

// BandOf returns the si_code whose si_band is mask, and false when no
// code has that mask.
func BandOf(mask uint32) (int, bool) {
	for b := POLL_IN; b <= POLL_HUP; b++ {
		if bandTable[b] == mask {
			return b, true
		}
	}
	return 0, false
}
