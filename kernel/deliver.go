package kernel

import "context"

// Signal delivery. A queued signal waits on its task until one of the
// task's goroutines reaches a safe point — the model's "return to user
// space" — and runs deliverSignals there:
//
//   - on return from a Task system call method (safePoint);
//   - when a blocking call was interrupted by the signal (call.go);
//   - in Pause.
//
// Only one goroutine delivers for a task at a time (Task.delivering), so a
// task's handlers never run concurrently, and a signal that arrives while
// a handler runs is delivered after it returns (as if sa_mask blocked
// every signal), by the same goroutine.

// safePoint delivers t's pending signals, if any, on the calling
// goroutine. With nothing pending it is one atomic load.
func (t *Task) safePoint() {
	if t.npending.Load() != 0 {
		t.deliverSignals()
	}
}

// deliverSignals runs the actions of t's pending signals one at a time
// until none is pending. It reports how many handlers ran and whether all
// of them had SA_RESTART. If another goroutine is already delivering for
// t it returns (0, true) at once: that goroutine delivers what is pending.
func (t *Task) deliverSignals() (ran int, restart bool) {
	restart = true
	t.mu.Lock()
	if t.delivering || t.dead {
		t.mu.Unlock()
		return 0, true
	}
	t.delivering = true
	t.mu.Unlock()
	finished := false
	defer func() {
		if !finished { // a handler panicked: let the next safe point deliver
			t.mu.Lock()
			t.delivering = false
			t.mu.Unlock()
		}
	}()
	for {
		info, disp, act, ok := t.dequeue()
		if !ok {
			finished = true // dequeue cleared delivering
			return ran, restart
		}
		switch disp {
		case dispHandle:
			traceSignalDeliver(t, &info, "handler", act.Flags)
			act.Handler(t, &info)
			ran++
			if act.Flags&SA_RESTART == 0 {
				restart = false
			}
			t.handled.Add(1)
			t.handledQ.wakeUp(false)
		case dispTerminate:
			traceSignalDeliver(t, &info, "terminate", 0)
			t.terminate()
		}
	}
}

// dequeue takes the next pending signal with the disposition it has now
// (the action may have changed since it was sent). When nothing is
// pending it ends the delivery in the same critical section, so a signal
// queued a moment later is seen by its sender's interruption or the next
// safe point, never stranded.
func (t *Task) dequeue() (SigInfo, disposition, Sigaction, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	info, ok := t.sigs.dequeue()
	if !ok {
		t.delivering = false
		return SigInfo{}, dispIgnore, Sigaction{}, false
	}
	t.npending.Store(int32(t.sigs.count()))
	return info, t.dispositionLocked(info.Signo), t.actions[info.Signo], true
}

// Pause sleeps until a signal's handler has run for the task (on this or
// another of its goroutines), then returns EINTR, as pause(2) does. It
// returns ctx's error if ctx ends first and EBADF if the task exits or the
// kernel closes meanwhile.
func (t *Task) Pause(ctx context.Context) (err error) {
	defer t.safePoint()
	if sc := t.sysEnter(sysPause, -1, 0, 0); sc != nil {
		defer sc.exit(nil, &err)
	}
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
