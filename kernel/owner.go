package kernel

import "math"

// fown is a file's fasync owner and signal choice (Linux's fown_struct).
// A File holds it behind an atomic pointer and replaces it whole, so
// FasyncList.Kill reads it with one load and no lock.
type fown struct {
	typ  int  // F_OWNER_TID, F_OWNER_PID or F_OWNER_PGRP
	id   int  // pid, tid or pgid; 0 = no owner
	cred Cred // credentials of the task that set the owner (SPEC A10)
	sig  int  // F_SETSIG: 0 = plain SIGIO (SPEC A7, A12)
	// task is the thread id named at F_SETOWN time (nil when only a
	// group had it): the owning thread for F_OWNER_TID, and the thread a
	// process-directed notification starts with for F_OWNER_PID. While
	// it lives with that id it spares every notification a lookup in the
	// kernel's table (ownerTask).
	task *Task
}

// FOwnerEx is struct f_owner_ex, for F_SETOWN_EX and F_GETOWN_EX.
type FOwnerEx struct {
	Type int // F_OWNER_TID, F_OWNER_PID or F_OWNER_PGRP
	Pid  int // thread, process or process group id
}

// owner returns the current owner record (a zero one if none was set).
func (f *File) owner() fown {
	if o := f.own.Load(); o != nil {
		return *o
	}
	return fown{}
}

// setOwner makes (typ, id) the owner, recording by's credentials for the
// permission check (SPEC A9, A10). id 0 clears the owner. As Linux's
// find_vpid, any id in use names an owner, whatever typ says: a live
// task's pid or a live group's pgid; another id is ESRCH. The signal
// choice is kept.
func (f *File) setOwner(by *Task, typ, id int) error {
	var task *Task
	if id != 0 {
		var live bool
		task, live = f.k.lookup(id)
		if typ == F_OWNER_PGRP {
			task = nil
		}
		if !live && !f.k.groupExists(id) {
			return ESRCH
		}
	}
	f.mu.Lock()
	o := f.owner()
	o.typ, o.id, o.cred, o.task = typ, id, by.cred, task
	f.own.Store(&o)
	f.mu.Unlock()
	traceSetown(f, typ, id)
	return nil
}

// setown is F_SETOWN with C's int argument: arg > 0 a process, arg < 0
// process group -arg, 0 no owner; the most negative int has no
// opposite: EINVAL.
func (f *File) setown(by *Task, arg int) error {
	if arg < 0 {
		if arg == math.MinInt32 || -arg < 0 {
			return EINVAL
		}
		return f.setOwner(by, F_OWNER_PGRP, -arg)
	}
	return f.setOwner(by, F_OWNER_PID, arg)
}

// liveID is the owner's id as F_GETOWN and F_GETOWN_EX report it, as
// Linux's pid_task(pid, type) finds it: for F_OWNER_TID a live thread
// with that id, or a live process's main thread that has exited; for
// F_OWNER_PID a live process with that id (so 0 for another thread's
// id, even while that thread lives); for a group one with a member
// left; 0 otherwise.
func (f *File) liveID(o fown) int {
	switch {
	case o.id == 0:
		return 0
	case o.typ == F_OWNER_PGRP:
		if !f.k.groupExists(o.id) {
			return 0
		}
		return o.id
	}
	t := f.ownerTask(&o)
	if t == nil && o.typ == F_OWNER_TID {
		// A main thread that has exited lasts as long as its process
		// (a zombie leader): pid_task still finds it, though it takes
		// no signal (sendSigio finds nothing to send to).
		if leader, ok := f.k.lookup(o.id); ok && leader.pid == o.id {
			t = leader
		}
	}
	if t == nil || (o.typ != F_OWNER_TID && t.pid != o.id) {
		return 0
	}
	return o.id
}

// ownerTask returns the thread owner o's id names now, as pid_task(pid,
// PIDTYPE_PID): the one resolved at F_SETOWN while it lives with that id
// (the usual case, no lookup); once it has exited, or an exec has moved
// ids (de_thread), whichever task has the id — for F_OWNER_TID a live
// thread, otherwise also a live process whose main thread has exited —
// or nil.
func (f *File) ownerTask(o *fown) *Task {
	if t := o.task; t != nil && t.Alive() && t.Tid() == o.id {
		return t
	}
	var t *Task
	if o.typ == F_OWNER_TID {
		t, _ = f.k.Task(o.id)
	} else {
		t, _ = f.k.lookup(o.id)
	}
	return t
}

// getown is F_GETOWN: the owner's pid, minus its pgid for a group, or 0.
func (f *File) getown() int {
	o := f.owner()
	id := f.liveID(o)
	if o.typ == F_OWNER_PGRP {
		return -id
	}
	return id
}

// setsig is F_SETSIG: 0..64, 0 meaning plain SIGIO (SPEC A12).
func (f *File) setsig(sig int) error {
	if sig < 0 || sig >= NSIG {
		return EINVAL
	}
	f.mu.Lock()
	o := f.owner()
	o.sig = sig
	f.own.Store(&o)
	f.mu.Unlock()
	traceSetsig(f, sig)
	return nil
}

// sendSigio notifies f's owner that descriptor fd is ready with band
// (send_sigio): every owning task that the credentials recorded at
// F_SETOWN may signal (A10) gets the file's F_SETSIG signal with fd and
// band, or plain SIGIO when F_SETSIG is 0 or the real-time queue is full
// (A7). No owner, or a dead one, is skipped silently (A6); so is a plain
// SIGURG notification (sig SIGURG with F_SETSIG 0), since SIGURG has its
// own way of reaching the owner, as kill_fasync says.
func (f *File) sendSigio(fd, sig, band int, mask int16) {
	o := f.own.Load()
	if o == nil || o.id == 0 || (sig == SIGURG && o.sig == 0) {
		traceSendSigio(f, fd, o, nil, sig, band, mask, sigioSkipped(o))
		return
	}
	if o.typ == F_OWNER_PGRP {
		members := f.k.groupMembers(o.id)
		for _, t := range members {
			sigioTo(f, t, o, fd, band, mask, true)
		}
		if len(members) == 0 {
			traceSendSigio(f, fd, o, nil, o.sig, band, mask, verdictNoGroup)
		}
		return
	}
	t := f.ownerTask(o)
	if t == nil { // the id names no task: only a group did, or it exited (A6)
		traceSendSigio(f, fd, o, nil, o.sig, band, mask, verdictNoTask)
		return
	}
	// F_OWNER_TID names a thread; F_OWNER_PID and F_SETOWN a process,
	// starting with the thread found (T2).
	sigioTo(f, t, o, fd, band, mask, o.typ != F_OWNER_TID)
}

// sigioSkipped is send_sigio's verdict when it sends nothing at all.
func sigioSkipped(o *fown) string {
	if o == nil || o.id == 0 {
		return verdictNoOwner
	}
	return verdictSigurg
}

// sigioTo sends one fasync notification to t, or t's process if group,
// on behalf of owner o (send_sigio_to_task).
func sigioTo(f *File, t *Task, o *fown, fd, band int, mask int16, group bool) {
	if !mayKill(o.cred, t.cred) {
		traceSendSigio(f, fd, o, t, o.sig, band, mask, verdictDenied)
		return // dropped for this target only (A10)
	}
	if o.sig != 0 {
		code := band
		if sigSpecificCodes(o.sig) {
			code = SI_SIGIO // the band would read as one of the signal's own codes
		}
		traceSendSigio(f, fd, o, t, o.sig, code, mask, verdictAllowed)
		err := t.sendSignal(SigInfo{Signo: o.sig, Code: code, Fd: fd, Band: int(mask)}, group)
		if err != EAGAIN {
			return
		}
		// The real-time queue is full: fall back to plain SIGIO (A7).
	}
	traceSendSigio(f, fd, o, t, SIGIO, SI_KERNEL, 0, verdictAllowed)
	_ = t.sendSignal(SigInfo{Signo: SIGIO, Code: SI_KERNEL}, group)
}

// sigSpecificCodes reports whether sig has si_codes of its own that a
// band (POLL_IN ...) would be confused with (Linux's
// sig_specific_sicodes, SIGPOLL aside).
func sigSpecificCodes(sig int) bool {
	switch sig {
	case SIGILL, SIGFPE, SIGSEGV, SIGBUS, SIGTRAP, SIGCHLD, SIGSYS:
		return true
	}
	return false
}
