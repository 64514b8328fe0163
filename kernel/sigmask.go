package kernel

import "context"

// Sigprocmask examines and changes the calling thread's blocked-signal
// mask, as sigprocmask(2) and pthread_sigmask(3) (SPEC S5): how is
// SIG_BLOCK (add *set), SIG_UNBLOCK (remove *set) or SIG_SETMASK
// (replace); SIGKILL and SIGSTOP are silently left unblocked. A nil set
// only reports the mask (how is then not checked). It returns the mask
// as it was. A signal blocked stays pending and interrupts no call; one
// unblocked while pending is delivered before Sigprocmask returns.
// Process-directed signals pending that the thread now blocks go to
// another thread that can take them. EINVAL for another how.
func (t *Task) Sigprocmask(how int, set *Sigset) (old Sigset, err error) {
	defer t.safePoint()
	if sc := t.sysEnter(sysSigprocmask, -1, how, sigsetArg(set)); sc != nil {
		defer sc.exit(nil, &err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old = t.mask
	if set == nil {
		return old, nil
	}
	var mask Sigset
	switch how {
	case SIG_BLOCK:
		mask = old | *set
	case SIG_UNBLOCK:
		mask = old &^ *set
	case SIG_SETMASK:
		mask = *set
	default:
		return old, EINVAL
	}
	t.setMaskLocked(mask)
	return old, nil
}

// Sigpending returns the signals pending for the calling thread, its own
// and its process's, that it blocks (sigpending(2)): those are the ones
// that wait; an unblocked one is delivered at the thread's next safe
// point.
func (t *Task) Sigpending() Sigset {
	defer t.safePoint()
	t.mu.Lock()
	defer t.mu.Unlock()
	return (t.sigs.set | t.shared.set) & t.mask
}

// Sigsuspend replaces the thread's mask with mask and sleeps until a
// handler has run on the thread, then restores the mask and returns
// EINTR, as sigsuspend(2) (SPEC S7). The handler runs with mask (plus its
// own sa_mask) in force. A signal already pending that mask unblocks is
// delivered at once, so a program that blocks SIGIO, checks for input
// and then calls Sigsuspend with SIGIO unblocked loses no notification.
// Signals that are ignored, or whose default action ignores them, do not
// end the wait; a fatal one ends the process (EBADF). The caller's ctx
// ending returns its error; the thread exiting returns EBADF.
func (t *Task) Sigsuspend(ctx context.Context, mask Sigset) (err error) {
	defer t.safePoint()
	if sc := t.sysEnter(sysSigsuspend, -1, int(mask), 0); sc != nil {
		defer sc.exit(nil, &err)
	}
	if ctx == nil {
		return EINVAL
	}
	// The mask it replaces is saved as a handler's is, in a frame, so
	// that goroutines sharing the thread may end their Sigsuspends in
	// any order (popFrameLocked), and as the saved mask, which the first
	// handler frame set up meanwhile restores when its handler returns.
	fr := &sigFrame{}
	t.mu.Lock()
	fr.saved = t.mask
	t.frames = append(t.frames, fr)
	t.replaceMaskLocked(mask)
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		t.restoreMask = false
		t.popFrameLocked(fr)
		t.mu.Unlock()
	}()
	return t.waitHandler(ctx)
}

// replaceMaskLocked puts mask in force for a call that waits with it
// (Sigsuspend, EpollPwait) and keeps the thread's own as the saved mask:
// the first handler frame set up meanwhile saves that one, so the mask
// its handler's return restores is the thread's own, as Linux's
// set_restore_sigmask has it. t.mu is held.
func (t *Task) replaceMaskLocked(mask Sigset) {
	t.savedMask, t.restoreMask = t.mask, true
	t.setMaskLocked(mask)
}

// restoreSavedMask ends such a call: it puts the saved mask back unless a
// handler frame took it (restore_saved_sigmask).
func (t *Task) restoreSavedMask() {
	t.mu.Lock()
	if t.restoreMask {
		t.restoreMask = false
		t.setMaskLocked(t.savedMask)
	}
	t.mu.Unlock()
}
