package kernel

import (
	"sync"
	"sync/atomic"
)

// A Task is a thread of the model kernel, as Linux's task_struct is: it
// has its own thread id (Tid), blocked-signal mask and thread-directed
// pending signals, and shares with the other threads of its process
// (Pid, the thread-group id) the descriptor table, the signal handlers,
// the process-directed pending signals, the process group, the
// credentials and the children. Kernel.NewTask makes a process's main
// thread (Tid == Pid), NewThread another thread, Fork a new process.
//
// Every Task method works from any thread of the process. Any goroutine
// may call a Task's methods; goroutines calling one *Task act as that
// one thread: they share its mask, and its handlers run on them at safe
// points (see doc.go).
type Task struct {
	// process is what the task shares with the other threads of its
	// process; its fields (k, pid, cred, mu, fds, actions ...) are
	// promoted, so t.mu is the process's lock.
	*process

	tid  atomic.Int64 // thread id; changes only when a thread execs (Exec)
	name string       // guarded by mu (Exec renames)

	// Guarded by mu.
	dead      bool       // the thread has exited
	calls     []*call    // blocking calls in flight; call.idx is the position
	freeCalls *call      // ended call records kept for reuse (call.go)
	nfree     int        // length of freeCalls
	sigs      sigPending // thread-directed pending signals
	mask      Sigset     // blocked signals (never SIGKILL or SIGSTOP)
	// realBlocked is the mask the Sigtimedwaits in progress replaced
	// (Linux's real_blocked), valid while inWait; waits holds their sets,
	// which stay unblocked (mask is realBlocked minus them) so that the
	// signals they wait for are sent to this thread. Goroutines sharing
	// the thread may wait at once, hence a list.
	realBlocked Sigset
	inWait      bool
	waits       []Sigset
	// frames are the masks saved by the handlers running on the thread
	// (the signal frames' uc_sigmask) and by Sigsuspend, innermost last.
	frames []*sigFrame
	// savedMask is the mask a call waiting with another one (Sigsuspend,
	// EpollPwait) replaced, valid while restoreMask: Linux's
	// saved_sigmask and TIF_RESTORE_SIGMASK. The first handler frame set
	// up meanwhile saves it, so that handler's return restores it.
	savedMask   Sigset
	restoreMask bool

	// alive mirrors !dead for lock-free readers (Alive, safe points).
	alive atomic.Bool
	// npending is Linux's TIF_SIGPENDING: non-zero when a signal may be
	// deliverable to this thread or its process is stopping, so a safe
	// point with nothing to do takes no lock. Written under mu.
	npending atomic.Int32
	// handled counts handlers run on the thread; handledQ is woken after
	// each, which is what Pause and Sigsuspend sleep on.
	handled  atomic.Uint64
	handledQ WaitQueue
}

// sigFrame is one running handler's saved mask.
type sigFrame struct{ saved Sigset }

// newThread returns a thread of p with id tid, not yet entered in any
// table.
func newThread(p *process, tid int, name string) *Task {
	t := &Task{process: p, name: name}
	t.tid.Store(int64(tid))
	return t
}

// Pid returns the process id: the thread-group id, the same for every
// thread of the process.
func (t *Task) Pid() int { return t.pid }

// Tid returns the thread id (gettid(2)): the process id for the main
// thread, a pid-space id of its own for another thread.
func (t *Task) Tid() int { return int(t.tid.Load()) }

// Pgid returns the process group id.
func (t *Task) Pgid() int {
	t.k.mu.RLock()
	defer t.k.mu.RUnlock()
	return t.pgid
}

// Name returns the thread's name: the one it was created with, or the
// program name of the last Exec.
func (t *Task) Name() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.name
}

// Cred returns the process's credentials.
func (t *Task) Cred() Cred { return t.cred }

// Kernel returns the kernel the task belongs to.
func (t *Task) Kernel() *Kernel { return t.k }

// Alive reports whether the thread has not exited.
func (t *Task) Alive() bool { return t.alive.Load() }

// Setpgid moves the process to another process group: pgid 0 or the
// process's own pid makes a new group led by it; any other pgid must name
// an existing group (EPERM otherwise, as setpgid(2) gives it). A negative
// pgid is EINVAL; a dead process gets ESRCH.
func (t *Task) Setpgid(pgid int) error {
	defer t.safePoint()
	if pgid < 0 {
		return EINVAL
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.procs[t.pid] != t.process {
		return ESRCH
	}
	if pgid == 0 {
		pgid = t.pid
	}
	if pgid != t.pid && len(k.groups[pgid]) == 0 {
		return EPERM
	}
	k.joinGroupLocked(t.process, pgid)
	return nil
}

// process is what the threads of one process share: Linux's
// signal_struct, sighand_struct and files_struct in one.
type process struct {
	k    *Kernel
	pid  int
	cred Cred // immutable: the model has no setuid

	// Guarded by Kernel.mu: the process group and the process tree.
	pgid     int
	parent   *process   // nil: no parent (a NewTask process, or orphaned)
	children []*process // live and zombie children, in fork order
	zombie   bool       // exited, not yet reaped
	status   WaitStatus // exit status, valid once zombie
	report   WaitStatus // a stop or continue not yet reported to wait
	reported bool       // report is valid

	// mu guards the descriptor table, the threads, the in-flight calls
	// and the signal state. Lock order: Kernel.mu before mu. While mu is
	// held nothing takes another process's mu, calls a driver or runs a
	// handler; cancelling a call's context under mu is allowed (it runs
	// no user code).
	mu      sync.Mutex
	exiting bool // the process is exiting or has exited
	// gone mirrors exiting for lock-free readers (F_GETOWN).
	gone    atomic.Bool
	fds     []*fdEntry // index = descriptor; nil = free
	actions [NSIG]Sigaction
	shared  sigPending // process-directed pending signals
	nrt     int        // real-time instances queued, shared and per thread
	threads []*Task    // live threads, by creation
	leader  *Task      // the main thread (Tid == Pid), alive or not
	stopped bool       // group stop: SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU
	stopSig int        // the signal that stopped it
	stops   uint64     // stops begun, for the calls a stop ends (Sigtimedwait)

	// stopQ is woken when a stop ends or the process exits: stopped
	// threads sleep on it at their safe points.
	stopQ WaitQueue
	// sigQ is woken whenever a signal becomes pending on the process or
	// one of its threads (Linux's signalfd_wqh): signalfds poll it.
	sigQ WaitQueue
	// childQ is woken when a child changes state (wait_chldexit).
	childQ WaitQueue
	// exited is closed when the last thread is gone and the files are
	// being closed.
	exited chan struct{}
}

// newProcess returns a process with pid and a main thread, entered in no
// table.
func newProcess(k *Kernel, pid int, name string, cred Cred) *Task {
	p := &process{k: k, pid: pid, pgid: pid, cred: cred, exited: make(chan struct{})}
	t := newThread(p, pid, name)
	p.leader = t
	return t
}
