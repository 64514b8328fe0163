package kernel

import "math/bits"

// sigPending is one set of pending signals (Linux's struct sigpending):
// a thread's own, or its process's shared one (SPEC S1, T1). Standard
// signals (1..31) coalesce: one pending instance, the first siginfo kept.
// Real-time signals (32..64: the kernel's SIGRTMIN is 32, glibc reserves
// 32 and 33) queue in arrival order; the process counts them against
// Config.SigPendingMax. A real-time signal may also be in set with no
// instance in rt (raise): one pending instance whose siginfo was lost.
type sigPending struct {
	set Sigset      // the signals with at least one pending instance
	std [32]SigInfo // std[s] valid while s is in set
	rt  []SigInfo   // queued real-time signals, arrival order
}

// syncSignals are the signals Linux's next_signal takes first: those a
// fault raises.
const syncSignals = Sigset(1<<(SIGSEGV-1) | 1<<(SIGBUS-1) | 1<<(SIGILL-1) |
	1<<(SIGTRAP-1) | 1<<(SIGFPE-1) | 1<<(SIGSYS-1))

// stdSignals is the set of standard signals 1..31.
const stdSignals = Sigset(1<<31 - 1)

// queue adds info (a coalesced standard signal is dropped) and reports
// whether it added an instance.
func (p *sigPending) queue(info SigInfo) bool {
	s := info.Signo
	if s < 32 {
		if p.set.Has(s) {
			return false
		}
		p.std[s] = info
	} else {
		p.rt = append(p.rt, info)
	}
	p.set.Add(s)
	return true
}

// next returns the signal next_signal picks among the pending ones in
// allow: a fault's signal first, then the lowest number; 0 if none.
func (p *sigPending) next(allow Sigset) int {
	x := p.set & allow
	if x == 0 {
		return 0
	}
	if s := x & syncSignals; s != 0 {
		x = s
	}
	return bits.TrailingZeros64(uint64(x)) + 1
}

// raise makes real-time signal sig pending with no queued instance, its
// siginfo lost (kill(2) beyond the queue limit), and reports whether sig
// was not pending before.
func (p *sigPending) raise(sig int) bool {
	if p.set.Has(sig) {
		return false
	}
	p.set.Add(sig)
	return true
}

// take removes sig's first instance, which must be pending. A real-time
// signal pending with no instance queued (raise) gives the siginfo Linux
// gives for lost information: SI_USER from pid 0.
func (p *sigPending) take(sig int) SigInfo {
	if sig < 32 {
		info := p.std[sig]
		p.std[sig] = SigInfo{}
		p.set.Del(sig)
		return info
	}
	i, more := -1, false
	for j := range p.rt {
		if p.rt[j].Signo != sig {
			continue
		}
		if i < 0 {
			i = j
		} else {
			more = true
			break
		}
	}
	if i < 0 {
		p.set.Del(sig)
		return SigInfo{Signo: sig, Code: SI_USER}
	}
	info := p.rt[i]
	p.rt = append(p.rt[:i], p.rt[i+1:]...)
	if !more {
		p.set.Del(sig)
	}
	return info
}

// dequeue removes the next signal in allow, if any.
func (p *sigPending) dequeue(allow Sigset) (SigInfo, bool) {
	sig := p.next(allow)
	if sig == 0 {
		return SigInfo{}, false
	}
	return p.take(sig), true
}

// discard drops every pending instance of the signals in s and returns
// how many real-time instances went.
func (p *sigPending) discard(s Sigset) int {
	if p.set&s == 0 {
		return 0
	}
	for sig := 1; sig < 32; sig++ {
		if s.Has(sig) {
			p.std[sig] = SigInfo{}
		}
	}
	p.set &^= s & stdSignals
	kept, gone := p.rt[:0], 0
	for _, info := range p.rt {
		if s.Has(info.Signo) {
			gone++
			continue
		}
		kept = append(kept, info)
	}
	clear(p.rt[len(kept):])
	p.rt = kept
	p.set &^= s &^ stdSignals
	return gone
}

// signals lists the pending instances in delivery order; a real-time
// signal queued n times appears n times.
func (p *sigPending) signals() []int {
	var sigs []int
	for sig := 1; sig < 32; sig++ {
		if p.set.Has(sig) {
			sigs = append(sigs, sig)
		}
	}
	for sig := 32; sig < NSIG; sig++ {
		if !p.set.Has(sig) {
			continue
		}
		n := len(sigs)
		for _, info := range p.rt {
			if info.Signo == sig {
				sigs = append(sigs, sig)
			}
		}
		if len(sigs) == n { // raised with its siginfo lost
			sigs = append(sigs, sig)
		}
	}
	return sigs
}
