package uring

import "unsafe"

// The kernel's io_uring ABI (include/uapi/linux/io_uring.h), with Linux's
// names. x/sys/unix has only the system call numbers.

// io_uring_setup flags (io_uring_params.flags).
const (
	IORING_SETUP_IOPOLL        = 1 << 0
	IORING_SETUP_SQPOLL        = 1 << 1
	IORING_SETUP_SQ_AFF        = 1 << 2
	IORING_SETUP_CQSIZE        = 1 << 3
	IORING_SETUP_CLAMP         = 1 << 4
	IORING_SETUP_ATTACH_WQ     = 1 << 5
	IORING_SETUP_R_DISABLED    = 1 << 6
	IORING_SETUP_SUBMIT_ALL    = 1 << 7
	IORING_SETUP_COOP_TASKRUN  = 1 << 8
	IORING_SETUP_TASKRUN_FLAG  = 1 << 9
	IORING_SETUP_SINGLE_ISSUER = 1 << 12
	IORING_SETUP_DEFER_TASKRUN = 1 << 13
	IORING_SETUP_NO_SQARRAY    = 1 << 16
)

// Features the kernel reports (io_uring_params.features).
const (
	IORING_FEAT_SINGLE_MMAP = 1 << 0
	IORING_FEAT_NODROP      = 1 << 1
	IORING_FEAT_FAST_POLL   = 1 << 5
	IORING_FEAT_EXT_ARG     = 1 << 8
)

// io_uring_enter flags.
const (
	IORING_ENTER_GETEVENTS = 1 << 0
	IORING_ENTER_SQ_WAKEUP = 1 << 1
	IORING_ENTER_EXT_ARG   = 1 << 3 // the last two arguments are a getEventsArg and its size
)

// Flags of the shared SQ ring (*sq.flags) and CQ ring (*cq.flags).
const (
	IORING_SQ_NEED_WAKEUP = 1 << 0
	IORING_SQ_CQ_OVERFLOW = 1 << 1
	IORING_SQ_TASKRUN     = 1 << 2

	IORING_CQ_EVENTFD_DISABLED = 1 << 0
)

// mmap offsets of the rings and the SQE array.
const (
	IORING_OFF_SQ_RING = 0
	IORING_OFF_CQ_RING = 0x8000000
	IORING_OFF_SQES    = 0x10000000
)

// Opcodes (enum io_uring_op) this package prepares.
const (
	IORING_OP_NOP          = 0
	IORING_OP_FSYNC        = 3
	IORING_OP_READ_FIXED   = 4
	IORING_OP_WRITE_FIXED  = 5
	IORING_OP_POLL_ADD     = 6
	IORING_OP_ASYNC_CANCEL = 14
	IORING_OP_READ         = 22
	IORING_OP_WRITE        = 23
)

// SQE flags (io_uring_sqe.flags).
const (
	IOSQE_FIXED_FILE       = 1 << 0
	IOSQE_IO_DRAIN         = 1 << 1
	IOSQE_IO_LINK          = 1 << 2
	IOSQE_ASYNC            = 1 << 4
	IOSQE_CQE_SKIP_SUCCESS = 1 << 6
)

// IORING_POLL_ADD_MULTI (io_uring_sqe.len of IORING_OP_POLL_ADD) keeps a
// poll armed: a CQE with IORING_CQE_F_MORE for every wake-up of the file.
const IORING_POLL_ADD_MULTI = 1 << 0

// CQE flags (io_uring_cqe.flags).
const IORING_CQE_F_MORE = 1 << 1 // the request stays armed: more CQEs follow

// IORING_FSYNC_DATASYNC makes IORING_OP_FSYNC an fdatasync.
const IORING_FSYNC_DATASYNC = 1 << 0

// IORING_OP_ASYNC_CANCEL flags (io_uring_sqe.cancel_flags).
const (
	IORING_ASYNC_CANCEL_ALL = 1 << 0 // every request matching, not just the first
	IORING_ASYNC_CANCEL_FD  = 1 << 1 // match on fd rather than user_data
	IORING_ASYNC_CANCEL_ANY = 1 << 2 // match any request
)

// io_uring_register opcodes.
const (
	IORING_REGISTER_BUFFERS          = 0
	IORING_UNREGISTER_BUFFERS        = 1
	IORING_REGISTER_FILES            = 2
	IORING_UNREGISTER_FILES          = 3
	IORING_REGISTER_EVENTFD          = 4
	IORING_UNREGISTER_EVENTFD        = 5
	IORING_REGISTER_FILES_UPDATE     = 6
	IORING_REGISTER_ENABLE_RINGS     = 12
	IORING_REGISTER_IOWQ_MAX_WORKERS = 19
	IORING_REGISTER_FILES_SKIP       = -2 // io_uring_files_update: leave this slot alone
	ioringRegisterFilesSparseFlag    = 1  // IORING_RSRC_REGISTER_SPARSE
)

// SQE is struct io_uring_sqe, 64 bytes, as the kernel reads it from the
// mmap'd SQE array. Fields that are unions in C carry the name of the
// member this package uses.
type SQE struct {
	Opcode      uint8
	Flags       uint8
	IoPrio      uint16
	Fd          int32
	Off         uint64 // off / addr2
	Addr        uint64 // addr: buffer address, or the target user_data of a cancel
	Len         uint32
	OpFlags     uint32 // rw_flags / fsync_flags / cancel_flags
	UserData    uint64
	BufIndex    uint16 // buf_index of a registered buffer
	Personality uint16
	FileIndex   uint32 // splice_fd_in / file_index
	Addr3       uint64
	_           uint64
}

// CQE is struct io_uring_cqe, 16 bytes: the result Res (a byte count, or a
// negated errno) of the request that carried UserData.
type CQE struct {
	UserData uint64
	Res      int32
	Flags    uint32
}

// getEventsArg is struct io_uring_getevents_arg, what io_uring_enter reads
// with IORING_ENTER_EXT_ARG: a signal mask (none here) and a pointer to a
// relative timeout.
type getEventsArg struct {
	Sigmask     uint64
	SigmaskSize uint32
	MinWaitUsec uint32
	Ts          uint64 // *unix.Timespec
}

// sqringOffsets is struct io_sqring_offsets.
type sqringOffsets struct {
	Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1 uint32
	UserAddr                                                        uint64
}

// cqringOffsets is struct io_cqring_offsets.
type cqringOffsets struct {
	Head, Tail, RingMask, RingEntries, Overflow, Cqes, Flags, Resv1 uint32
	UserAddr                                                        uint64
}

// params is struct io_uring_params, filled in both directions by
// io_uring_setup.
type params struct {
	SqEntries, CqEntries, Flags, SqThreadCPU, SqThreadIdle, Features, WqFd uint32
	Resv                                                                   [3]uint32
	SqOff                                                                  sqringOffsets
	CqOff                                                                  cqringOffsets
}

// iovec is struct iovec, for IORING_REGISTER_BUFFERS.
type iovec struct {
	Base uintptr
	Len  uint64
}

// filesUpdate is struct io_uring_files_update.
type filesUpdate struct {
	Offset uint32
	Resv   uint32
	Fds    uint64 // pointer to an array of int32
}

// Sizes the kernel expects; checked at compile time.
var (
	_ [64 - unsafe.Sizeof(SQE{})]struct{}
	_ [unsafe.Sizeof(SQE{}) - 64]struct{}
	_ [16 - unsafe.Sizeof(CQE{})]struct{}
	_ [120 - unsafe.Sizeof(params{})]struct{}
	_ [unsafe.Sizeof(params{}) - 120]struct{}
)
