package kernel

import "sort"

// mayKill is the permission rule for kill(2) and for fasync notifications
// (SPEC A10): root may signal anyone; otherwise the sender's real or
// effective uid must match the target's real or saved uid.
func mayKill(from, to Cred) bool {
	return from.EUID == 0 ||
		from.UID == to.UID || from.UID == to.SUID ||
		from.EUID == to.UID || from.EUID == to.SUID
}

// Kill sends sig from t, as kill(2): pid > 0 is that process (a
// thread's id names its process, that thread first); 0 is t's own
// process group; -1 is every process t may signal except t's own; pid <
// -1 is every member of process group -pid (SPEC S4). The signal is
// process-directed: one thread that does not block it takes it, the
// main thread first (T2). sig 0 only checks that the target exists and
// may be signalled. Errors: EINVAL for a signal outside 0..64; ESRCH
// when no process matches; EPERM when t may signal none of them (the
// permission rule). A real-time signal that finds the queue full
// (Config.SigPendingMax) is still sent, its siginfo lost: it is pending
// once, and delivered as SI_USER from pid 0.
// For several targets it succeeds if any target got the signal, as
// Linux does. A signal t sends its own thread is delivered before Kill
// returns: Kill is a safe point, so a driver signalling the task it runs
// for uses SendSigInfo instead, which runs no handler.
func (t *Task) Kill(pid, sig int) (err error) {
	defer t.safePoint()
	if sc := t.sysEnter(sysKill, -1, pid, sig); sc != nil {
		defer sc.exit(nil, &err)
	}
	if sig < 0 || sig >= NSIG {
		return EINVAL // the arguments first, as Tgkill checks them
	}
	if !t.Alive() {
		return ESRCH
	}
	return t.k.kill(pid, t.userInfo(sig, SI_USER), &t.cred, t)
}

// userInfo is the siginfo of a signal t sends: its pid and real uid.
func (t *Task) userInfo(sig, code int) SigInfo {
	return SigInfo{Signo: sig, Code: code, Pid: t.pid, Uid: t.cred.UID}
}

// Sigqueue sends sig with value to process pid (sigqueue(3)): the
// handler sees Code SI_QUEUE and the value. pid must name one process
// (ESRCH otherwise); the other rules are Kill's, except that a real-time
// signal finding the queue full fails with EAGAIN.
func (t *Task) Sigqueue(pid, sig int, value any) error {
	defer t.safePoint()
	switch {
	case sig < 0 || sig >= NSIG:
		return EINVAL
	case !t.Alive() || pid <= 0:
		return ESRCH
	}
	info := t.userInfo(sig, SI_QUEUE)
	info.Value = value
	return t.k.kill(pid, info, &t.cred, t)
}

// Tgkill sends sig to thread tid of process tgid (tgkill(2)): the signal
// is thread-directed, so only that thread takes it (SPEC T2), with Code
// SI_TKILL. EINVAL for tgid or tid <= 0 or a signal outside 0..64, ESRCH
// when tid is not a live thread of process tgid (the main thread of an
// exited child not yet reaped still counts: the call succeeds and does
// nothing, as kill(2) of it), EPERM by the permission rule, EAGAIN for a
// full real-time queue. sig 0 only checks.
func (t *Task) Tgkill(tgid, tid, sig int) error {
	defer t.safePoint()
	if tgid <= 0 {
		return EINVAL
	}
	return t.tkill(tgid, tid, sig)
}

// Tkill is tkill(2): Tgkill without the process check.
func (t *Task) Tkill(tid, sig int) error {
	defer t.safePoint()
	return t.tkill(-1, tid, sig)
}

// tkill is do_tkill: tgid -1 matches any process.
func (t *Task) tkill(tgid, tid, sig int) (err error) {
	if sc := t.sysEnter(sysTgkill, -1, tid, sig); sc != nil {
		defer sc.exit(nil, &err)
	}
	if tid <= 0 || sig < 0 || sig >= NSIG {
		return EINVAL
	}
	if !t.Alive() {
		return ESRCH
	}
	target, ok := t.k.Task(tid)
	if !ok && (tgid <= 0 || tgid == tid) {
		// The main thread of an exited process not yet reaped still
		// exists, as kill(2) of it finds (killZombie).
		return t.k.killZombie(tid, &t.cred)
	}
	if !ok || (tgid > 0 && target.pid != tgid) {
		return ESRCH
	}
	if !mayKill(t.cred, target.cred) {
		return EPERM
	}
	if sig == 0 {
		return nil
	}
	return target.sendSignal(t.userInfo(sig, SI_TKILL), false)
}

// Kill sends sig from the kernel itself (Code SI_KERNEL, Pid 0, no
// permission check). pid selects targets as Task.Kill does, with no
// calling task: pid 0 matches nothing (ESRCH) and -1 is every process.
// A full real-time queue loses the siginfo, as for Task.Kill.
func (k *Kernel) Kill(pid, sig int) error {
	return k.kill(pid, SigInfo{Signo: sig, Code: SI_KERNEL}, nil, nil)
}

// kill sends info to the processes pid selects, checking cred (nil: the
// kernel, always allowed).
func (k *Kernel) kill(pid int, info SigInfo, cred *Cred, self *Task) error {
	if info.Signo < 0 || info.Signo >= NSIG {
		return EINVAL
	}
	if pid > 0 { // one process: no target slice
		t, ok := k.lookup(pid)
		if !ok {
			return k.killZombie(pid, cred)
		}
		return signalOne(t, info, cred)
	}
	targets := k.targets(pid, self)
	if len(targets) == 0 {
		return ESRCH
	}
	var last error
	delivered := false
	for _, t := range targets {
		err := signalOne(t, info, cred)
		if err == nil {
			delivered = true
		} else {
			last = err
		}
	}
	if delivered {
		return nil
	}
	return last
}

// killZombie is kill(2) of pid when no live process has it: an exited
// child not yet reaped still exists, so the kill succeeds (after the
// permission check) and does nothing, as Linux's prepare_signal drops a
// signal to an exiting group; any other pid is ESRCH.
func (k *Kernel) killZombie(pid int, cred *Cred) error {
	k.mu.RLock()
	z := k.zombies[pid]
	k.mu.RUnlock()
	if z == nil {
		return ESRCH
	}
	if cred != nil && !mayKill(*cred, z.cred) {
		return EPERM
	}
	return nil
}

// signalOne sends info to t's process, t first, after the permission
// check.
func signalOne(t *Task, info SigInfo, cred *Cred) error {
	if cred != nil && !mayKill(*cred, t.cred) {
		return EPERM
	}
	if info.Signo == 0 {
		if t.gone.Load() {
			return ESRCH
		}
		return nil
	}
	return t.sendSignal(info, true)
}

// targets returns the main threads of the live processes a pid <= 0
// selects, by pid.
func (k *Kernel) targets(pid int, self *Task) []*Task {
	switch {
	case pid == 0:
		if self == nil {
			return nil
		}
		return k.groupMembers(self.Pgid())
	case pid == -1:
		return k.allProcessesBut(self)
	case -pid > 0: // -pid overflows for the most negative int
		return k.groupMembers(-pid)
	}
	return nil
}

// allProcessesBut returns the main threads of every live process except
// self's, by pid.
func (k *Kernel) allProcessesBut(self *Task) []*Task {
	k.mu.RLock()
	all := make([]*Task, 0, len(k.procs))
	for _, p := range k.procs {
		if self == nil || p != self.process {
			all = append(all, p.leader)
		}
	}
	k.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return all[i].pid < all[j].pid })
	return all
}

// SendSigInfo queues info on thread t as the kernel does on a driver's
// behalf (Linux's send_sig_info, thread-directed): a pipe driver sends
// SIGPIPE to the writing thread this way, with Code SI_USER and Pid the
// writer's own, as Linux's send_sig(SIGPIPE, current, 0) reports it.
// There is no permission check, and it is not a safe point: no handler
// runs on the calling goroutine, so a driver may call it with its own
// locks held, from inside a call of t itself (TaskFromContext). The
// signal takes effect as any other does (doc.go, "Delivery model"):
// ignored, fatal at once, or queued on t with t's blocking calls
// interrupted unless t blocks it — the current call included, which
// should therefore not sleep again — and its handler runs at t's next
// safe point, at the latest when that call returns. Signo 0 only checks
// that t is alive. Errors: EINVAL for a signal outside 0..64, ESRCH for
// a dead thread, EAGAIN for a real-time signal finding the queue full
// (unless its Code is SI_USER or SI_KERNEL, which loses the siginfo
// instead, as Kill's does).
func (t *Task) SendSigInfo(info SigInfo) error {
	if info.Signo < 0 || info.Signo >= NSIG {
		return EINVAL
	}
	if info.Signo == 0 {
		if !t.Alive() {
			return ESRCH
		}
		return nil
	}
	return t.sendSignal(info, false)
}
