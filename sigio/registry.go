package sigio

import (
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// The process-wide bookkeeping every Watcher and Classic shares.
//
// regMu guards both maps. signalsInUse holds the real-time signals claimed
// by live Watchers; classics holds the live Classics, which a Watcher nudges
// whenever its signalfd takes a SIGIO: signalfd dequeues process-directed
// signals as well as those aimed at its thread, so a SIGIO meant for
// os/signal can end up there and must be passed on, not swallowed.
var (
	regMu        sync.Mutex
	signalsInUse = map[unix.Signal]bool{}
	classics     = map[*Classic]bool{}
)

// claimSignal reserves sig for a new Watcher. Zero picks DefaultSignal or,
// if that is taken, the next free one up (wrapping within the range).
func claimSignal(sig int) (unix.Signal, error) {
	regMu.Lock()
	defer regMu.Unlock()
	if sig != 0 {
		s := unix.Signal(sig)
		if sig < MinSignal || sig > MaxSignal {
			return 0, ErrSignalRange
		}
		if signalsInUse[s] || signal.Ignored(syscall.Signal(s)) {
			return 0, ErrSignalInUse
		}
		signalsInUse[s] = true
		return s, nil
	}
	for i := 0; i <= MaxSignal-MinSignal; i++ {
		s := unix.Signal(MinSignal + (DefaultSignal-MinSignal+i)%(MaxSignal-MinSignal+1))
		if !signalsInUse[s] && !signal.Ignored(syscall.Signal(s)) {
			signalsInUse[s] = true
			return s, nil
		}
	}
	return 0, ErrSignalInUse
}

func releaseSignal(sig unix.Signal) {
	regMu.Lock()
	delete(signalsInUse, sig)
	regMu.Unlock()
}

// nudgeClassics passes a SIGIO taken by a Watcher's signalfd on to every
// live Classic (see the comment on the registry).
func nudgeClassics() {
	regMu.Lock()
	for c := range classics {
		c.nudge()
	}
	regMu.Unlock()
}
