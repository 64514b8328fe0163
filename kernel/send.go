package kernel

// Sending a signal (Linux's __send_signal_locked and complete_signal).
// A signal is thread-directed (tgkill, F_OWNER_TID, a pipe's SIGPIPE,
// SendSigInfo) or process-directed (kill, sigqueue, F_OWNER_PID,
// F_OWNER_PGRP, SIGCHLD): the first is queued on the thread, the second
// on the process, and then one thread is chosen to take it (SPEC T2).

// afterSend is what a send leaves to do once the process lock is dropped.
type afterSend int

const (
	sendDone    afterSend = iota
	sendKill              // the signal is fatal: the process exits
	sendStopped           // the process stopped: tell the parent
)

// sendSignal gives info to t (group false) or to t's process, t first
// (group true): stop and continue side effects, then discarded when
// ignored, coalesced with a pending standard signal, or queued, and the
// chosen thread interrupted, the process killed or stopped. EAGAIN when a
// real-time signal finds the queue full, ESRCH when the target is gone.
func (t *Task) sendSignal(info SigInfo, group bool) error {
	p := t.process
	sig := info.Signo
	p.mu.Lock()
	if p.exiting || (!group && t.dead) {
		p.mu.Unlock()
		traceSignalGenerate(t, &info, group, genDead)
		return ESRCH
	}
	continued := p.prepareLocked(sig)
	after, queued, err := p.queueLocked(t, info, group)
	p.mu.Unlock()
	if queued {
		p.sigQ.wakeUp(0, wakeTracedIfWaiters) // signalfd_notify
	}
	if continued {
		p.notifyParent(CLD_CONTINUED, SIGCONT)
	}
	switch after {
	case sendKill:
		p.terminate(sig)
	case sendStopped:
		p.notifyParent(CLD_STOPPED, sig)
	}
	return err
}

// queueLocked is the part of a send under p.mu after prepareLocked.
func (p *process) queueLocked(t *Task, info SigInfo, group bool) (after afterSend, queued bool, err error) {
	sig := info.Signo
	if p.ignoredLocked(t, sig) {
		traceSignalGenerateLocked(t, &info, group, genIgnored)
		return sendDone, false, nil
	}
	pend := &t.sigs
	if group {
		pend = &p.shared
	}
	var added bool
	switch {
	case sig < 32 || p.nrt < p.k.sigPendingMax:
		added = pend.queue(info) // false: a standard signal already pending
		if added && sig >= 32 {
			p.nrt++
		}
	case info.Code != SI_USER && info.Code != SI_KERNEL:
		traceSignalGenerateLocked(t, &info, group, genOverflow)
		return sendDone, false, EAGAIN
	default:
		// kill(2) and the kernel's own signals are sent all the same,
		// their siginfo lost (TRACE_SIGNAL_LOSE_INFO): pending once.
		added = pend.raise(sig)
	}
	if !added {
		traceSignalGenerateLocked(t, &info, group, genCoalesced)
		return sendDone, false, nil
	}
	target := p.pickLocked(t, sig, group)
	if target == nil {
		traceSignalGenerateLocked(t, &info, group, genBlocked)
		return sendDone, true, nil // blocked everywhere: it waits
	}
	blocked := target.mask
	if target.inWait {
		blocked = target.realBlocked
	}
	switch p.dispositionLocked(sig) {
	case dispTerminate:
		if !blocked.Has(sig) {
			traceSignalGenerateLocked(target, &info, group, genFatal)
			return sendKill, true, nil
		}
	case dispStop:
		if !blocked.Has(sig) {
			traceSignalGenerateLocked(target, &info, group, genStop)
			pend.take(sig)
			p.stopLocked(sig)
			return sendStopped, true, nil
		}
	}
	traceSignalGenerateLocked(target, &info, group, genQueued)
	traceSignalInterrupts(target, sig)
	target.signalWakeLocked()
	return sendDone, true, nil
}

// ignoredLocked is Linux's sig_ignored: a signal the target thread blocks
// (or waits for in Sigtimedwait) is never ignored at send time, since
// the disposition may change before it is unblocked; otherwise one whose
// disposition ignores it is discarded. SIGKILL and SIGSTOP never are.
func (p *process) ignoredLocked(t *Task, sig int) bool {
	if t.mask.Has(sig) || (t.inWait && t.realBlocked.Has(sig)) {
		return false
	}
	return p.dispositionLocked(sig) == dispIgnore
}

// prepareLocked is prepare_signal's job control: a stop signal discards
// pending SIGCONTs; SIGCONT discards pending stop signals and ends a
// stop, whatever its disposition. It reports whether a stop ended.
func (p *process) prepareLocked(sig int) (continued bool) {
	switch {
	case stopSignals.Has(sig):
		p.discardLocked(SigsetOf(SIGCONT))
	case sig == SIGCONT:
		p.discardLocked(stopSignals)
		if p.stopped {
			p.stopped = false
			p.stopSig = 0
			for _, th := range p.threads {
				th.recalcLocked()
			}
			p.stopQ.wakeUp(0, wakeTracedIfWaiters)
			return true
		}
	}
	return false
}

// pickLocked chooses the thread that takes sig (complete_signal): t if
// it can; for a process-directed signal, else the first other thread
// that can; nil when every candidate blocks it (it stays pending). A
// stopped process takes nothing but SIGKILL.
func (p *process) pickLocked(t *Task, sig int, group bool) *Task {
	if p.wantsLocked(t, sig) {
		return t
	}
	if !group {
		return nil
	}
	for _, th := range p.threads {
		if p.wantsLocked(th, sig) {
			return th
		}
	}
	return nil
}

// wantsLocked is wants_signal: th is alive and does not block sig.
func (p *process) wantsLocked(th *Task, sig int) bool {
	if th.dead || th.mask.Has(sig) {
		return false
	}
	return sig == SIGKILL || !p.stopped
}

// signalWakeLocked is signal_wake_up: the thread has a signal to take,
// and each of its interruptible calls is cancelled so that it reaches a
// safe point. p.mu is held.
func (t *Task) signalWakeLocked() {
	t.npending.Store(1)
	for _, c := range t.calls {
		c.cancel(callSignal)
	}
}

// recalcLocked is recalc_sigpending: t.npending says whether a signal is
// deliverable to t (its own or its process's, not blocked) or the process
// is stopped. p.mu is held.
func (t *Task) recalcLocked() {
	if !t.dead && (t.stopped || (t.sigs.set|t.shared.set)&^t.mask != 0) {
		t.npending.Store(1)
	} else {
		t.npending.Store(0)
	}
}

// retargetLocked is retarget_shared_pending: t has just blocked the
// signals in blocked, so the process-directed ones pending among them go
// to another thread that can take them. p.mu is held.
func (t *Task) retargetLocked(blocked Sigset) {
	p := t.process
	todo := p.shared.set & blocked
	for _, th := range p.threads {
		if todo == 0 {
			return
		}
		if th == t || th.dead {
			continue
		}
		if wake := todo &^ th.mask; wake != 0 {
			todo &^= wake
			th.signalWakeLocked()
		}
	}
}

// setMaskLocked makes mask t's blocked set (SIGKILL and SIGSTOP stay
// unblocked), handing newly blocked process-directed signals to other
// threads. p.mu is held.
func (t *Task) setMaskLocked(mask Sigset) {
	mask &^= unblockable
	newly := mask &^ t.mask
	t.mask = mask
	if newly != 0 {
		t.retargetLocked(newly)
	}
	t.recalcLocked()
}
