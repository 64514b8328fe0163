package kernel

// A Sigset is a set of signals 1..64, as Linux's sigset_t on x86-64: bit
// sig-1 is set when sig is in the set. The zero value is the empty set.
type Sigset uint64

// How Sigprocmask combines its set with the thread's mask (Linux values).
const (
	SIG_BLOCK   = 0 // add the set to the mask
	SIG_UNBLOCK = 1 // remove the set from the mask
	SIG_SETMASK = 2 // the set becomes the mask
)

// SigsetOf returns the set of the given signals; numbers outside 1..64
// are left out.
func SigsetOf(sigs ...int) Sigset {
	var s Sigset
	for _, sig := range sigs {
		s.Add(sig)
	}
	return s
}

// sigbit returns sig's bit, 0 for a number outside 1..64.
func sigbit(sig int) Sigset {
	if sig < 1 || sig >= NSIG {
		return 0
	}
	return 1 << uint(sig-1)
}

// Has reports whether sig is in the set (sigismember).
func (s Sigset) Has(sig int) bool { return s&sigbit(sig) != 0 }

// Add puts sig in the set (sigaddset); a number outside 1..64 is ignored.
func (s *Sigset) Add(sig int) { *s |= sigbit(sig) }

// Del takes sig out of the set (sigdelset).
func (s *Sigset) Del(sig int) { *s &^= sigbit(sig) }

// unblockable is what no mask can block: SIGKILL and SIGSTOP.
const unblockable = Sigset(1<<(SIGKILL-1) | 1<<(SIGSTOP-1))
