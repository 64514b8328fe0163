package kernel

// The tracepoints of a notification's path (SPEC X1). Each is a small
// function whose whole body, with tracing off, is tracing()'s atomic
// load, so the compiler inlines it at the call site; the recording is in
// a separate slow function. docs/SPEC.md X1 lists every event's fields.

// newEvent starts event name of kernel k, attributed to the current
// call (or to task t when there is none, or t is given and differs:
// signal delivery names the receiver). It returns a nil tracer when k is
// not traced.
func newEvent(k *Kernel, name string, t *Task, f *File) (*Tracer, TraceEvent) {
	tr := k.tracer.Load()
	if tr == nil {
		return nil, TraceEvent{}
	}
	return tr, eventIn(currentCall(), name, t, f)
}

// eventIn starts event name in current call c (nil: kernel context).
func eventIn(c *sysCall, name string, t *Task, f *File) TraceEvent {
	ev := TraceEvent{Name: name, Fd: -1}
	switch {
	case t != nil:
		ev.Task = taskOf(t)
	case c != nil:
		ev.Task = c.who
	}
	if f != nil {
		ev.File = f.name
		if c != nil && c.file == f {
			ev.Fd = c.fd
		}
	}
	return ev
}

// traceSetown records fcntl_setown: f's owner is now (typ, id).
func traceSetown(f *File, typ, id int) {
	if tracing() {
		traceSetownSlow(f, typ, id)
	}
}

func traceSetownSlow(f *File, typ, id int) {
	tr, ev := newEvent(f.k, "fcntl_setown", nil, f)
	if tr != nil {
		ev.add(fOwner(typ, id))
		tr.record(&ev)
	}
}

// traceSetsig records fcntl_setsig: f's F_SETSIG signal is now sig.
func traceSetsig(f *File, sig int) {
	if tracing() {
		traceSetsigSlow(f, sig)
	}
}

func traceSetsigSlow(f *File, sig int) {
	tr, ev := newEvent(f.k, "fcntl_setsig", nil, f)
	if tr != nil {
		ev.add(fSig("sig", sig))
		tr.record(&ev)
	}
}

// traceSetfl records fcntl_setfl: F_SETFL (or File.SetFlags) on f
// through descriptor fd, from flags old to the argument arg.
func traceSetfl(f *File, fd, old, arg int) {
	if tracing() {
		traceSetflSlow(f, fd, old, arg)
	}
}

func traceSetflSlow(f *File, fd, old, arg int) {
	tr, ev := newEvent(f.k, "fcntl_setfl", nil, f)
	if tr != nil {
		ev.Fd = fd
		ev.add(fFlags("old", old))
		ev.add(fFlags("flags", arg))
		tr.record(&ev)
	}
}

// traceFasync records fasync: the kernel calls the driver's ->fasync for
// f (fd, on), from via (fcntl, ioctl, close, setflags).
func traceFasync(f *File, fd int, on bool, via string) {
	if tracing() {
		traceFasyncSlow(f, fd, on, via)
	}
}

func traceFasyncSlow(f *File, fd int, on bool, via string) {
	tr, ev := newEvent(f.k, "fasync", nil, f)
	if tr != nil {
		ev.Fd = fd
		ev.add(fBool("on", on))
		ev.add(fStr("via", via))
		tr.record(&ev)
	}
}

// traceFasyncHelper records fasync_helper: with on, f was added to the
// list (result added) or already on it (updated); without, removed or
// absent. entries is the list's length afterwards.
func traceFasyncHelper(f *File, fd int, on bool, result string, entries int) {
	if tracing() {
		traceFasyncHelperSlow(f, fd, on, result, entries)
	}
}

func traceFasyncHelperSlow(f *File, fd int, on bool, result string, entries int) {
	tr, ev := newEvent(f.k, "fasync_helper", nil, f)
	if tr != nil {
		ev.Fd = fd
		ev.add(fBool("on", on))
		ev.add(fStr("result", result))
		ev.add(fInt("entries", entries))
		tr.record(&ev)
	}
}

// traceKillFasync records kill_fasync on a non-empty list (an empty one
// belongs to no kernel yet, and Kill on it stays one atomic load): the
// signal and band the driver passed and the number of entries.
func traceKillFasync(entries []*fasyncEntry, sig, band int) {
	if tracing() {
		traceKillFasyncSlow(entries, sig, band)
	}
}

func traceKillFasyncSlow(entries []*fasyncEntry, sig, band int) {
	var f *File
	for _, e := range entries {
		e.mu.RLock()
		f = e.file
		e.mu.RUnlock()
		if f != nil {
			break
		}
	}
	if f == nil {
		return // every entry retired meanwhile: nothing will be sent
	}
	tr, ev := newEvent(f.k, "kill_fasync", nil, f)
	if tr != nil {
		ev.add(fSig("sig", sig))
		ev.add(fCode("band", band))
		ev.add(fInt("entries", len(entries)))
		tr.record(&ev)
	}
}

// Verdicts of send_sigio, per owner and target.
const (
	verdictAllowed = "allowed"     // the permission check passed: the signal is sent
	verdictDenied  = "denied"      // the owner's credentials may not signal the target (A10)
	verdictNoOwner = "no_owner"    // F_SETOWN never set, or set to 0 (A6)
	verdictSigurg  = "sigurg_skip" // SIGURG to a file without F_SETSIG
	verdictNoGroup = "empty_group" // the owning process group has no member left
	verdictNoTask  = "no_task"     // the owner id names no task (only a group did, or it has exited)
)

// traceSendSigio records send_sigio for f (descriptor fd): owner o, the
// target task (nil when there is none), the signal it gets, si_code,
// the band's poll mask and the verdict.
func traceSendSigio(f *File, fd int, o *fown, target *Task, sig, code int, mask int16, verdict string) {
	if tracing() {
		traceSendSigioSlow(f, fd, o, target, sig, code, mask, verdict)
	}
}

func traceSendSigioSlow(f *File, fd int, o *fown, target *Task, sig, code int, mask int16, verdict string) {
	tr, ev := newEvent(f.k, "send_sigio", nil, f)
	if tr == nil {
		return
	}
	ev.Fd = fd
	if sig == 0 {
		sig = SIGIO // no F_SETSIG: plain SIGIO is what would be sent
	}
	if o != nil {
		ev.add(fOwner(o.typ, o.id))
	} else {
		ev.add(fOwner(0, 0))
	}
	if target != nil {
		to := taskOf(target)
		ev.add(fStr("comm", to.Comm))
		ev.add(fInt("pid", to.Pid))
		ev.add(fInt("tid", to.Tid))
	}
	ev.add(fSig("sig", sig))
	ev.add(fCode("code", code))
	ev.add(fPoll("band", int(mask)))
	ev.add(fStr("verdict", verdict))
	tr.record(&ev)
}

// Results of signal_generate (Linux's TRACE_SIGNAL_* in words).
const (
	genQueued    = "queued"    // pending now; a blocking call of the target is interrupted
	genCoalesced = "coalesced" // a standard signal already pending: this instance merges into it
	genIgnored   = "ignored"   // discarded by the disposition
	genFatal     = "fatal"     // the default action terminates the target
	genOverflow  = "overflow"  // real-time queue full: EAGAIN
	genDead      = "dead"      // the target has exited: ESRCH
	genBlocked   = "blocked"   // queued, blocked by every candidate thread's mask: it waits
	genStop      = "stop"      // a stop signal's default action stops the process
)

// traceSignalGenerate records signal_generate: info sent to t (or t's
// process, group), and what became of it. t's lock is not held.
func traceSignalGenerate(t *Task, info *SigInfo, group bool, result string) {
	if tracing() {
		traceSignalGenerateSlow(t, false, info, group, result)
	}
}

// traceSignalGenerateLocked is traceSignalGenerate with t's process lock
// held (t's name is read under it).
func traceSignalGenerateLocked(t *Task, info *SigInfo, group bool, result string) {
	if tracing() {
		traceSignalGenerateSlow(t, true, info, group, result)
	}
}

func traceSignalGenerateSlow(t *Task, locked bool, info *SigInfo, group bool, result string) {
	tr, ev := newEvent(t.k, "signal_generate", nil, nil)
	if tr == nil {
		return
	}
	var to TraceTask
	if locked {
		to = taskOfLocked(t)
	} else {
		to = taskOf(t)
	}
	ev.add(fSig("sig", info.Signo))
	ev.add(fCode("code", info.Code))
	ev.add(fStr("comm", to.Comm))
	ev.add(fInt("pid", to.Pid))
	ev.add(fInt("tid", to.Tid))
	ev.add(fBool("group", group))
	if fasyncCode(info) {
		ev.add(fInt("si_fd", info.Fd))
	}
	ev.add(fStr("result", result))
	tr.record(&ev)
}

// fasyncCode reports whether info is an F_SETSIG'd fasync signal, whose
// si_fd and si_band mean something.
func fasyncCode(info *SigInfo) bool {
	return info.Code > 0 && info.Code <= POLL_HUP && info.Signo != SIGCHLD
}

// traceSignalInterrupts records signal_interrupt for each blocking call
// of t that sig is about to interrupt (the model's ERESTARTSYS). t's
// process lock is held.
func traceSignalInterrupts(t *Task, sig int) {
	if tracing() && len(t.calls) > 0 {
		traceSignalInterruptsSlow(t, sig)
	}
}

func traceSignalInterruptsSlow(t *Task, sig int) {
	to := taskOfLocked(t)
	for _, c := range t.calls {
		var f *File
		if c.entry != nil {
			f = c.entry.file
		}
		tr, ev := newEvent(t.k, "signal_interrupt", nil, f)
		if tr == nil {
			return
		}
		ev.Fd = -1 // the sender's descriptor, if any, is not the call's
		ev.add(fSig("sig", sig))
		ev.add(fStr("comm", to.Comm))
		ev.add(fInt("pid", to.Pid))
		ev.add(fInt("tid", to.Tid))
		tr.record(&ev)
	}
}

// traceSignalDeliver records signal_deliver: t takes info with action
// (handler or terminate) and the handler's flags.
func traceSignalDeliver(t *Task, info *SigInfo, action string, flags int) {
	if tracing() {
		traceSignalDeliverSlow(t, info, action, flags)
	}
}

func traceSignalDeliverSlow(t *Task, info *SigInfo, action string, flags int) {
	tr, ev := newEvent(t.k, "signal_deliver", t, nil)
	if tr == nil {
		return
	}
	ev.add(fSig("sig", info.Signo))
	ev.add(fCode("code", info.Code))
	if fasyncCode(info) {
		ev.add(fInt("si_fd", info.Fd))
		ev.add(fPoll("si_band", info.Band))
	}
	ev.add(fStr("action", action))
	ev.add(fHex("sa_flags", flags))
	tr.record(&ev)
}

// traceWakeUp records wake_up of q (as mode allows): its key, whether it
// had sleepers and how many poll tables it fires. Its fd and file are
// those of the call that woke q. A wake-up outside any traced call (a
// timer's, say) has no kernel to be recorded in and is not.
func traceWakeUp(q *WaitQueue, mode wakeTrace, key int16, sleepers bool, polls int) {
	if tracing() {
		traceWakeUpSlow(q, mode, key, sleepers, polls)
	}
}

func traceWakeUpSlow(q *WaitQueue, mode wakeTrace, key int16, sleepers bool, polls int) {
	if mode == wakeUntraced || (mode == wakeTracedIfWaiters && !sleepers && polls == 0) {
		return
	}
	c := currentCall()
	if c == nil {
		return
	}
	tr := c.task.k.tracer.Load()
	if tr == nil {
		return
	}
	ev := eventIn(c, "wake_up", nil, c.file)
	ev.add(fInt("wq", tr.wqID(q)))
	ev.add(fPoll("key", int(key)))
	ev.add(fBool("sleepers", sleepers))
	ev.add(fInt("poll_tables", polls))
	tr.record(&ev)
}

// tracePollWake records poll_wake: a wake-up reached the poll table of
// task t (a poll or epoll in progress).
func tracePollWake(pt *PollTable) {
	if tracing() {
		tracePollWakeSlow(pt)
	}
}

func tracePollWakeSlow(pt *PollTable) {
	t := pt.task
	if t == nil {
		return
	}
	tr, ev := newEvent(t.k, "poll_wake", nil, nil)
	if tr == nil {
		return
	}
	ev.add(fInt("pid", t.pid))
	ev.add(fInt("tid", t.Tid()))
	tr.record(&ev)
}

// traceKiocbSubmit records kiocb_submit: t started iocb on descriptor fd.
func traceKiocbSubmit(t *Task, fd int, iocb *Kiocb, write bool) {
	if tracing() {
		traceKiocbSubmitSlow(t, fd, iocb, write)
	}
}

func traceKiocbSubmitSlow(t *Task, fd int, iocb *Kiocb, write bool) {
	tr, ev := newEvent(t.k, "kiocb_submit", t, iocb.File)
	if tr == nil {
		return
	}
	ev.Fd = fd
	ev.add(fInt("kiocb", tr.kiocbID(iocb, false)))
	op := "read"
	if write {
		op = "write"
	}
	ev.add(fStr("op", op))
	ev.add(fInt("count", len(iocb.Buf)))
	ev.add(fInt("pos", int(iocb.Pos)))
	tr.record(&ev)
}

// traceKiocbComplete records kiocb_complete: iocb finished with n bytes
// or err.
func traceKiocbComplete(iocb *Kiocb, n int, err error) {
	if tracing() {
		traceKiocbCompleteSlow(iocb, n, err)
	}
}

func traceKiocbCompleteSlow(iocb *Kiocb, n int, err error) {
	tr, ev := newEvent(iocb.File.k, "kiocb_complete", nil, iocb.File)
	if tr == nil {
		return
	}
	ev.add(fInt("kiocb", tr.kiocbID(iocb, true)))
	to := taskOf(iocb.task)
	ev.add(fStr("comm", to.Comm))
	ev.add(fInt("pid", to.Pid))
	ev.add(fInt("tid", to.Tid))
	ev.add(fInt("ret", n))
	if err != nil {
		ev.add(errArg(err))
	}
	tr.record(&ev)
}

// traceEpollCallback records ep_poll_callback: a wake-up reached epoll
// registration epi with key (0: any event); queued says whether the item
// went on the ready list (false: it ignored the wake-up), woke whether a
// waiter in epoll_wait was woken.
func traceEpollCallback(epi *epitem, key uint32, queued, woke bool) {
	if tracing() {
		traceEpollCallbackSlow(epi, key, queued, woke)
	}
}

func traceEpollCallbackSlow(epi *epitem, key uint32, queued, woke bool) {
	tr, ev := newEvent(epi.file.k, "ep_poll_callback", nil, epi.file)
	if tr == nil {
		return
	}
	ev.Fd = epi.fd
	ev.add(fPoll("key", int(key)))
	ev.add(fHex("events", int(epi.events)))
	result := "ignored"
	if queued {
		result = "ready"
	}
	ev.add(fStr("result", result))
	ev.add(fBool("woke", woke))
	tr.record(&ev)
}
