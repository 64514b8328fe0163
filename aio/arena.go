package aio

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// Registered (fixed) buffers.
//
// An engine created WithBufferArena owns an arena of page-aligned memory
// and hands out buffers from it (Engine.Buffer, Engine.ReleaseBuffer). The
// io_uring backend registers the arena with every ring
// (IORING_REGISTER_BUFFERS) and submits a read or write whose Buf lies
// wholly inside it as READ_FIXED or WRITE_FIXED: the kernel pinned and
// mapped the arena's pages once, at registration, instead of for every
// request, and the engine need not pin the buffer either. Any other
// buffer, including one that only starts inside the arena (a slice
// reaching past its end can only be made with package unsafe), takes the
// ordinary path, which the kernel checks like any read(2) buffer. The
// thread pool has nothing to register: there the arena is just aligned
// memory.
//
// The arena is Go memory, allocated once and pinned (runtime.Pinner)
// until Close has waited for every request and closed the rings: the
// kernel's registration refers to it that long, and afterwards a buffer
// still held by the caller stays valid Go memory.

// pageSize is the alignment of arena buffers: a destination aligned to
// less halves copy speed on this CPU (NOTES.md), and O_DIRECT needs at
// least the logical block size.
const pageSize = 4096

// maxArena bounds WithBufferArena: the kernel registers at most 1 GiB as
// one buffer, and one buffer (index 0) keeps the fixed path a range check.
const maxArena = 1 << 30

// WithBufferArena gives the engine an arena of size bytes (rounded up to
// whole pages) from which Buffer hands out page-aligned buffers; on
// io_uring, reads and writes into them are submitted as fixed-buffer
// operations (see arena.go). size must be 1 byte to 1 GiB, else EINVAL.
// Registration counts against RLIMIT_MEMLOCK for a process without
// CAP_IPC_LOCK; New fails with the kernel's error if it is refused.
func WithBufferArena(size int) Option {
	return func(c *config) error {
		if size <= 0 || size > maxArena {
			return fmt.Errorf("aio: buffer arena of %d bytes (want 1 to %d): %w", size, maxArena, syscall.EINVAL)
		}
		c.arena = (size + pageSize - 1) &^ (pageSize - 1)
		return nil
	}
}

// An arena is the engine's buffer memory and which of its pages are lent.
type arena struct {
	mem    []byte  // page-aligned, len a multiple of pageSize
	lo, hi uintptr // mem's address range, for contains on the submission path
	pin    runtime.Pinner

	mu    sync.Mutex
	used  []bool       // by page
	lent  map[uint]int // first page of each buffer lent → its pages
	hint  int          // where the next search starts (next fit)
	inUse int          // pages lent
}

// arenaSlack is memory allocated past the arena's end: at least one page
// of it, whatever the alignment, so a test can point a slice across the
// end at memory that is still the arena's allocation.
const arenaSlack = 2 * pageSize

func newArena(size int) *arena {
	raw := make([]byte, size+arenaSlack)
	skip := (pageSize - int(uintptr(unsafe.Pointer(&raw[0]))%pageSize)) % pageSize
	a := &arena{mem: raw[skip : skip+size : skip+size], used: make([]bool, size/pageSize), lent: map[uint]int{}}
	a.lo = uintptr(unsafe.Pointer(&a.mem[0]))
	a.hi = a.lo + uintptr(size)
	a.pin.Pin(&raw[0])
	return a
}

// base and end are the arena's address range.
func (a *arena) base() uintptr { return a.lo }
func (a *arena) end() uintptr  { return a.hi }

// contains reports whether b lies wholly inside the arena: then the
// kernel may access it as a fixed buffer. a may be nil.
func (a *arena) contains(b []byte) bool {
	if a == nil || len(b) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= a.lo && p+uintptr(len(b)) <= a.hi
}

// get lends n bytes, a whole number of pages, zeroed.
func (a *arena) get(n int) ([]byte, error) {
	pages := (n + pageSize - 1) / pageSize
	a.mu.Lock()
	defer a.mu.Unlock()
	first, ok := a.find(pages)
	if !ok {
		return nil, fmt.Errorf("aio: no %d free bytes in one piece in the buffer arena (%d of %d bytes lent): %w",
			pages*pageSize, a.inUse*pageSize, len(a.mem), syscall.ENOMEM)
	}
	for p := first; p < first+pages; p++ {
		a.used[p] = true
	}
	a.lent[uint(first)] = pages
	a.inUse += pages
	a.hint = first + pages
	b := a.mem[first*pageSize : first*pageSize+n : first*pageSize+n]
	clear(b)
	return b, nil
}

// find looks for pages free pages in a row, from hint on and then from
// the start (next fit). a.mu is held.
func (a *arena) find(pages int) (int, bool) {
	total := len(a.used)
	if pages > total-a.inUse {
		return 0, false
	}
	for _, r := range [2][2]int{{a.hint, total}, {0, min(a.hint+pages-1, total)}} {
		run := 0
		for p := r[0]; p < r[1]; p++ {
			if a.used[p] {
				run = 0
				continue
			}
			if run++; run == pages {
				return p - pages + 1, true
			}
		}
	}
	return 0, false
}

// put takes back a buffer get lent.
func (a *arena) put(b []byte) error {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if cap(b) == 0 || p < a.base() || p >= a.end() {
		return fmt.Errorf("aio: ReleaseBuffer of memory not from the engine's arena: %w", syscall.EINVAL)
	}
	off := p - a.base()
	a.mu.Lock()
	defer a.mu.Unlock()
	first := uint(off / pageSize)
	pages, ok := a.lent[first]
	if !ok || off%pageSize != 0 {
		return fmt.Errorf("aio: ReleaseBuffer of a slice that is not a buffer Buffer returned (or was released already): %w", syscall.EINVAL)
	}
	delete(a.lent, first)
	for p := int(first); p < int(first)+pages; p++ {
		a.used[p] = false
	}
	a.inUse -= pages
	return nil
}

// Buffer returns a buffer of n bytes from the engine's arena
// (WithBufferArena), starting on a page boundary, zeroed, with cap n.
// Reads and writes into it are fixed-buffer operations on io_uring. It is
// the caller's until ReleaseBuffer; it stays valid memory even after
// Close. n <= 0 is EINVAL; ENOMEM means the arena has no n free bytes in
// one piece, or the engine has no arena.
func (e *Engine) Buffer(n int) ([]byte, error) {
	if n <= 0 {
		return nil, fmt.Errorf("aio: Buffer(%d): %w", n, syscall.EINVAL)
	}
	if e.arena == nil {
		return nil, fmt.Errorf("aio: Buffer: the engine has no buffer arena (WithBufferArena): %w", syscall.ENOMEM)
	}
	if n > len(e.arena.mem) {
		return nil, fmt.Errorf("aio: Buffer(%d) from an arena of %d bytes: %w", n, len(e.arena.mem), syscall.ENOMEM)
	}
	return e.arena.get(n)
}

// ReleaseBuffer gives back a buffer Buffer returned, for Buffer to lend
// again. b must be that buffer (the same start; any length); anything
// else, or a buffer already given back, is EINVAL. The caller must not
// use b afterwards, nor release it while a request using it is in flight.
func (e *Engine) ReleaseBuffer(b []byte) error {
	if e.arena == nil {
		return fmt.Errorf("aio: ReleaseBuffer: the engine has no buffer arena: %w", syscall.EINVAL)
	}
	return e.arena.put(b)
}
