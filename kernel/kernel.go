package kernel

import (
	"slices"
	"sort"
	"strings"
	"sync"
)

// Config holds a kernel's limits. The zero value gives the defaults.
type Config struct {
	// SigPendingMax is the number of real-time signals that may be queued
	// on one task at a time (RLIMIT_SIGPENDING analogue); 0 means 1024.
	SigPendingMax int
	// NoFile is every task's descriptor limit (RLIMIT_NOFILE analogue);
	// 0 means 1024. A benchmark watching 10,000 files raises it.
	NoFile int
	// FIFO makes the driver of each FIFO node that Task.Mknod creates
	// (package pipe's NewFIFO); nil makes Mknod of a FIFO fail with
	// EPERM (SPEC E7).
	FIFO func() Driver
}

// defaultSigPendingMax is SigPendingMax's value when Config leaves it 0.
const defaultSigPendingMax = 1024

// maxFiles is the default descriptor limit (Config.NoFile; RLIMIT_NOFILE
// analogue): the table never grows past the limit, so a runaway caller
// gets EMFILE, not an exhausted heap. It is also FD_SETSIZE.
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
	tasks   map[int]*Task              // live tasks by pid
	groups  map[int]map[*Task]struct{} // live members by pgid; no empty sets
	lastPid int
	closed  bool
	// exiting counts tasks terminated by a signal whose descriptors are
	// still being closed on their own goroutine; exitDone (on mu) is
	// broadcast when it drops to 0, so Close can wait for them.
	exiting  int
	exitDone *sync.Cond

	closeOnce sync.Once
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
		groups:        make(map[int]map[*Task]struct{}),
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

// NewTask creates a task (a single-threaded process) with the next pid
// (1, 2, ...) leading a new process group of its own (pgid = pid). On a
// closed kernel the task is born dead: Alive reports false and its calls
// fail.
func (k *Kernel) NewTask(name string, cred Cred) *Task {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.lastPid++
	t := newTask(k, k.lastPid, name, cred)
	if k.closed {
		t.dead = true
		return t
	}
	t.alive.Store(true)
	k.tasks[t.pid] = t
	k.joinGroupLocked(t, t.pid)
	return t
}

// Task returns the live task with the given pid.
func (k *Kernel) Task(pid int) (*Task, bool) {
	k.mu.RLock()
	t, ok := k.tasks[pid]
	k.mu.RUnlock()
	return t, ok
}

// joinGroupLocked moves t into process group pgid. k.mu must be held.
func (k *Kernel) joinGroupLocked(t *Task, pgid int) {
	k.leaveGroupLocked(t)
	g := k.groups[pgid]
	if g == nil {
		g = make(map[*Task]struct{})
		k.groups[pgid] = g
	}
	g[t] = struct{}{}
	t.pgid = pgid
}

// leaveGroupLocked takes t out of its process group, deleting the group
// when it empties. k.mu must be held.
func (k *Kernel) leaveGroupLocked(t *Task) {
	if g := k.groups[t.pgid]; g != nil {
		delete(g, t)
		if len(g) == 0 {
			delete(k.groups, t.pgid)
		}
	}
}

// groupMembers returns the live members of process group pgid, by pid.
func (k *Kernel) groupMembers(pgid int) []*Task {
	k.mu.RLock()
	g := k.groups[pgid]
	members := make([]*Task, 0, len(g))
	for t := range g {
		members = append(members, t)
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
	tasks := make([]*Task, 0, len(k.tasks))
	for _, t := range k.tasks {
		tasks = append(tasks, t)
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
