package kernel

// NewThread starts another thread in t's process, as clone(2) with
// CLONE_THREAD|CLONE_SIGHAND|CLONE_FILES (pthread_create) does (SPEC T1):
// the new thread has the same Pid, the next id of the pid space as its
// Tid, t's blocked mask, and no pending signals of its own; it shares
// the descriptor table, the handlers and the process-directed pending
// signals. name is the thread's name (Name). ESRCH when t's process is
// exiting or t has exited.
func (t *Task) NewThread(name string) (*Task, error) {
	defer t.safePoint()
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	p := t.process
	p.mu.Lock()
	defer p.mu.Unlock()
	if t.dead || p.exiting || k.closed {
		return nil, ESRCH
	}
	k.lastPid++
	th := newThread(p, k.lastPid, name)
	th.mask = t.mask
	th.alive.Store(true)
	p.threads = append(p.threads, th)
	k.tasks[th.Tid()] = th
	if p.stopped {
		th.npending.Store(1) // it stops at its first safe point
	}
	return th, nil
}

// Threads returns the ids of the process's live threads, in creation
// order (the main thread first while it lives).
func (t *Task) Threads() []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	tids := make([]int, 0, len(t.threads))
	for _, th := range t.threads {
		tids = append(tids, th.Tid())
	}
	return tids
}
