package kernel

import (
	"sync"
	"sync/atomic"
)

// A Task is a process of the model kernel. It is single-threaded in the
// model (TID == PID), but any goroutine may call its methods: several
// goroutines calling into one task are several threads of one process,
// sharing its descriptor table and signal state.
//
// Signal handlers run on the goroutines that call the task's methods, at
// safe points (see doc.go): handlers of one task never run concurrently.
type Task struct {
	k    *Kernel
	pid  int
	name string
	cred Cred // immutable: the model has no setuid

	pgid int // guarded by k.mu

	// mu guards the descriptor table, the in-flight calls and the signal
	// state below. Lock order: Kernel.mu before mu. While mu is held
	// nothing takes another task's mu, calls a driver or runs a handler;
	// cancelling a call's context under mu is allowed (it runs no user
	// code).
	mu         sync.Mutex
	dead       bool
	fds        []*fdEntry // index = descriptor; nil = free
	calls      []*call    // blocking calls in flight; call.idx is the position
	freeCalls  *call      // ended call records kept for reuse (call.go)
	nfree      int        // length of freeCalls
	actions    [NSIG]Sigaction
	sigs       sigPending
	delivering bool // a goroutine is in deliverSignals' loop

	// alive mirrors !dead for lock-free readers (Alive, safe points).
	alive atomic.Bool
	// npending mirrors the number of pending signals (written under mu),
	// so a safe point with nothing pending takes no lock.
	npending atomic.Int32
	// handled counts handlers run; handledQ is woken after each, which is
	// what Pause sleeps on.
	handled  atomic.Uint64
	handledQ WaitQueue
}

// newTask returns a task not yet entered in k's tables.
func newTask(k *Kernel, pid int, name string, cred Cred) *Task {
	return &Task{k: k, pid: pid, pgid: pid, name: name, cred: cred}
}

// Pid returns the task's process id (also its thread id).
func (t *Task) Pid() int { return t.pid }

// Pgid returns the task's process group id.
func (t *Task) Pgid() int {
	t.k.mu.RLock()
	defer t.k.mu.RUnlock()
	return t.pgid
}

// Name returns the name the task was created with.
func (t *Task) Name() string { return t.name }

// Cred returns the task's credentials.
func (t *Task) Cred() Cred { return t.cred }

// Kernel returns the kernel the task belongs to.
func (t *Task) Kernel() *Kernel { return t.k }

// Alive reports whether the task has not exited.
func (t *Task) Alive() bool { return t.alive.Load() }

// Setpgid moves the task to another process group: pgid 0 or the task's
// own pid makes a new group led by it; any other pgid must name an
// existing group (ESRCH otherwise). A negative pgid is EINVAL; a dead task
// gets ESRCH.
func (t *Task) Setpgid(pgid int) error {
	defer t.safePoint()
	if pgid < 0 {
		return EINVAL
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.tasks[t.pid] != t {
		return ESRCH
	}
	if pgid == 0 {
		pgid = t.pid
	}
	if pgid != t.pid && len(k.groups[pgid]) == 0 {
		return ESRCH
	}
	k.joinGroupLocked(t, pgid)
	return nil
}

// Exit ends the task: it becomes dead (signals to it are discarded, owners
// naming it are skipped, SPEC A6), its blocked calls return EBADF and
// every descriptor is closed as by Close. Exit is idempotent.
func (t *Task) Exit() {
	t.markDead(false)
	t.closeAll()
}

// terminate is a signal's default action: the task dies at once, and its
// descriptors are closed on a goroutine of their own, because the sender
// may be a driver holding its own lock (kill_fasync from a write) and
// closing runs that driver's Release. Kernel.Close waits for it.
func (t *Task) terminate() {
	if t.markDead(true) {
		go func() {
			t.closeAll()
			t.k.exitFinished()
		}()
	}
}

// markDead takes t out of the kernel's tables, discards its pending
// signals and interrupts its blocking calls with EBADF. It reports whether
// t was alive; async counts the caller's pending closeAll in k.exiting.
func (t *Task) markDead(async bool) bool {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.tasks[t.pid] != t {
		return false
	}
	delete(k.tasks, t.pid)
	k.leaveGroupLocked(t)
	if async {
		k.exiting++
	}
	t.mu.Lock()
	t.dead = true
	t.alive.Store(false)
	t.sigs = sigPending{}
	t.npending.Store(0)
	for _, c := range t.calls {
		c.cancel(callBadf)
	}
	t.mu.Unlock()
	return true
}

// closeAll closes every descriptor of a dead task.
func (t *Task) closeAll() {
	t.mu.Lock()
	fds := t.fds
	t.fds = nil
	for _, e := range fds {
		if e != nil {
			e.closed.Store(true)
		}
	}
	t.mu.Unlock()
	for _, e := range fds {
		if e != nil {
			e.closeQ.WakeUp()
			e.file.put()
		}
	}
}
