package uring

import "unsafe"

// SQE preparation: each Prep method fills a whole SQE for one operation,
// as liburing's io_uring_prep_* helpers do.

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
