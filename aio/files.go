package aio

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/fasync-go/fasync/internal/uring"
)

// Registered files (io_uring's fixed files, IORING_REGISTER_FILES).
//
// A request names its file by descriptor, and for every request the
// kernel looks the descriptor up and takes a reference on the file, then
// drops it: an atomic on the file's count, shared by every core that uses
// the file. A registered file is looked up once, at registration, and
// requests name its slot in the ring's table instead (IOSQE_FIXED_FILE).
// Page-cached 4 KiB reads on two cores spent about 3% of their CPU in
// that lookup (fget, fput).
//
// The ring holds its own reference to a registered file, so the
// registration outlives the descriptor: after close(fd), and after the
// number is reused for another file, requests on fd would still reach the
// registered file. Hence the contract of UnregisterFile.

// fixedFiles is the number of slots in each ring's fixed-file table.
const fixedFiles = 64

// A fileRegistrar is a backend that can register descriptors. Backends
// without it (the thread pool) have nothing to register: a pread(2) on a
// worker does the lookup whatever is done.
type fileRegistrar interface {
	registerFile(fd int) error
	unregisterFile(fd int) error
}

// RegisterFile registers the open descriptor fd with the engine, so that
// its requests skip the kernel's per-request descriptor lookup on the
// io_uring backend (on the thread pool it only checks fd). fd must stay
// open, and must not be closed or replaced (dup2), until UnregisterFile(fd)
// has returned: the engine keeps using the file registered for fd until
// then.
//
// Errors: EBADF when fd is not an open descriptor; EEXIST when fd is
// registered already; ENFILE when the engine's table of 64 registered
// files is full; EINVAL after Close.
func (e *Engine) RegisterFile(fd int) error {
	if e.closed.Load() {
		return fmt.Errorf("aio: RegisterFile(%d): %w", fd, ErrClosed)
	}
	if !e.fds.isOpen(fd) {
		return fmt.Errorf("aio: RegisterFile(%d): %w", fd, syscall.EBADF)
	}
	if r, ok := e.bk.(fileRegistrar); ok {
		return r.registerFile(fd)
	}
	return nil
}

// UnregisterFile undoes RegisterFile(fd). Requests on fd submitted
// afterwards name the descriptor again; those in flight finish on the
// registered file. Unregistering a descriptor that is not registered is
// EINVAL (on the thread pool, which registers nothing, only a bad fd is).
func (e *Engine) UnregisterFile(fd int) error {
	if fd < 0 {
		return fmt.Errorf("aio: UnregisterFile(%d): %w", fd, syscall.EBADF)
	}
	if r, ok := e.bk.(fileRegistrar); ok {
		return r.unregisterFile(fd)
	}
	return nil
}

// fileTable maps descriptors to their slots in every ring's fixed-file
// table, for the io_uring backend.
//
// The submission path reads slots without a lock: it loads the current
// index (fd → slot+1, 0 for "not registered"), which register and
// unregister replace, copy on write, under mu.
type fileTable struct {
	index atomic.Pointer[[]int32]

	mu   sync.Mutex // guards used and replacing index
	used [fixedFiles]bool
}

// slot reports fd's fixed-file slot, or -1.
func (t *fileTable) slot(fd int) int {
	ix := t.index.Load()
	if ix == nil || fd < 0 || fd >= len(*ix) {
		return -1 // usually: no file is registered
	}
	return int((*ix)[fd]) - 1
}

// publish installs a copy of the index with fd mapped to slot+1 (0 removes
// fd). Called with mu held.
func (t *fileTable) publish(fd int, slot int32) {
	var old []int32
	if p := t.index.Load(); p != nil {
		old = *p
	}
	ix := make([]int32, max(len(old), fd+1))
	copy(ix, old)
	ix[fd] = slot + 1
	t.index.Store(&ix)
}

// registerFile puts fd in a free slot of every ring's table, then makes it
// visible to submissions.
func (b *uringBackend) registerFile(fd int) error {
	t := &b.files
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.slot(fd) >= 0 {
		return fmt.Errorf("aio: RegisterFile(%d): registered already: %w", fd, syscall.EEXIST)
	}
	slot := -1
	for i, u := range t.used {
		if !u {
			slot = i
			break
		}
	}
	if slot < 0 {
		return fmt.Errorf("aio: RegisterFile(%d): all %d slots are taken: %w", fd, fixedFiles, syscall.ENFILE)
	}
	for i, q := range b.rings {
		if err := updateFile(q, slot, fd); err != nil {
			for _, p := range b.rings[:i] {
				updateFile(p, slot, -1)
			}
			return fmt.Errorf("aio: RegisterFile(%d): %w", fd, err)
		}
	}
	t.used[slot] = true
	t.publish(fd, int32(slot))
	return nil
}

// unregisterFile hides fd from new submissions, waits until no SQE still
// to be handed to the kernel names its slot (Barrier on every ring: the
// kernel resolves a fixed file when it takes the SQE), then empties the
// slot. Requests already in the kernel hold their own reference.
func (b *uringBackend) unregisterFile(fd int) error {
	t := &b.files
	t.mu.Lock()
	defer t.mu.Unlock()
	slot := t.slot(fd)
	if slot < 0 {
		return fmt.Errorf("aio: UnregisterFile(%d): not registered: %w", fd, syscall.EINVAL)
	}
	t.publish(fd, -1)
	var first error
	for _, q := range b.rings {
		if err := q.loop.Barrier(); err != nil && first == nil {
			first = err
		}
		if err := updateFile(q, slot, -1); err != nil && first == nil {
			first = err
		}
	}
	t.used[slot] = false
	if first != nil {
		return fmt.Errorf("aio: UnregisterFile(%d): %w", fd, first)
	}
	return nil
}

// updateFile puts fd (-1: none) in slot of q's fixed-file table, on the
// ring's own thread where it has one.
func updateFile(q *uringRing, slot, fd int) error {
	return q.loop.Do(func(r *uring.Ring) error { return r.UpdateFiles(uint32(slot), []int32{int32(fd)}) })
}
