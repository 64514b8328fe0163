package kernel

import "sync/atomic"

// An fdEntry is one slot of a task's descriptor table.
type fdEntry struct {
	file    *File
	cloexec bool // FD_CLOEXEC; guarded by Task.mu (Exec closes the descriptor)
	// closed is set (under Task.mu) when the descriptor leaves the table;
	// closeQ is woken then, so a poll over it reports POLLNVAL.
	closed atomic.Bool
	closeQ WaitQueue
}

// cancelCallsOnLocked interrupts with EBADF every call of every thread
// blocked on slot e, which has just left the table. p.mu is held.
func (p *process) cancelCallsOnLocked(e *fdEntry) {
	for _, th := range p.threads {
		for _, c := range th.calls {
			if c.entry == e {
				c.cancel(callBadf)
			}
		}
	}
}

// installLocked puts f in the lowest free slot at or above min and returns
// the descriptor; the caller has taken the reference the slot keeps.
// t.mu must be held. EMFILE when the table is full.
func (t *Task) installLocked(f *File, min int) (int, error) {
	for fd := min; fd < len(t.fds); fd++ {
		if t.fds[fd] == nil {
			t.fds[fd] = &fdEntry{file: f}
			return fd, nil
		}
	}
	if min >= t.k.nofile || len(t.fds) >= t.k.nofile {
		return -1, EMFILE
	}
	for len(t.fds) < min {
		t.fds = append(t.fds, nil)
	}
	t.fds = append(t.fds, &fdEntry{file: f})
	return len(t.fds) - 1, nil
}

// entryLocked returns descriptor fd's slot. t.mu must be held.
func (t *Task) entryLocked(fd int) (*fdEntry, error) {
	// A thread that has exited has none, even while a fatal signal's
	// goroutine is still closing its process's table.
	if t.dead || fd < 0 || fd >= len(t.fds) || t.fds[fd] == nil {
		return nil, EBADF
	}
	return t.fds[fd], nil
}

// getEntry returns descriptor fd's slot with a reference on its file,
// which the caller drops with file.put when done.
func (t *Task) getEntry(fd int) (*fdEntry, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, err := t.entryLocked(fd)
	if err != nil {
		return nil, err
	}
	e.file.get()
	return e, nil
}

// dupLocked installs another descriptor for f at or above min.
// t.mu must be held.
func (t *Task) dupLocked(f *File, min int) (int, error) {
	fd, err := t.installLocked(f, min)
	if err == nil {
		f.get()
	}
	return fd, err
}

// File returns the open file description behind descriptor fd (EBADF).
func (t *Task) File(fd int) (*File, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, err := t.entryLocked(fd)
	if err != nil {
		return nil, err
	}
	return e.file, nil
}

// Dup returns the lowest free descriptor, naming the same open file
// description as fd (so it shares flags, owner and notification entry,
// SPEC A3). EBADF for a bad fd, EMFILE when the table is full.
func (t *Task) Dup(fd int) (int, error) {
	defer t.safePoint()
	t.mu.Lock()
	defer t.mu.Unlock()
	e, err := t.entryLocked(fd)
	if err != nil {
		return -1, err
	}
	return t.dupLocked(e.file, 0)
}

// Close removes descriptor fd (EBADF if it is not open). Blocking calls
// on that descriptor return EBADF and polls over it report POLLNVAL. When
// it was the file's last reference the file leaves its notification lists
// (driver Fasync off, if FASYNC is set) and is then released (SPEC A13);
// the driver's Release error, if any, is returned, the descriptor being
// closed regardless.
func (t *Task) Close(fd int) (err error) {
	defer t.safePoint()
	if sc := t.sysEnter(sysClose, fd, 0, 0); sc != nil {
		defer sc.exit(nil, &err)
	}
	t.mu.Lock()
	e, err := t.entryLocked(fd)
	if err != nil {
		t.mu.Unlock()
		return err
	}
	t.fds[fd] = nil
	e.closed.Store(true)
	t.cancelCallsOnLocked(e)
	t.mu.Unlock()
	e.closeQ.WakeUp()
	return e.file.put()
}
