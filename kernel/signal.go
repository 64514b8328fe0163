package kernel

// SigInfo is what a handler receives (SA_SIGINFO style, siginfo_t), and
// what Sigtimedwait returns.
type SigInfo struct {
	Signo int // signal number
	Code  int // si_code: SI_USER, SI_KERNEL, SI_QUEUE, SI_TKILL, CLD_EXITED.., or the band POLL_IN.. for F_SETSIG'd fasync signals
	Pid   int // sender pid (0 for the kernel); the child's pid for SIGCHLD
	Fd    int // descriptor (fasync signals with F_SETSIG != 0)
	Band  int // poll mask per SPEC A8 (fasync signals with F_SETSIG != 0)
	Value any // sigqueue value
	// Uid is the sender's real uid (si_uid) for kill, tgkill, sigqueue
	// and SIGCHLD; 0 for the kernel.
	Uid int
	// Status is SIGCHLD's si_status: the exit code (CLD_EXITED) or the
	// signal (CLD_KILLED, CLD_STOPPED, CLD_CONTINUED).
	Status int
}

// Sigaction is a signal's disposition (struct sigaction).
type Sigaction struct {
	// Handler runs on one of the thread's goroutines at a safe point.
	// nil with Ignore false is the default action (SIG_DFL).
	Handler func(t *Task, info *SigInfo)
	// Ignore is SIG_IGN: the signal is discarded when sent (unless the
	// target blocks it) and when it would be delivered.
	Ignore bool
	// Mask is sa_mask: added to the thread's mask while the handler runs
	// (SPEC S6); SIGKILL and SIGSTOP are taken out of it.
	Mask Sigset
	// Flags: SA_RESTART restarts interrupted calls after the handler
	// (SPEC S3); SA_NODEFER leaves the signal itself unblocked while its
	// handler runs and SA_RESETHAND restores the default action (Handler
	// nil; Flags and Mask stay, as in Linux) when the signal is delivered
	// (S6); SA_NOCLDSTOP and SA_NOCLDWAIT on SIGCHLD
	// ask for no SIGCHLD when a child stops or continues, and for no
	// zombies (T5). SA_SIGINFO is accepted and implied: every handler
	// gets the SigInfo.
	Flags int
}

// disposition is what delivering a signal does.
type disposition int

const (
	dispIgnore    disposition = iota // discard
	dispTerminate                    // the process exits
	dispHandle                       // run the handler
	dispStop                         // the process stops
)

// Signal masks of the default-action table (signal(7); Linux's
// SIG_KERNEL_*_MASK).
const (
	// defaultIgnore: SIGCHLD, SIGURG, SIGWINCH and SIGCONT (which also
	// continues a stopped process, whatever its disposition).
	defaultIgnore = Sigset(1<<(SIGCHLD-1) | 1<<(SIGURG-1) | 1<<(SIGWINCH-1) | 1<<(SIGCONT-1))
	// stopSignals stop the process by default.
	stopSignals = Sigset(1<<(SIGSTOP-1) | 1<<(SIGTSTP-1) | 1<<(SIGTTIN-1) | 1<<(SIGTTOU-1))
)

// defaultAction is sig's default action: ignore, stop, or terminate (the
// rest, the core-dumping signals included: the model writes no core).
func defaultAction(sig int) disposition {
	switch {
	case defaultIgnore.Has(sig):
		return dispIgnore
	case stopSignals.Has(sig):
		return dispStop
	}
	return dispTerminate
}

// dispositionLocked returns what delivering sig does now. p.mu is held.
func (p *process) dispositionLocked(sig int) disposition {
	switch sig {
	case SIGKILL:
		return dispTerminate
	case SIGSTOP:
		return dispStop
	}
	a := &p.actions[sig]
	switch {
	case a.Ignore:
		return dispIgnore
	case a.Handler != nil:
		return dispHandle
	}
	return defaultAction(sig)
}

// Sigaction sets sig's disposition for the whole process and returns the
// previous one. EINVAL for a signal outside 1..64, for SIGKILL and
// SIGSTOP, and for an action that both ignores and handles. Setting an
// ignoring disposition (SIG_IGN, or SIG_DFL for a signal ignored by
// default) discards the signal's pending instances in every thread,
// blocked or not, as POSIX requires.
func (t *Task) Sigaction(sig int, act Sigaction) (old Sigaction, err error) {
	defer t.safePoint()
	if sig < 1 || sig >= NSIG || sig == SIGKILL || sig == SIGSTOP {
		return Sigaction{}, EINVAL
	}
	if act.Ignore && act.Handler != nil {
		return Sigaction{}, EINVAL
	}
	act.Mask &^= unblockable
	t.mu.Lock()
	defer t.mu.Unlock()
	old = t.actions[sig]
	t.actions[sig] = act
	if t.dispositionLocked(sig) == dispIgnore {
		t.discardLocked(SigsetOf(sig))
	}
	return old, nil
}

// discardLocked drops the pending instances of the signals in s from the
// process and every thread. p.mu is held.
func (p *process) discardLocked(s Sigset) {
	p.nrt -= p.shared.discard(s)
	for _, th := range p.threads {
		p.nrt -= th.sigs.discard(s)
		th.recalcLocked()
	}
}

// Pending returns the thread's pending signals, then its process's, each
// in the order they will be delivered; a real-time signal queued n times
// appears n times. Blocked signals are included.
func (t *Task) Pending() []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append(t.sigs.signals(), t.shared.signals()...)
}
