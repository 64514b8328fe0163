package devfs

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/fasync-go/fasync/kernel"
)

// A taskTable maps real processes to the model tasks standing for them.
//
// Invariant (under mu): byPid[pid] exists exactly while files > 0 for that
// entry, i.e. while the process holds at least one open file of ours (or
// an open is in progress). When files drops to 0 the entry leaves the
// table and its task exits; a later open by the same process makes a new
// task, as a fresh process would get.
type taskTable struct {
	k     *kernel.Kernel
	mu    sync.Mutex
	byPid map[int]*taskRef
}

// A taskRef is one model task and the count of files it holds for us.
type taskRef struct {
	pid   int // real thread-group id
	task  *kernel.Task
	files int // guarded by taskTable.mu
}

// acquire returns the task standing for real process pid (a thread id
// from the FUSE request, folded to its thread group), creating it on first
// use, and counts one more file for it. Every acquire is matched by one
// release.
func (tt *taskTable) acquire(tid int) *taskRef {
	pid := threadGroup(tid)
	tt.mu.Lock()
	defer tt.mu.Unlock()
	ref, ok := tt.byPid[pid]
	if !ok {
		// NewTask is cheap and does not call back into devfs, so it may
		// run under mu; that keeps one task per process even when two
		// threads open at once.
		ref = &taskRef{pid: pid, task: tt.k.NewTask(processName(pid), kernel.Cred{})}
		tt.byPid[pid] = ref
	}
	ref.files++
	return ref
}

// release drops one file of ref; the last one makes the task exit.
func (tt *taskTable) release(ref *taskRef) {
	tt.mu.Lock()
	ref.files--
	last := ref.files == 0
	if last && tt.byPid[ref.pid] == ref {
		delete(tt.byPid, ref.pid)
	}
	tt.mu.Unlock()
	if last {
		// Outside mu: Exit closes descriptors and may call drivers.
		ref.task.Exit()
	}
}

// exitAll makes every remaining task exit; used when serving has ended
// and no release will come for files that were still open.
func (tt *taskTable) exitAll() {
	tt.mu.Lock()
	refs := make([]*taskRef, 0, len(tt.byPid))
	for pid, ref := range tt.byPid {
		refs = append(refs, ref)
		delete(tt.byPid, pid)
	}
	tt.mu.Unlock()
	for _, ref := range refs {
		ref.task.Exit()
	}
}

func (tt *taskTable) len() int {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return len(tt.byPid)
}

// threadGroup returns the thread-group id (the process id) of thread tid,
// from /proc. FUSE requests carry the calling thread's id; a thread that
// is already gone, or pid 0 (a request from the kernel itself), is taken
// as is.
func threadGroup(tid int) int {
	if tid <= 0 {
		return tid
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return tid
	}
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		if v, ok := bytes.CutPrefix(line, []byte("Tgid:")); ok {
			if pid, err := strconv.Atoi(string(bytes.TrimSpace(v))); err == nil {
				return pid
			}
		}
	}
	return tid
}

// processName names a model task after the real process, for the status
// view and traces: "cat[1234]".
func processName(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return fmt.Sprintf("pid[%d]", pid)
	}
	return fmt.Sprintf("%s[%d]", bytes.TrimSpace(b), pid)
}
