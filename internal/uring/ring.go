package uring

import (
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A Ring is one io_uring instance: the kernel's submission queue (SQ), its
// SQE array and its completion queue (CQ), mapped into this process.
//
// A Ring is not safe for concurrent use as a whole. It has two sides that
// may run on different goroutines: the SQ side (NextSQE, Flush, Submit,
// SubmitAndWait) and the CQ side (Reap, Ready). Each side must be used by
// one goroutine at a time. Loop builds a concurrent engine on a Ring.
//
// Memory ordering: the kernel reads the SQ tail with acquire semantics and
// writes the CQ tail with release semantics; the matching stores and loads
// here are sync/atomic operations on the mmap'd words, which Go makes
// sequentially consistent. SQE contents are written with plain stores
// before the tail is published, and CQE contents are read with plain loads
// after the tail was loaded and before the head is given back.
type Ring struct {
	fd       int
	flags    uint32 // IORING_SETUP_* in effect
	features uint32 // IORING_FEAT_* the kernel reported

	ringMem []byte // SQ ring, and the CQ ring too with IORING_FEAT_SINGLE_MMAP
	cqMem   []byte // CQ ring when mapped on its own, else nil
	sqeMem  []byte // the SQE array

	// SQ side. The kernel advances *sqHead as it consumes SQEs; this
	// process advances *sqTail to publish them. SQEs in [*sqTail, sqeTail)
	// are prepared but not yet published.
	sqHead, sqTail, sqFlags *uint32
	sqMask, sqEntries       uint32
	sqes                    []SQE
	sqeShift                uint32 // log2 of the SQE stride in SQEs: 1 with IORING_SETUP_SQE128, else 0
	sqeTail                 uint32

	// CQ side. The kernel advances *cqTail as it posts CQEs; this process
	// advances *cqHead as it consumes them. *cqFlags holds
	// IORING_CQ_EVENTFD_DISABLED, written by this process.
	cqHead, cqTail, cqFlags *uint32
	cqMask, cqEntries       uint32
	cqes                    []CQE

	// Wait's arguments to the kernel, which must outlive its call.
	waitArg getEventsArg
	waitTs  unix.Timespec
}

// Config says how to set up a Ring.
type Config struct {
	// Entries is the size of the submission queue, rounded up to a power of
	// two by the kernel (at most 32768).
	Entries uint32
	// CQEntries is the size of the completion queue; 0 means 2*Entries.
	CQEntries uint32
	// Flags are the IORING_SETUP_* flags wanted. Setup drops those the
	// kernel rejects (see Setup); Ring.Flags reports what is in effect.
	Flags uint32
}

// optionalFlags are dropped, in this order, when io_uring_setup rejects a
// set with EINVAL: each is an optimisation newer than the last, and a ring
// works without any of them.
var optionalFlags = []uint32{
	IORING_SETUP_NO_SQARRAY,    // 6.6
	IORING_SETUP_DEFER_TASKRUN, // 6.1
	IORING_SETUP_SINGLE_ISSUER, // 6.0
	IORING_SETUP_TASKRUN_FLAG,  // 5.19
	IORING_SETUP_COOP_TASKRUN,  // 5.19
	IORING_SETUP_SUBMIT_ALL,    // 5.18
}

// Setup creates a ring (io_uring_setup) and maps its queues. Flags the
// kernel rejects with EINVAL are dropped one by one, newest first
// (NO_SQARRAY, DEFER_TASKRUN, SINGLE_ISSUER, TASKRUN_FLAG, COOP_TASKRUN,
// SUBMIT_ALL), so a ring asked for with every optimisation still comes up
// on an older kernel. IORING_SETUP_DEFER_TASKRUN and SINGLE_ISSUER tie the
// ring to the creating thread: only that thread may then submit, which in
// Go means runtime.LockOSThread.
func Setup(cfg Config) (*Ring, error) {
	if cfg.Entries == 0 {
		return nil, fmt.Errorf("uring: Setup with 0 entries: %w", syscall.EINVAL)
	}
	flags := cfg.Flags
	if cfg.CQEntries != 0 {
		flags |= IORING_SETUP_CQSIZE
	}
	var p params
	var fd uintptr
	for i := 0; ; i++ {
		p = params{Flags: flags, CqEntries: cfg.CQEntries}
		var errno syscall.Errno
		fd, _, errno = unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(cfg.Entries), uintptr(unsafe.Pointer(&p)), 0)
		if errno == 0 {
			break
		}
		if errno != unix.EINVAL || i == len(optionalFlags) {
			return nil, fmt.Errorf("uring: io_uring_setup(%d entries, flags %#x): %w", cfg.Entries, flags, errno)
		}
		flags &^= optionalFlags[i]
		if flags&IORING_SETUP_SINGLE_ISSUER == 0 {
			flags &^= IORING_SETUP_DEFER_TASKRUN // needs SINGLE_ISSUER
		}
	}
	r := &Ring{fd: int(fd), flags: p.Flags, features: p.Features}
	if err := r.mmap(&p); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// mmap maps the rings and the SQE array described by p and points the
// ring's fields into them.
func (r *Ring) mmap(p *params) error {
	sqSize := uintptr(p.SqOff.Array) + uintptr(p.SqEntries)*4
	cqSize := uintptr(p.CqOff.Cqes) + uintptr(p.CqEntries)*unsafe.Sizeof(CQE{})
	single := p.Features&IORING_FEAT_SINGLE_MMAP != 0
	if single && cqSize > sqSize {
		sqSize = cqSize
	}
	var err error
	if r.ringMem, err = mapRegion(r.fd, IORING_OFF_SQ_RING, sqSize); err != nil {
		return err
	}
	cqMem := r.ringMem
	if !single {
		if r.cqMem, err = mapRegion(r.fd, IORING_OFF_CQ_RING, cqSize); err != nil {
			return err
		}
		cqMem = r.cqMem
	}
	if r.flags&IORING_SETUP_SQE128 != 0 {
		r.sqeShift = 1 // each entry is two 64-byte SQE slots
	}
	if r.sqeMem, err = mapRegion(r.fd, IORING_OFF_SQES, uintptr(p.SqEntries<<r.sqeShift)*unsafe.Sizeof(SQE{})); err != nil {
		return err
	}

	r.sqHead = word(r.ringMem, p.SqOff.Head)
	r.sqTail = word(r.ringMem, p.SqOff.Tail)
	r.sqFlags = word(r.ringMem, p.SqOff.Flags)
	r.sqMask = *word(r.ringMem, p.SqOff.RingMask)
	r.sqEntries = *word(r.ringMem, p.SqOff.RingEntries)
	r.sqes = unsafe.Slice((*SQE)(unsafe.Pointer(&r.sqeMem[0])), r.sqEntries<<r.sqeShift)
	if r.flags&IORING_SETUP_NO_SQARRAY == 0 {
		// SQEs are used in ring order, so the indirection array is the
		// identity, written once.
		array := unsafe.Slice(word(r.ringMem, p.SqOff.Array), r.sqEntries)
		for i := range array {
			array[i] = uint32(i)
		}
	}

	r.cqHead = word(cqMem, p.CqOff.Head)
	r.cqTail = word(cqMem, p.CqOff.Tail)
	r.cqFlags = word(cqMem, p.CqOff.Flags)
	r.cqMask = *word(cqMem, p.CqOff.RingMask)
	r.cqEntries = *word(cqMem, p.CqOff.RingEntries)
	r.cqes = unsafe.Slice((*CQE)(unsafe.Pointer(&cqMem[p.CqOff.Cqes])), r.cqEntries)
	return nil
}

func mapRegion(fd int, offset int64, size uintptr) ([]byte, error) {
	b, err := unix.Mmap(fd, offset, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("uring: mmap of ring region %#x (%d bytes): %w", offset, size, err)
	}
	return b, nil
}

// word points at the uint32 at off in mem.
func word(mem []byte, off uint32) *uint32 {
	return (*uint32)(unsafe.Pointer(&mem[off]))
}

// Close unmaps the ring and closes its descriptor. Requests still in the
// kernel are cancelled by the kernel; their buffers must stay valid until
// they would have completed, so callers close only idle rings (Loop.Close
// cancels and waits first).
func (r *Ring) Close() error {
	for _, m := range [][]byte{r.sqeMem, r.cqMem, r.ringMem} {
		if m != nil {
			unix.Munmap(m)
		}
	}
	r.sqeMem, r.cqMem, r.ringMem = nil, nil, nil
	r.sqes, r.cqes = nil, nil
	if r.fd < 0 {
		return ErrClosed
	}
	err := unix.Close(r.fd)
	r.fd = -1
	return err
}

// Fd is the ring's descriptor.
func (r *Ring) Fd() int { return r.fd }

// Flags reports the IORING_SETUP_* flags in effect (those asked for that
// the kernel accepted, plus CQSIZE when the CQ size was given).
func (r *Ring) Flags() uint32 { return r.flags }

// Features reports the IORING_FEAT_* flags the kernel announced.
func (r *Ring) Features() uint32 { return r.features }

// SQEntries and CQEntries report the sizes the kernel gave the queues.
func (r *Ring) SQEntries() uint32 { return r.sqEntries }

// CQEntries reports the size of the completion queue.
func (r *Ring) CQEntries() uint32 { return r.cqEntries }
