package uring

import (
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The completion side of a Ring: waiting for, counting and reaping CQEs,
// and the CQ's flags.

// Wait is io_uring_enter(GETEVENTS) that waits until minComplete CQEs are
// in the CQ or timeout passes, as a blocking system call (the Go scheduler
// is told). A timeout, a signal or a busy kernel end it early and are not
// errors: the caller looks at the CQ again. It needs IORING_FEAT_EXT_ARG
// (Linux 5.11). Only one goroutine may wait on a Ring at a time.
func (r *Ring) Wait(minComplete uint32, timeout time.Duration) error {
	r.waitTs = unix.NsecToTimespec(max(int64(timeout), 0))
	r.waitArg = getEventsArg{Ts: uint64(uintptr(unsafe.Pointer(&r.waitTs)))}
	_, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), 0, uintptr(minComplete),
		IORING_ENTER_GETEVENTS|IORING_ENTER_EXT_ARG, uintptr(unsafe.Pointer(&r.waitArg)), unsafe.Sizeof(r.waitArg))
	switch errno {
	case 0, unix.ETIME, unix.EINTR, unix.EAGAIN, unix.EBUSY:
		return nil
	}
	return fmt.Errorf("uring: io_uring_enter(wait for %d, %v): %w", minComplete, timeout, errno)
}

// Ready reports how many CQEs wait to be reaped. It may be called from any
// goroutine.
func (r *Ring) Ready() uint32 {
	return atomic.LoadUint32(r.cqTail) - atomic.LoadUint32(r.cqHead)
}

// Reap copies up to len(cqes) completions into cqes, gives their slots back
// to the kernel, and reports how many it copied.
func (r *Ring) Reap(cqes []CQE) int {
	head := atomic.LoadUint32(r.cqHead)
	n := atomic.LoadUint32(r.cqTail) - head
	if n > uint32(len(cqes)) {
		n = uint32(len(cqes))
	}
	for i := uint32(0); i < n; i++ {
		cqes[i] = r.cqes[(head+i)&r.cqMask]
	}
	atomic.StoreUint32(r.cqHead, head+n)
	return int(n)
}

// CQOverflowed reports whether the kernel holds completions that did not
// fit in the CQ; an io_uring_enter with IORING_ENTER_GETEVENTS moves them
// in as room appears.
func (r *Ring) CQOverflowed() bool {
	return atomic.LoadUint32(r.sqFlags)&IORING_SQ_CQ_OVERFLOW != 0
}

// TaskRunPending reports whether the kernel holds completion work for the
// ring's submitter to run (IORING_SQ_TASKRUN, set on rings made with
// IORING_SETUP_TASKRUN_FLAG): with DEFER_TASKRUN the completions appear in
// the CQ only after an io_uring_enter with IORING_ENTER_GETEVENTS.
func (r *Ring) TaskRunPending() bool {
	return atomic.LoadUint32(r.sqFlags)&IORING_SQ_TASKRUN != 0
}

// SetEventfdEnabled sets or clears IORING_CQ_EVENTFD_DISABLED: while
// disabled, posting a completion does not signal the registered eventfd.
func (r *Ring) SetEventfdEnabled(on bool) {
	if on {
		atomic.AndUint32(r.cqFlags, ^uint32(IORING_CQ_EVENTFD_DISABLED))
	} else {
		atomic.OrUint32(r.cqFlags, IORING_CQ_EVENTFD_DISABLED)
	}
}
