package kernel

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Config holds a kernel's limits. The zero value gives the defaults.
type Config struct {
	// SigPendingMax is the number of real-time signals that may be queued
	// on one process (its own and its threads' together) at a time
	// (RLIMIT_SIGPENDING analogue); 0 means 1024.
	SigPendingMax int
	// NoFile is every process's descriptor limit (RLIMIT_NOFILE
	// analogue); 0 means 1024. A benchmark watching 10,000 files raises it.
	NoFile int
	// FIFO makes the driver of each FIFO node that Task.Mknod creates
	// (package pipe's NewFIFO); nil makes Mknod of a FIFO fail with
	// EPERM (SPEC E7).
	FIFO func() Driver
}

// defaultSigPendingMax is SigPendingMax's value when Config leaves it 0.
const defaultSigPendingMax = 1024

// maxFiles is the default descriptor limit of a process (Config.NoFile;
// RLIMIT_NOFILE analogue): the table never grows past the limit, so a
// runaway caller gets EMFILE, not an exhausted heap. It is also
// FD_SETSIZE.
const maxFiles = 1024

// A Kernel is one independent model kernel: its own pid space, device
// table, tasks and limits. Kernels share no state.
type Kernel struct {
	sigPendingMax int
	nofile        int           // Config.NoFile
	newFIFO       func() Driver // Config.FIFO

	// epnested serialises epoll's loop checks (Linux's epnested_mutex):
	// it is taken before any eventpoll's mtx (epoll_ctl.go).
	epnested sync.Mutex
	epgen    uint64 // the loop check's generation, guarded by epnested

	// mu guards every field below. It is taken before any Task.mu (see
	// doc.go, "Lock ordering"); nothing holding it calls a driver or a
	// signal handler.
	mu      sync.RWMutex
	devices map[string]Driver
	// names is the sorted list of devices' names, built by Devices on
	// first use after a change and set to nil by every Register and
	// Unregister. A built list is never modified, so Devices copies it
	// without holding mu.
	names   []string
	tasks   map[int]*Task                 // live threads by tid
	procs   map[int]*process              // live processes by pid
	zombies map[int]*process              // exited processes not yet reaped
	groups  map[int]map[*process]struct{} // live members by pgid; no empty sets
	lastPid int
	closed  bool
	// exiting counts tasks terminated by a signal whose descriptors are
	// still being closed on their own goroutine; exitDone (on mu) is
	// broadcast when it drops to 0, so Close can wait for them.
	exiting  int
	exitDone *sync.Cond

	closeOnce sync.Once

	// tracer is the attached Tracer, nil when the kernel is not traced
	// (trace.go).
	tracer atomic.Pointer[Tracer]
}

// Cred is a task's credentials, used by the permission rule for kill and
// for fasync notifications (SPEC A10). The zero value is root.
type Cred struct{ UID, EUID, SUID int }

// New returns a kernel with no devices and no tasks.
func New(cfg Config) *Kernel {
	k := &Kernel{
		sigPendingMax: cfg.SigPendingMax,
		nofile:        cfg.NoFile,
		newFIFO:       cfg.FIFO,
		devices:       make(map[string]Driver),
		tasks:         make(map[int]*Task),
		procs:         make(map[int]*process),
		zombies:       make(map[int]*process),
		groups:        make(map[int]map[*process]struct{}),
	}
	if k.nofile <= 0 {
		k.nofile = maxFiles
	}
	if k.sigPendingMax <= 0 {
		k.sigPendingMax = defaultSigPendingMax
	}
	k.exitDone = sync.NewCond(&k.mu)
	return k
}

// Register adds device name, served by d. It fails with EEXIST if the name
// is taken and EINVAL for a nil driver or a name that could not be a file
// name (empty, ".", "..", or containing '/' or NUL).
func (k *Kernel) Register(name string, d Driver) error {
	if d == nil || name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return EINVAL
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.devices[name]; ok {
		return EEXIST
	}
	k.devices[name] = d
	k.names = nil
	return nil
}

// Unregister removes device name (ENOENT if absent). Files already open
// on it keep working: each holds its driver.
func (k *Kernel) Unregister(name string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.devices[name]; !ok {
		return ENOENT
	}
	delete(k.devices, name)
	k.names = nil
	return nil
}

// Devices returns the registered device names, sorted. The sorted list
// is kept between changes to the device table, so a call costs a copy,
// not a sort.
func (k *Kernel) Devices() []string {
	k.mu.RLock()
	names := k.names
	k.mu.RUnlock()
	if names == nil {
		names = k.sortNames()
	}
	return slices.Clone(names)
}

// sortNames builds names if no call has done so since the last change,
// and returns it.
func (k *Kernel) sortNames() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.names == nil {
		k.names = make([]string, 0, len(k.devices))
		for name := range k.devices {
			k.names = append(k.names, name)
		}
		sort.Strings(k.names)
	}
	return k.names
}

// Device returns the driver registered as name, and whether there is
// one. It costs one map look-up, whatever the size of the table.
func (k *Kernel) Device(name string) (Driver, bool) {
	k.mu.RLock()
	d, ok := k.devices[name]
	k.mu.RUnlock()
	return d, ok
}

// NewTask creates a process with one thread, its main thread, and
// returns that thread: the next pid (1, 2, ...) is both its Pid and its
// Tid, and it leads a new process group of its own (pgid = pid). It has
// no parent (Getppid 0). On a closed kernel the task is born dead: Alive
// reports false and its calls fail.
func (k *Kernel) NewTask(name string, cred Cred) *Task {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.lastPid++
	t := newProcess(k, k.lastPid, name, cred)
	if k.closed {
		t.dead = true
		t.exiting = true
		t.gone.Store(true)
		return t
	}
	k.enterLocked(t)
	return t
}

// enterLocked makes the new process of main thread t live, in the group
// t.pgid. k.mu is held.
func (k *Kernel) enterLocked(t *Task) {
	t.alive.Store(true)
	t.threads = []*Task{t}
	k.tasks[t.Tid()] = t
	k.procs[t.pid] = t.process
	k.joinGroupLocked(t.process, t.pgid)
}

// Task returns the live thread with the given id (a process's pid is its
// main thread's id).
func (k *Kernel) Task(tid int) (*Task, bool) {
	k.mu.RLock()
	t, ok := k.tasks[tid]
	k.mu.RUnlock()
	return t, ok
}

// lookup finds what a pid names for kill(2) and F_SETOWN, as find_vpid:
// a live thread, whose process is then the target with that thread
// first, or a live process whose main thread has exited. ok is false
// when the id names neither.
func (k *Kernel) lookup(id int) (first *Task, ok bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if t, ok := k.tasks[id]; ok {
		return t, true
	}
	if p, ok := k.procs[id]; ok {
		return p.leader, true
	}
	return nil, false
}

// joinGroupLocked moves p into process group pgid. k.mu must be held.
func (k *Kernel) joinGroupLocked(p *process, pgid int) {
	k.leaveGroupLocked(p)
	g := k.groups[pgid]
	if g == nil {
		g = make(map[*process]struct{})
		k.groups[pgid] = g
	}
	g[p] = struct{}{}
	p.pgid = pgid
}

// leaveGroupLocked takes p out of its process group, deleting the group
// when it empties. k.mu must be held.
func (k *Kernel) leaveGroupLocked(p *process) {
	if g := k.groups[p.pgid]; g != nil {
		delete(g, p)
		if len(g) == 0 {
			delete(k.groups, p.pgid)
		}
	}
}

// groupMembers returns the main threads of the live members of process
// group pgid, by pid (a process-directed send starts with them).
func (k *Kernel) groupMembers(pgid int) []*Task {
	k.mu.RLock()
	g := k.groups[pgid]
	members := make([]*Task, 0, len(g))
	for p := range g {
		members = append(members, p.leader)
	}
	k.mu.RUnlock()
	sort.Slice(members, func(i, j int) bool { return members[i].pid < members[j].pid })
	return members
}

// groupExists reports whether process group pgid has a live member.
func (k *Kernel) groupExists(pgid int) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return len(k.groups[pgid]) > 0
}

// Close shuts the kernel down: every task exits (its blocked calls return
// EBADF, its descriptors are closed and the files released), and Close
// waits for terminations already under way. It is idempotent; the kernel
// starts no goroutine that outlives it. Devices stay registered.
func (k *Kernel) Close() error {
	k.closeOnce.Do(k.shutdown)
	return nil
}

// shutdown is Close's body, run once.
func (k *Kernel) shutdown() {
	k.mu.Lock()
	k.closed = true
	tasks := make([]*Task, 0, len(k.procs))
	for _, p := range k.procs {
		tasks = append(tasks, p.leader)
	}
	k.mu.Unlock()
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].pid < tasks[j].pid })
	for _, t := range tasks {
		t.Exit()
	}
	k.mu.Lock()
	for k.exiting > 0 {
		k.exitDone.Wait()
	}
	k.mu.Unlock()
	k.Trace(nil)
}

// exitFinished records that a signal-terminated task's descriptors are
// all closed.
func (k *Kernel) exitFinished() {
	k.mu.Lock()
	k.exiting--
	if k.exiting == 0 {
		k.exitDone.Broadcast()
	}
	k.mu.Unlock()
}
