package kernel

import "context"

// Signal delivery. A queued signal waits until a thread that does not
// block it reaches a safe point — the model's "return to user space" —
// and runs deliverSignals there:
//
//   - on return from a Task system call method (safePoint);
//   - when a blocking call was interrupted by the signal (call.go);
//   - in Pause, Sigsuspend and Sigtimedwait.
//
// A handler runs with the thread's mask plus its sa_mask and, unless
// SA_NODEFER, the signal itself blocked (SPEC S6); the mask it found is
// restored when it returns. A safe point reached inside a handler (the
// handler calls a Task method) delivers the signals that mask leaves
// unblocked: handlers nest as in Linux.
//
// As Linux's exit to user mode does, a safe point sets up a frame for
// each signal it takes, lowest number first, and takes the next under
// the mask the frames so far left in force, before any handler runs: the
// handler of the frame set up last runs first, and when it returns the
// signals its frame's mask held back get frames of their own before the
// handler below runs. Several signals unblocked at once therefore run
// their handlers highest number first, unless an earlier one's sa_mask
// blocks a later one.

// safePoint delivers t's pending signals, if any, on the calling
// goroutine. With nothing pending it is one atomic load.
func (t *Task) safePoint() {
	if t.npending.Load() != 0 {
		t.deliverSignals()
	}
}

// deliverSignals takes t's deliverable signals one at a time, thread
// pending first, until none is left, running each one's action; a
// stopped process holds it until the stop ends. It reports how many
// handlers ran and whether the first signal taken for a handler had
// SA_RESTART: as in Linux, that signal's frame decides whether an
// interrupted call restarts (handle_signal), and the frames after it
// find the decision made.
func (t *Task) deliverSignals() (ran int, restart bool) {
	first := true
	for {
		info, disp, act, ok := t.dequeueForDelivery()
		if !ok {
			return ran, restart
		}
		switch disp {
		case dispHandle:
			traceSignalDeliver(t, &info, "handler", act.Flags)
			if first {
				first, restart = false, act.Flags&SA_RESTART != 0
			}
			fr := t.pushFrame(info.Signo, act)
			// The signals this frame's mask leaves deliverable get
			// their frames on top of it, and run, first.
			above, _ := t.deliverSignals()
			ran += above
			if !t.Alive() { // a signal above ended the process
				t.popFrame(fr)
				return ran, restart
			}
			t.runHandler(fr, info, act)
			ran++
		case dispTerminate:
			traceSignalDeliver(t, &info, "terminate", 0)
			t.process.terminate(info.Signo)
			return ran, restart
		case dispStop:
			traceSignalDeliver(t, &info, "stop", 0)
			t.process.notifyParent(CLD_STOPPED, info.Signo)
		}
	}
}

// dequeueForDelivery waits out a stop, then takes the next signal t does
// not block, with its disposition and action now. A stop signal with the
// default action stops the process here; SA_RESETHAND resets the handler.
// When nothing is left it recalculates t.npending in the same critical
// section, so a signal queued a moment later is seen by its sender's
// wake-up or the next safe point, never stranded.
func (t *Task) dequeueForDelivery() (SigInfo, disposition, Sigaction, bool) {
	p := t.process
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.stopped && !t.dead {
		// Sleep through the stop: SIGCONT, SIGKILL and exit end it.
		_ = p.stopQ.Wait(context.Background(), &p.mu, func() bool { return !p.stopped || t.dead })
	}
	if t.dead {
		return SigInfo{}, dispIgnore, Sigaction{}, false
	}
	info, ok := t.dequeueLocked(^t.mask)
	if !ok {
		t.recalcLocked()
		return SigInfo{}, dispIgnore, Sigaction{}, false
	}
	sig := info.Signo
	act := p.actions[sig]
	disp := p.dispositionLocked(sig)
	switch disp {
	case dispHandle:
		if act.Flags&SA_RESETHAND != 0 {
			// Only the handler goes back to SIG_DFL: the flags and
			// sa_mask stay, as Linux keeps them (SA_ONESHOT).
			p.actions[sig].Handler = nil
		}
	case dispStop:
		p.stopLocked(sig)
	}
	return info, disp, act, true
}

// dequeueLocked is dequeue_signal: the next signal in allow from t's own
// pending set, else from its process's. p.mu is held.
func (t *Task) dequeueLocked(allow Sigset) (SigInfo, bool) {
	queued := len(t.sigs.rt) + len(t.shared.rt)
	info, ok := t.sigs.dequeue(allow)
	if !ok {
		info, ok = t.shared.dequeue(allow)
	}
	// A real-time signal raised without a queued instance frees no place.
	t.nrt -= queued - len(t.sigs.rt) - len(t.shared.rt)
	return info, ok
}

// pushFrame sets up the handler frame of sig: it saves the thread's mask
// (the one a Sigsuspend or EpollPwait replaced, for the first frame set
// up during the call) and adds act's sa_mask and, unless SA_NODEFER, sig.
func (t *Task) pushFrame(sig int, act Sigaction) *sigFrame {
	p := t.process
	add := act.Mask
	if act.Flags&SA_NODEFER == 0 {
		add.Add(sig)
	}
	fr := &sigFrame{}
	p.mu.Lock()
	fr.saved = t.mask
	if t.restoreMask { // the frame takes the mask a Sigsuspend replaced
		fr.saved, t.restoreMask = t.savedMask, false
	}
	t.frames = append(t.frames, fr)
	t.setMaskLocked(t.mask | add)
	p.mu.Unlock()
	return fr
}

// popFrame ends frame fr, restoring the mask it saved.
func (t *Task) popFrame(fr *sigFrame) {
	p := t.process
	p.mu.Lock()
	t.popFrameLocked(fr)
	p.mu.Unlock()
}

// runHandler runs act's handler for info in frame fr, the handler's mask
// in force, and ends the frame when the handler returns (also when it
// panics).
func (t *Task) runHandler(fr *sigFrame, info SigInfo, act Sigaction) {
	defer func() {
		t.popFrame(fr)
		t.handled.Add(1)
		t.handledQ.wakeUp(0, wakeUntraced)
	}()
	act.Handler(t, &info)
}

// popFrameLocked ends handler frame fr: the innermost one restores the
// mask it saved. (Goroutines sharing one *Task may end handlers out of
// order; then fr's saved mask passes to the frame above it.) p.mu is
// held.
func (t *Task) popFrameLocked(fr *sigFrame) {
	n := len(t.frames)
	for i := n - 1; i >= 0; i-- {
		if t.frames[i] != fr {
			continue
		}
		if i == n-1 {
			t.setMaskLocked(fr.saved)
		} else {
			t.frames[i+1].saved = fr.saved
		}
		copy(t.frames[i:], t.frames[i+1:])
		t.frames[n-1] = nil
		t.frames = t.frames[:n-1]
		return
	}
}

// Pause sleeps until a signal's handler has run on the thread (on this or
// another of its goroutines), then returns EINTR, as pause(2) does. It
// returns ctx's error if ctx ends first and EBADF if the thread exits or
// the kernel closes meanwhile.
func (t *Task) Pause(ctx context.Context) (err error) {
	defer t.safePoint()
	if sc := t.sysEnter(sysPause, -1, 0, 0); sc != nil {
		defer sc.exit(nil, &err)
	}
	return t.waitHandler(ctx)
}

// waitHandler is the sleep of Pause and Sigsuspend: until a handler has
// run on t, EINTR.
func (t *Task) waitHandler(ctx context.Context) error {
	start := t.handled.Load()
	handled := func() bool { return t.handled.Load() != start }
	for {
		c, err := t.beginCall(ctx, nil, false)
		if err != nil {
			return err
		}
		werr := t.handledQ.Wait(c, nil, handled)
		cause := t.endCall(c)
		if werr == nil {
			return EINTR
		}
		if _, err := t.interrupted(ctx, cause, false); err != nil {
			return err
		}
	}
}
