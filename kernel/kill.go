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

// Kill sends sig from t, as kill(2): pid > 0 is that task; 0 is t's own
// process group; -1 is every task t may signal except t; pid < -1 is
// every member of process group -pid (SPEC S4). sig 0 only checks that
// the target exists and may be signalled. Errors: EINVAL for a signal
// outside 0..64; ESRCH when no task matches; EPERM when t may signal none
// of them (the permission rule); EAGAIN when a real-time signal finds a
// full queue. For several targets it succeeds if any target got the
// signal, as Linux does. A signal t sends itself is delivered before Kill
// returns: Kill is a safe point, so a driver signalling the task it runs
// for uses SendSigInfo instead, which runs no handler.
func (t *Task) Kill(pid, sig int) (err error) {
	defer t.safePoint()
	if sc := t.sysEnter(sysKill, -1, pid, sig); sc != nil {
		defer sc.exit(nil, &err)
	}
	if !t.Alive() {
		return ESRCH
	}
	return t.k.kill(pid, SigInfo{Signo: sig, Code: SI_USER, Pid: t.pid}, &t.cred, t)
}

// Sigqueue sends sig with value to task pid (sigqueue(3)): the handler
// sees Code SI_QUEUE and the value. pid must name one task (ESRCH
// otherwise); the other rules are Kill's.
func (t *Task) Sigqueue(pid, sig int, value any) error {
	defer t.safePoint()
	if !t.Alive() {
		return ESRCH
	}
	if pid <= 0 {
		if sig < 0 || sig >= NSIG {
			return EINVAL
		}
		return ESRCH
	}
	return t.k.kill(pid, SigInfo{Signo: sig, Code: SI_QUEUE, Pid: t.pid, Value: value}, &t.cred, t)
}

// Kill sends sig from the kernel itself (Code SI_KERNEL, Pid 0, no
// permission check). pid selects targets as Task.Kill does, with no
// calling task: pid 0 matches nothing (ESRCH) and -1 is every task.
func (k *Kernel) Kill(pid, sig int) error {
	return k.kill(pid, SigInfo{Signo: sig, Code: SI_KERNEL}, nil, nil)
}

// kill sends info to the tasks pid selects, checking cred (nil: the
// kernel, always allowed).
func (k *Kernel) kill(pid int, info SigInfo, cred *Cred, self *Task) error {
	if info.Signo < 0 || info.Signo >= NSIG {
		return EINVAL
	}
	if pid > 0 { // one task: no target slice
		t, ok := k.Task(pid)
		if !ok {
			return ESRCH
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

// signalOne sends info to t after the permission check.
func signalOne(t *Task, info SigInfo, cred *Cred) error {
	if cred != nil && !mayKill(*cred, t.cred) {
		return EPERM
	}
	if info.Signo == 0 {
		if !t.Alive() {
			return ESRCH
		}
		return nil
	}
	return t.send(info)
}

// targets returns the live tasks a pid <= 0 selects, by pid.
func (k *Kernel) targets(pid int, self *Task) []*Task {
	switch {
	case pid == 0:
		if self == nil {
			return nil
		}
		return k.groupMembers(self.Pgid())
	case pid == -1:
		return k.allTasksBut(self)
	case -pid > 0: // -pid overflows for the most negative int
		return k.groupMembers(-pid)
	}
	return nil
}

// allTasksBut returns every live task except self, by pid.
func (k *Kernel) allTasksBut(self *Task) []*Task {
	k.mu.RLock()
	all := make([]*Task, 0, len(k.tasks))
	for _, t := range k.tasks {
		if t != self {
			all = append(all, t)
		}
	}
	k.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return all[i].pid < all[j].pid })
	return all
}

// SendSigInfo queues info on t as the kernel does on a driver's behalf
// (Linux's send_sig_info): a pipe driver sends SIGPIPE to the writing
// task this way, with Code SI_USER and Pid the writer's own, as Linux's
// send_sig(SIGPIPE, current, 0) reports it. There is no permission
// check, and it is not a safe point: no handler runs on the calling
// goroutine, so a driver may call it with its own locks held, from
// inside a call of t itself (TaskFromContext). The signal takes effect
// as any other does (doc.go, "Delivery model"): ignored, fatal at once,
// or queued with every blocking call of t interrupted — the current
// call included, which should therefore not sleep again — and its
// handler runs at t's next safe point, at the latest when that call
// returns. Signo 0 only checks that t is alive. Errors: EINVAL for a
// signal outside 0..64, ESRCH for a dead task, EAGAIN for a real-time
// signal finding the queue full.
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
	return t.send(info)
}
