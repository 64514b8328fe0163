package kernel

// Fork makes a child process of t's process, as fork(2) (SPEC T3): a new
// pid in the parent's process group, with one thread (the child's main
// thread, returned) whose mask is t's; a copy of the descriptor table
// naming the same open files (so the same flags, owners and fasync
// entries, A3: an F_SETOWN naming the parent stays with the parent), the
// descriptors' FD_CLOEXEC flags, and a copy of the handlers; no pending
// signals. The child's parent is t's process (Getppid), which reaps it
// with Wait4. name names the child's thread. ESRCH when t's process is
// exiting or the kernel is closed.
func (t *Task) Fork(name string) (*Task, error) {
	defer t.safePoint()
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	p := t.process
	p.mu.Lock()
	if t.dead || p.exiting || k.closed {
		p.mu.Unlock()
		return nil, ESRCH
	}
	k.lastPid++
	c := newProcess(k, k.lastPid, name, p.cred)
	c.pgid = p.pgid
	c.parent = p
	c.actions = p.actions
	c.mask = t.mask
	c.fds = make([]*fdEntry, len(p.fds))
	for fd, e := range p.fds {
		if e != nil {
			e.file.get()
			c.fds[fd] = &fdEntry{file: e.file, cloexec: e.cloexec}
		}
	}
	p.mu.Unlock()
	p.children = append(p.children, c.process)
	k.enterLocked(c)
	return c, nil
}

// Exec replaces the program of t's process, as execve(2) (SPEC T4): the
// descriptors with FD_CLOEXEC are closed (the last close of a file takes
// it off its fasync lists and releases it, A13), handled signals return
// to their default action while ignored ones stay ignored, the mask and
// the pending signals are kept, and every other thread ends; a thread
// other than the main one that execs becomes the main thread, taking the
// process's pid as its Tid. name is the new program's name (Name). ESRCH
// when the thread or its process has exited.
func (t *Task) Exec(name string) error {
	defer t.safePoint()
	k := t.k
	k.mu.Lock()
	p := t.process
	p.mu.Lock()
	if t.dead || p.exiting {
		p.mu.Unlock()
		k.mu.Unlock()
		return ESRCH
	}
	for _, th := range append([]*Task(nil), p.threads...) {
		if th != t {
			p.removeThreadLocked(th)
			if k.tasks[th.Tid()] == th {
				delete(k.tasks, th.Tid())
			}
		}
	}
	if t != p.leader { // de_thread: t takes over the main thread's id
		delete(k.tasks, t.Tid())
		t.tid.Store(int64(p.pid))
		k.tasks[p.pid] = t
		p.leader = t
	}
	t.name = name
	for sig := range p.actions {
		if p.actions[sig].Handler != nil {
			p.actions[sig] = Sigaction{}
		} else {
			p.actions[sig].Flags, p.actions[sig].Mask = 0, 0
		}
	}
	closing := p.closeOnExecLocked()
	t.recalcLocked()
	p.mu.Unlock()
	k.mu.Unlock()
	p.stopQ.WakeUp()
	for _, e := range closing {
		e.closeQ.WakeUp()
		e.file.put()
	}
	return nil
}

// closeOnExecLocked takes the FD_CLOEXEC descriptors out of the table
// and returns their slots for the caller to close. p.mu is held.
func (p *process) closeOnExecLocked() []*fdEntry {
	var closing []*fdEntry
	for fd, e := range p.fds {
		if e == nil || !e.cloexec {
			continue
		}
		p.fds[fd] = nil
		e.closed.Store(true)
		p.cancelCallsOnLocked(e)
		closing = append(closing, e)
	}
	return closing
}
