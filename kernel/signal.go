package kernel

import (
	"math/bits"
	"sort"
)

// SigInfo is what a handler receives (SA_SIGINFO style, siginfo_t).
type SigInfo struct {
	Signo int // signal number
	Code  int // si_code: SI_USER, SI_KERNEL, SI_QUEUE, or the band POLL_IN.. for F_SETSIG'd fasync signals
	Pid   int // sender pid (0 for the kernel)
	Fd    int // descriptor (fasync signals with F_SETSIG != 0)
	Band  int // poll mask per SPEC A8 (fasync signals with F_SETSIG != 0)
	Value any // sigqueue value
}

// Sigaction is a signal's disposition.
type Sigaction struct {
	// Handler runs on one of the task's goroutines at a safe point. nil
	// with Ignore false is the default action.
	Handler func(t *Task, info *SigInfo)
	// Ignore is SIG_IGN: the signal is discarded when sent.
	Ignore bool
	// Flags: SA_RESTART restarts interrupted calls after the handler
	// (SPEC S3). SA_SIGINFO is accepted and implied: every handler gets
	// the SigInfo.
	Flags int
}

// disposition is what sending or delivering a signal does.
type disposition int

const (
	dispIgnore    disposition = iota // discard
	dispTerminate                    // the task exits
	dispHandle                       // queue, interrupt, run the handler
)

// defaultIgnored reports whether sig's default action is to ignore it.
// SIGIO is among them deliberately (SPEC S2: Linux terminates), so a
// notification reaching a task that never asked for one is harmless.
func defaultIgnored(sig int) bool {
	switch sig {
	case SIGIO, SIGCHLD, SIGURG, SIGWINCH, SIGCONT:
		return true
	}
	return false
}

// dispositionLocked returns what sig does to t now. t.mu must be held.
func (t *Task) dispositionLocked(sig int) disposition {
	if sig == SIGKILL || sig == SIGSTOP {
		return dispTerminate // cannot be caught or ignored; no stopped state in the model
	}
	a := &t.actions[sig]
	switch {
	case a.Ignore:
		return dispIgnore
	case a.Handler != nil:
		return dispHandle
	case defaultIgnored(sig):
		return dispIgnore
	}
	return dispTerminate
}

// sigPending is a task's set of pending signals (SPEC S1). Standard
// signals (1..31) coalesce: one pending instance, the first siginfo kept.
// Real-time signals (32..64: the kernel's SIGRTMIN is 32, glibc reserves
// 32 and 33) queue in arrival order up to the kernel's SigPendingMax.
type sigPending struct {
	mask uint32      // bit s set: standard signal s pending
	std  [32]SigInfo // std[s] valid while bit s is set
	rt   []SigInfo   // queued real-time signals, arrival order
}

// count returns the number of pending signal instances.
func (p *sigPending) count() int {
	return len(p.rt) + bits.OnesCount32(p.mask)
}

// queue adds info; EAGAIN when it is real-time and max are queued.
func (p *sigPending) queue(info SigInfo, max int) error {
	s := info.Signo
	if s < 32 {
		if p.mask&(1<<s) == 0 {
			p.mask |= 1 << s
			p.std[s] = info
		}
		return nil
	}
	if len(p.rt) >= max {
		return EAGAIN
	}
	p.rt = append(p.rt, info)
	return nil
}

// dequeue removes the next signal to deliver: the lowest-numbered one, in
// arrival order among real-time instances of one number, as Linux does.
func (p *sigPending) dequeue() (SigInfo, bool) {
	if p.mask != 0 {
		s := bits.TrailingZeros32(p.mask)
		p.mask &^= 1 << s
		info := p.std[s]
		p.std[s] = SigInfo{}
		return info, true
	}
	if len(p.rt) == 0 {
		return SigInfo{}, false
	}
	best := 0
	for i := range p.rt {
		if p.rt[i].Signo < p.rt[best].Signo {
			best = i
		}
	}
	info := p.rt[best]
	p.rt = append(p.rt[:best], p.rt[best+1:]...)
	return info, true
}

// discard drops every pending instance of sig.
func (p *sigPending) discard(sig int) {
	if sig < 32 {
		p.mask &^= 1 << sig
		p.std[sig] = SigInfo{}
		return
	}
	kept := p.rt[:0]
	for _, info := range p.rt {
		if info.Signo != sig {
			kept = append(kept, info)
		}
	}
	p.rt = kept
}

// send gives info to t according to its current disposition: discarded
// when ignored (ignored signals never become pending), the task terminated
// for a default-fatal signal, otherwise queued, with every blocking call
// of t interrupted so a goroutine of t reaches a safe point and runs the
// handler. It reports EAGAIN when a real-time signal finds the queue full
// and ESRCH when t is dead.
func (t *Task) send(info SigInfo) error {
	t.mu.Lock()
	if t.dead {
		t.mu.Unlock()
		traceSignalGenerate(t, &info, genDead)
		return ESRCH
	}
	switch t.dispositionLocked(info.Signo) {
	case dispIgnore:
		t.mu.Unlock()
		traceSignalGenerate(t, &info, genIgnored)
		return nil
	case dispTerminate:
		t.mu.Unlock()
		traceSignalGenerate(t, &info, genFatal)
		t.terminate()
		return nil
	}
	before := t.sigs.count()
	if err := t.sigs.queue(info, t.k.sigPendingMax); err != nil {
		t.mu.Unlock()
		traceSignalGenerate(t, &info, genOverflow)
		return err
	}
	t.npending.Store(int32(t.sigs.count()))
	traceSignalGenerate(t, &info, queueResult(before, t.sigs.count()))
	for _, c := range t.calls {
		traceSignalInterrupt(t, c, info.Signo)
		c.cancel(callSignal)
	}
	t.mu.Unlock()
	return nil
}

// Sigaction sets sig's disposition and returns the previous one. EINVAL
// for a signal outside 1..64, for SIGKILL and SIGSTOP, and for an action
// that both ignores and handles. Setting an ignoring disposition discards
// the signal's pending instances, as POSIX requires.
func (t *Task) Sigaction(sig int, act Sigaction) (old Sigaction, err error) {
	defer t.safePoint()
	if sc := t.sysEnter(sysSigaction, -1, sig, dispCode(act)); sc != nil {
		defer sc.exit(nil, &err)
	}
	if sig < 1 || sig >= NSIG || sig == SIGKILL || sig == SIGSTOP {
		return Sigaction{}, EINVAL
	}
	if act.Ignore && act.Handler != nil {
		return Sigaction{}, EINVAL
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old = t.actions[sig]
	t.actions[sig] = act
	if t.dispositionLocked(sig) == dispIgnore {
		t.sigs.discard(sig)
		t.npending.Store(int32(t.sigs.count()))
	}
	return old, nil
}

// Pending returns the task's pending signals in the order they will be
// delivered; a real-time signal queued n times appears n times.
func (t *Task) Pending() []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	var sigs []int
	for s := 1; s < 32; s++ {
		if t.sigs.mask&(1<<s) != 0 {
			sigs = append(sigs, s)
		}
	}
	rt := make([]int, 0, len(t.sigs.rt))
	for _, info := range t.sigs.rt {
		rt = append(rt, info.Signo)
	}
	sort.SliceStable(rt, func(i, j int) bool { return rt[i] < rt[j] })
	return append(sigs, rt...)
}
