package kernel

// Exit ends the whole process, as ExitGroup(0).
func (t *Task) Exit() { t.ExitGroup(0) }

// ExitGroup ends the process (exit_group(2)): every thread becomes dead
// (signals to it are discarded, owners naming it are skipped, SPEC A6),
// their blocked calls return EBADF, every descriptor is closed as by
// Close, and the parent, if any, gets SIGCHLD and an exit status with
// code&0xff for Wait4 (T5). ExitGroup is idempotent: only the first
// exit of a process sets its status.
func (t *Task) ExitGroup(code int) {
	if sc := t.sysEnter(sysExitGroup, -1, code, 0); sc != nil {
		defer sc.exit(nil, nil)
	}
	p := t.process
	first := p.markExited(false)
	p.closeAll()
	if first {
		p.notifyExit(exitedStatus(code))
	}
}

// ExitThread ends this thread only (the exit system call, pthread_exit):
// its blocked calls return EBADF, its thread-directed pending signals are
// discarded, and process-directed ones go to the other threads. The last
// thread's exit ends the process with status 0, as ExitGroup(0). An
// owner naming the thread (F_OWNER_TID) is then gone (T2); the process
// keeps its pid for F_OWNER_PID and kill(2) while any thread lives, even
// when the thread that exits is the main one.
func (t *Task) ExitThread() {
	p := t.process
	k := p.k
	k.mu.Lock()
	p.mu.Lock()
	if t.dead {
		p.mu.Unlock()
		k.mu.Unlock()
		return
	}
	if len(p.threads) == 1 {
		p.mu.Unlock()
		k.mu.Unlock()
		t.ExitGroup(0)
		return
	}
	p.removeThreadLocked(t)
	t.retargetLocked(t.shared.set)
	if k.tasks[t.Tid()] == t {
		delete(k.tasks, t.Tid())
	}
	p.mu.Unlock()
	k.mu.Unlock()
	p.stopQ.wakeUp(0, wakeTracedIfWaiters)
}

// killLocked marks thread t dead: its pending signals go, and its blocked
// calls return EBADF. p.mu is held.
func (t *Task) killLocked() {
	t.dead = true
	t.alive.Store(false)
	t.nrt -= len(t.sigs.rt)
	t.sigs = sigPending{}
	t.npending.Store(0)
	for _, c := range t.calls {
		c.cancel(callBadf)
	}
}

// removeThreadLocked kills t and takes it off the process's thread list.
// p.mu is held.
func (p *process) removeThreadLocked(t *Task) {
	t.killLocked()
	for i, th := range p.threads {
		if th == t {
			p.threads = append(p.threads[:i], p.threads[i+1:]...)
			break
		}
	}
}

// terminate is a fatal signal's action: the process dies at once with
// status "killed by sig", and its descriptors are closed on a goroutine
// of their own, because the sender may be a driver holding its own lock
// (kill_fasync from a write) and closing runs that driver's Release.
// Kernel.Close waits for it.
func (p *process) terminate(sig int) {
	if !p.markExited(true) {
		return
	}
	go func() {
		p.closeAll()
		p.notifyExit(signaledStatus(sig))
		p.k.exitFinished()
	}()
}

// markExited takes p out of the kernel's tables, kills its threads and
// discards its pending signals. It reports whether p was alive; async
// counts the caller's closing goroutine in k.exiting.
func (p *process) markExited(async bool) bool {
	k := p.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.procs[p.pid] != p {
		return false
	}
	delete(k.procs, p.pid)
	k.leaveGroupLocked(p)
	if async {
		k.exiting++
	}
	p.mu.Lock()
	p.exiting = true
	p.gone.Store(true)
	for _, th := range p.threads {
		th.killLocked()
		if k.tasks[th.Tid()] == th {
			delete(k.tasks, th.Tid())
		}
	}
	p.threads = nil
	p.shared = sigPending{}
	p.nrt = 0
	p.stopped = false
	p.mu.Unlock()
	p.stopQ.wakeUp(0, wakeTracedIfWaiters)
	return true
}

// closeAll closes every descriptor of an exited process.
func (p *process) closeAll() {
	p.mu.Lock()
	fds := p.fds
	p.fds = nil
	for _, e := range fds {
		if e != nil {
			e.closed.Store(true)
		}
	}
	p.mu.Unlock()
	for _, e := range fds {
		if e != nil {
			e.closeQ.WakeUp()
			e.file.put()
		}
	}
}

// notifyExit is exit_notify: p's children are orphaned (its zombies
// reaped), and p becomes a zombie its parent reaps with Wait4 — or is
// reaped at once when the parent ignores SIGCHLD or set SA_NOCLDWAIT, or
// has none — and the parent gets SIGCHLD unless its action is SIG_IGN
// (T5).
func (p *process) notifyExit(status WaitStatus) {
	k := p.k
	k.mu.Lock()
	for _, c := range p.children {
		c.parent = nil
		delete(k.zombies, c.pid) // an orphaned zombie is reaped at once
	}
	p.children = nil
	parent := p.parent
	if parent == nil || k.procs[parent.pid] != parent {
		if parent != nil {
			parent.removeChildLocked(p)
		}
		p.parent = nil
		k.mu.Unlock()
		return
	}
	parent.mu.Lock()
	act := parent.actions[SIGCHLD]
	leader := parent.leader
	parent.mu.Unlock()
	if act.Ignore || act.Flags&SA_NOCLDWAIT != 0 {
		parent.removeChildLocked(p)
		p.parent = nil
	} else {
		p.zombie = true
		p.status = status
		k.zombies[p.pid] = p
	}
	k.mu.Unlock()
	if !act.Ignore { // SIG_IGN: no SIGCHLD at all, even a blocked one
		info := SigInfo{Signo: SIGCHLD, Code: CLD_EXITED, Pid: p.pid, Uid: p.cred.UID, Status: status.ExitStatus()}
		if status.Signaled() {
			info.Code, info.Status = CLD_KILLED, int(status.Signal())
		}
		_ = leader.sendSignal(info, true)
	}
	parent.childQ.WakeUp()
}

// removeChildLocked takes c off p's children. k.mu is held.
func (p *process) removeChildLocked(c *process) {
	for i, x := range p.children {
		if x == c {
			p.children = append(p.children[:i], p.children[i+1:]...)
			return
		}
	}
}
