package kernel

// Job control (SPEC S10): SIGSTOP, and SIGTSTP, SIGTTIN and SIGTTOU with
// their default action, stop the whole process; SIGCONT continues it
// (prepareLocked). A stopped process's threads take no signal but
// SIGKILL: each one holds at its next safe point — a blocked call is
// interrupted and its caller held there, then the call is restarted once
// the process continues, since no handler ran (Sigtimedwait returns
// EINTR instead, as signal(7) lists it) — and the parent hears of
// the stop and the continuation through SIGCHLD (CLD_STOPPED,
// CLD_CONTINUED, unless its SIGCHLD action has SA_NOCLDSTOP) and
// Wait4's WUNTRACED and WCONTINUED.

// stopLocked stops the process with sig and sends every thread to a safe
// point. p.mu is held.
func (p *process) stopLocked(sig int) {
	if p.stopped {
		return
	}
	p.stopped = true
	p.stopSig = sig
	p.stops++
	for _, th := range p.threads {
		th.signalWakeLocked()
	}
}

// notifyParent records a stop (why CLD_STOPPED) or continuation
// (CLD_CONTINUED) for the parent's Wait4 and sends the parent SIGCHLD
// unless its SIGCHLD action is SIG_IGN or has SA_NOCLDSTOP, as
// do_notify_parent_cldstop. No lock is held.
func (p *process) notifyParent(why, sig int) {
	k := p.k
	k.mu.Lock()
	parent := p.parent
	if parent == nil || p.zombie {
		k.mu.Unlock()
		return
	}
	if why == CLD_STOPPED {
		p.report = stoppedStatus(sig)
	} else {
		p.report = continuedStatus
	}
	p.reported = true
	parent.mu.Lock()
	act := parent.actions[SIGCHLD]
	leader := parent.leader
	parent.mu.Unlock()
	k.mu.Unlock()
	if !act.Ignore && act.Flags&SA_NOCLDSTOP == 0 {
		_ = leader.sendSignal(SigInfo{Signo: SIGCHLD, Code: why, Pid: p.pid, Uid: p.cred.UID, Status: sig}, true)
	}
	parent.childQ.WakeUp()
}
