package linuxaio

import (
	"sync/atomic"
	"unsafe"
)

// The completion ring. io_setup maps it into the process at the address
// it returns as the context, and the kernel appends an io_event at tail
// for each completion; io_getevents copies events from head. A process
// that takes every event itself (never calling io_getevents) may read the
// ring directly and advance head, saving a system call per batch: the
// kernel reads head back to know the room left (fio's userspace_reap does
// the same).

// AIO_RING_MAGIC marks a ring whose layout is the one below.
const AIO_RING_MAGIC = 0xa10a10a1

// ringHeader is struct aio_ring without its events.
type ringHeader struct {
	ID               uint32
	Nr               uint32 // events in the ring
	Head             uint32 // next event to take, written by the reader
	Tail             uint32 // next event to write, written by the kernel
	Magic            uint32
	CompatFeatures   uint32
	IncompatFeatures uint32
	HeaderLength     uint32 // sizeof(struct aio_ring)
}

// A Ring is the completion ring of a context, read in user space. Take
// is for one goroutine at a time, and nothing else may take events from
// the context (io_getevents) meanwhile.
type Ring struct {
	h      *ringHeader
	events []IoEvent
}

// RingOf returns ctx's ring, or nil when its header is not the layout
// this package knows (a kernel may change it: it sets incompatible
// feature bits then), in which case events must be taken with Getevents.
func RingOf(ctx uintptr) *Ring {
	p := *(*unsafe.Pointer)(unsafe.Pointer(&ctx)) // the ring lies at the context's address
	h := (*ringHeader)(p)
	if h.Magic != AIO_RING_MAGIC || h.IncompatFeatures != 0 || h.HeaderLength != uint32(unsafe.Sizeof(ringHeader{})) || h.Nr == 0 {
		return nil
	}
	return &Ring{h: h, events: unsafe.Slice((*IoEvent)(unsafe.Add(p, unsafe.Sizeof(ringHeader{}))), h.Nr)}
}

// Take copies up to len(evs) completion events into evs, oldest first,
// frees their places in the ring and returns how many it took.
func (r *Ring) Take(evs []IoEvent) int {
	nr := uint32(len(r.events))
	head := atomic.LoadUint32(&r.h.Head) % nr
	tail := atomic.LoadUint32(&r.h.Tail) % nr // the events before it are written
	n := 0
	for head != tail && n < len(evs) {
		evs[n] = r.events[head]
		n++
		if head++; head == nr {
			head = 0
		}
	}
	if n > 0 {
		atomic.StoreUint32(&r.h.Head, head)
	}
	return n
}
