package uring

import (
	"fmt"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// The submission side of a Ring: handing out SQEs, publishing them, and
// io_uring_enter. The SQE preparations are in prep.go, the completion
// side in cq.go.

// NextSQE returns the next free SQE for the caller to fill, or nil when
// the submission queue is full (every SQE prepared and not yet consumed by
// the kernel). The SQE reaches the kernel at the next Flush and Submit.
// NextSQE hands out SQEs that still hold their previous contents: the Prep
// methods overwrite all of it. On a ring set up with IORING_SETUP_SQE128
// the SQE is the first half of a 128-byte entry (see PrepURingCmd).
func (r *Ring) NextSQE() *SQE {
	head := atomic.LoadUint32(r.sqHead)
	if r.sqeTail-head >= r.sqEntries {
		return nil
	}
	s := &r.sqes[(r.sqeTail&r.sqMask)<<r.sqeShift]
	r.sqeTail++
	return s
}

// SQSpace reports how many more SQEs NextSQE can hand out now.
func (r *Ring) SQSpace() uint32 {
	return r.sqEntries - (r.sqeTail - atomic.LoadUint32(r.sqHead))
}

// Flush publishes the prepared SQEs to the kernel (a store-release of the
// SQ tail) and reports how many published SQEs the kernel has not yet
// consumed: the count to pass to io_uring_enter.
func (r *Ring) Flush() uint32 {
	atomic.StoreUint32(r.sqTail, r.sqeTail)
	return r.sqeTail - atomic.LoadUint32(r.sqHead)
}

// Pending reports how many published SQEs the kernel has not yet consumed.
// Unlike the rest of the SQ side it may be called from any goroutine.
func (r *Ring) Pending() uint32 {
	return atomic.LoadUint32(r.sqTail) - atomic.LoadUint32(r.sqHead)
}

// Submit flushes and hands every unconsumed SQE to the kernel with one
// io_uring_enter. It reports how many SQEs the kernel consumed.
func (r *Ring) Submit() (int, error) {
	return r.Enter(r.Flush(), 0, 0)
}

// SubmitAndWait is Submit that also waits until at least wait completions
// are in the CQ.
func (r *Ring) SubmitAndWait(wait uint32) (int, error) {
	return r.Enter(r.Flush(), wait, IORING_ENTER_GETEVENTS)
}

// Enter is io_uring_enter(2): submit toSubmit SQEs and, with
// IORING_ENTER_GETEVENTS, wait for minComplete completions. EINTR is
// retried. It reports how many SQEs the kernel consumed.
func (r *Ring) Enter(toSubmit, minComplete, flags uint32) (int, error) {
	return r.enter(unix.Syscall6, toSubmit, minComplete, flags)
}

// EnterNoWait is Enter for a call that does not wait (no minComplete),
// made without telling the Go scheduler it is in a system call
// (RawSyscall6). See Loop.enter for why.
func (r *Ring) EnterNoWait(toSubmit, flags uint32) (int, error) {
	return r.enter(unix.RawSyscall6, toSubmit, 0, flags)
}

// enter makes io_uring_enter through syscall6, retrying EINTR.
func (r *Ring) enter(syscall6 func(trap, a1, a2, a3, a4, a5, a6 uintptr) (r1, r2 uintptr, err unix.Errno),
	toSubmit, minComplete, flags uint32) (int, error) {
	for {
		n, _, errno := syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd),
			uintptr(toSubmit), uintptr(minComplete), uintptr(flags), 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return int(n), fmt.Errorf("uring: io_uring_enter(%d, %d, %#x): %w", toSubmit, minComplete, flags, errno)
		}
		return int(n), nil
	}
}
