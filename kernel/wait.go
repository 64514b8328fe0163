package kernel

import "context"

// Options of Wait4 (Linux values).
const (
	WNOHANG    = 0x1
	WUNTRACED  = 0x2
	WSTOPPED   = WUNTRACED
	WCONTINUED = 0x8
)

// A WaitStatus is the status Wait4 reports, in Linux's encoding: exit
// code<<8 for an exit, the signal for a death by signal, sig<<8|0x7f for
// a stop, 0xffff for a continuation.
type WaitStatus uint32

// continuedStatus is the status of a continued child.
const continuedStatus WaitStatus = 0xffff

func exitedStatus(code int) WaitStatus  { return WaitStatus(code&0xff) << 8 }
func signaledStatus(sig int) WaitStatus { return WaitStatus(sig & 0x7f) }
func stoppedStatus(sig int) WaitStatus  { return WaitStatus(sig&0xff)<<8 | 0x7f }

// Exited reports whether the child exited normally (WIFEXITED).
func (w WaitStatus) Exited() bool { return w&0x7f == 0 }

// ExitStatus returns the exit code (WEXITSTATUS), or -1 if the child did
// not exit.
func (w WaitStatus) ExitStatus() int {
	if !w.Exited() {
		return -1
	}
	return int(w>>8) & 0xff
}

// Signaled reports whether a signal killed the child (WIFSIGNALED).
func (w WaitStatus) Signaled() bool { return w&0x7f != 0x7f && w&0x7f != 0 }

// Signal returns the signal that killed the child (WTERMSIG), or -1.
func (w WaitStatus) Signal() int {
	if !w.Signaled() {
		return -1
	}
	return int(w & 0x7f)
}

// CoreDump reports whether the child dumped core (WCOREDUMP): never in
// the model.
func (w WaitStatus) CoreDump() bool { return w.Signaled() && w&0x80 != 0 }

// Stopped reports whether the child is stopped (WIFSTOPPED).
func (w WaitStatus) Stopped() bool { return w&0xff == 0x7f }

// StopSignal returns the signal that stopped the child (WSTOPSIG), or -1.
func (w WaitStatus) StopSignal() int {
	if !w.Stopped() {
		return -1
	}
	return int(w>>8) & 0xff
}

// Continued reports whether the child was continued (WIFCONTINUED).
func (w WaitStatus) Continued() bool { return w == continuedStatus }

// Getppid returns the parent's pid: the process that forked this one, or
// 0 when there is none (a Kernel.NewTask process, or one whose parent has
// exited: the model has no init to adopt orphans).
func (t *Task) Getppid() int {
	defer t.safePoint()
	t.k.mu.RLock()
	defer t.k.mu.RUnlock()
	if t.parent == nil {
		return 0
	}
	return t.parent.pid
}

// Wait4 waits for a child of the process to change state, as wait4(2)
// (SPEC T5): pid > 0 is that child, -1 any child, 0 any child in the
// caller's process group, < -1 any child in group -pid. It reports an
// exited child (reaping it: its pid is then free of it), and with
// WUNTRACED a stopped one and with WCONTINUED a continued one, each
// report once. It returns the child's pid and status; with WNOHANG, 0
// when children exist but none has changed state. Errors: ECHILD when no
// child matches, EINVAL for an option other than WNOHANG, WUNTRACED and
// WCONTINUED, EINTR when a handler runs meanwhile (the call restarts
// after an SA_RESTART handler), ctx's error when ctx ends, EBADF when the
// thread exits.
func (t *Task) Wait4(ctx context.Context, pid int, options int) (int, WaitStatus, error) {
	defer t.safePoint()
	if options&^(WNOHANG|WUNTRACED|WCONTINUED) != 0 {
		return -1, 0, EINVAL
	}
	var (
		cpid   int
		status WaitStatus
		werr   error
	)
	look := func() bool {
		cpid, status, werr = t.reap(pid, options)
		return cpid != 0 || werr != nil || options&WNOHANG != 0
	}
	_, err := t.blockingCall(ctx, nil, nil, func(ctx context.Context) (int, error) {
		return 0, t.childQ.Wait(ctx, nil, look)
	})
	if err != nil {
		return -1, 0, err
	}
	if werr != nil {
		return -1, 0, werr
	}
	return cpid, status, nil
}

// reap looks once for a child matching pid with something to report,
// consuming the report (and reaping an exited child). It returns (0, 0,
// nil) when matching children exist but none has one, ECHILD when none
// matches.
func (t *Task) reap(pid, options int) (int, WaitStatus, error) {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	found := false
	for i, c := range t.children {
		if !t.matchesLocked(c, pid) {
			continue
		}
		found = true
		switch {
		case c.zombie:
			t.children = append(t.children[:i], t.children[i+1:]...)
			c.parent = nil
			delete(k.zombies, c.pid)
			return c.pid, c.status, nil
		case c.reported && (c.report.Stopped() && options&WUNTRACED != 0 ||
			c.report.Continued() && options&WCONTINUED != 0):
			c.reported = false
			return c.pid, c.report, nil
		}
	}
	if !found {
		return 0, 0, ECHILD
	}
	return 0, 0, nil
}

// matchesLocked reports whether child c is one Wait4's pid selects.
// k.mu is held.
func (t *Task) matchesLocked(c *process, pid int) bool {
	switch {
	case pid > 0:
		return c.pid == pid
	case pid == -1:
		return true
	case pid == 0:
		return c.pgid == t.pgid
	}
	return c.pgid == -pid
}
