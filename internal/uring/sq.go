package uring

import (
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

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

// bufAddr is the address of buf's first byte as the kernel wants it.
func bufAddr(buf []byte) uint64 {
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(buf))))
}

// PrepNop makes s an IORING_OP_NOP: it completes with res 0.
func (s *SQE) PrepNop(userData uint64) {
	*s = SQE{Opcode: IORING_OP_NOP, UserData: userData}
}

// PrepPollMultishot makes s an IORING_OP_POLL_ADD that stays armed
// (IORING_POLL_ADD_MULTI): a CQE for every wake-up of fd with one of
// events (POLLIN, ...), each flagged IORING_CQE_F_MORE while the poll
// remains armed.
func (s *SQE) PrepPollMultishot(fd int, events uint32, userData uint64) {
	*s = SQE{Opcode: IORING_OP_POLL_ADD, Fd: int32(fd), Len: IORING_POLL_ADD_MULTI,
		OpFlags: events, UserData: userData}
}

// PrepRead makes s an IORING_OP_READ of len(buf) bytes from fd at off
// (pread(2); off -1 means the file position). buf must stay valid, and
// pinned if it is Go memory, until the completion is reaped.
func (s *SQE) PrepRead(fd int, buf []byte, off int64, userData uint64) {
	*s = SQE{Opcode: IORING_OP_READ, Fd: int32(fd), Off: uint64(off),
		Addr: bufAddr(buf), Len: uint32(len(buf)), UserData: userData}
}

// PrepWrite makes s an IORING_OP_WRITE of buf to fd at off (pwrite(2)).
func (s *SQE) PrepWrite(fd int, buf []byte, off int64, userData uint64) {
	*s = SQE{Opcode: IORING_OP_WRITE, Fd: int32(fd), Off: uint64(off),
		Addr: bufAddr(buf), Len: uint32(len(buf)), UserData: userData}
}

// PrepReadFixed makes s an IORING_OP_READ_FIXED into buf, which must lie
// inside the buffer registered at index bufIndex (RegisterBuffers).
func (s *SQE) PrepReadFixed(fd int, buf []byte, off int64, bufIndex uint16, userData uint64) {
	*s = SQE{Opcode: IORING_OP_READ_FIXED, Fd: int32(fd), Off: uint64(off),
		Addr: bufAddr(buf), Len: uint32(len(buf)), BufIndex: bufIndex, UserData: userData}
}

// PrepWriteFixed makes s an IORING_OP_WRITE_FIXED from buf, which must lie
// inside the buffer registered at index bufIndex.
func (s *SQE) PrepWriteFixed(fd int, buf []byte, off int64, bufIndex uint16, userData uint64) {
	*s = SQE{Opcode: IORING_OP_WRITE_FIXED, Fd: int32(fd), Off: uint64(off),
		Addr: bufAddr(buf), Len: uint32(len(buf)), BufIndex: bufIndex, UserData: userData}
}

// PrepFsync makes s an IORING_OP_FSYNC of fd: fsync(2), or fdatasync(2)
// when datasync is set.
func (s *SQE) PrepFsync(fd int, datasync bool, userData uint64) {
	*s = SQE{Opcode: IORING_OP_FSYNC, Fd: int32(fd), UserData: userData}
	if datasync {
		s.OpFlags = IORING_FSYNC_DATASYNC
	}
}

// PrepCancel makes s an IORING_OP_ASYNC_CANCEL of the request whose SQE
// carried target as user_data. Its own completion reports 0 when the
// target was found and cancelled (the target then completes with
// -ECANCELED), -ENOENT when no such request is pending, -EALREADY when it
// is running and may still complete normally.
func (s *SQE) PrepCancel(target uint64, userData uint64) {
	*s = SQE{Opcode: IORING_OP_ASYNC_CANCEL, Fd: -1, Addr: target, UserData: userData}
}

// PrepCancelAll makes s an IORING_OP_ASYNC_CANCEL of every pending request
// of the ring (IORING_ASYNC_CANCEL_ANY|ALL, Linux 5.19). Its completion
// reports how many were cancelled, or -ENOENT for none.
func (s *SQE) PrepCancelAll(userData uint64) {
	*s = SQE{Opcode: IORING_OP_ASYNC_CANCEL, Fd: -1, UserData: userData,
		OpFlags: IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL}
}
