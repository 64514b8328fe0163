package sigio

import "fmt"

// An Event is one notification from a Watcher.
//
// Most events come from a signal the kernel queued for a watched descriptor:
// Fd and Band are the signal's si_fd and si_code, Mask its si_band. Two kinds
// are synthesised instead, because the kernel sent no signal:
//   - Polled events come from a poll(2) of the descriptor right after Watch
//     (data already waiting raises no signal) or, with Options.Repoll, after
//     a Resync. Mask is then poll's revents.
//   - A Resync event (Fd -1, Band 0) says the kernel's real-time signal queue
//     overflowed and it fell back to a plain SIGIO without descriptor or band:
//     some notifications were not queued, so re-check every watched
//     descriptor (SPEC R1). Nothing is lost silently.
type Event struct {
	Fd     int    // the descriptor, as given to Watch; -1 for Resync
	Band   Band   // POLL_IN, POLL_OUT, POLL_HUP ...; 0 for Resync
	Mask   uint32 // si_band (POLLIN|POLLRDNORM ...), or poll revents if Polled
	Polled bool   // synthesised from poll(2), not carried by a signal
	Resync bool   // the signal queue overflowed: re-check every watched descriptor
}

// String describes e for logs, e.g. "fd 5 POLL_IN 0x41" or "resync".
func (e Event) String() string {
	if e.Resync {
		return "resync"
	}
	s := fmt.Sprintf("fd %d %v %#x", e.Fd, e.Band, e.Mask)
	if e.Polled {
		s += " (polled)"
	}
	return s
}
