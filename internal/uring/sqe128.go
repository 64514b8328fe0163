package uring

import "unsafe"

// 128-byte SQEs and IORING_OP_URING_CMD: the pass-through command a driver
// (FUSE over io_uring, NVMe, ublk) defines for itself. The command's
// arguments live in the SQE's cmd area, which starts at byte 48 of the
// entry and is 16 bytes long in a 64-byte SQE and 80 bytes long in a
// 128-byte one (IORING_SETUP_SQE128, Linux 5.19). A ring's SQE size is
// fixed at setup, so a ring for such commands is set up with SQE128 and
// NextSQE then steps over 128-byte entries; rings set up without it are
// unchanged.
//
// Loop builds on 64-byte SQEs (its batches index the SQE array directly):
// do not pass IORING_SETUP_SQE128 in LoopConfig.Flags (NewLoop refuses it).

// IORING_SETUP_SQE128 makes every SQE 128 bytes (io_uring_params.flags).
const IORING_SETUP_SQE128 = 1 << 10

// IORING_OP_URING_CMD is the driver pass-through command (enum io_uring_op).
const IORING_OP_URING_CMD = 46

// URingCmdSize is the length of the cmd area of a 128-byte SQE.
const URingCmdSize = 80

// cmdOffset is where the cmd area starts inside an SQE (the addr3 field).
const cmdOffset = 48

// SQE128 reports whether the ring was set up with IORING_SETUP_SQE128.
func (r *Ring) SQE128() bool { return r.sqeShift == 1 }

// PrepURingCmd makes s an IORING_OP_URING_CMD on fd with the driver's
// command code cmdOp (sqe->cmd_op), the driver-defined addr and length
// (sqe->addr, sqe->len), and an all-zero cmd area for the caller to fill
// through Cmd. s must come from NextSQE of a ring set up with
// IORING_SETUP_SQE128: it writes all 128 bytes of the entry.
func (s *SQE) PrepURingCmd(fd int, cmdOp uint32, addr uint64, length uint32, userData uint64) {
	*s = SQE{Opcode: IORING_OP_URING_CMD, Fd: int32(fd), Off: uint64(cmdOp),
		Addr: addr, Len: length, UserData: userData}
	clear(s.upperHalf()[:])
}

// Cmd is the 80-byte cmd area of s, for the driver's command structure.
// s must be an SQE of a ring set up with IORING_SETUP_SQE128.
func (s *SQE) Cmd() *[URingCmdSize]byte {
	return (*[URingCmdSize]byte)(unsafe.Add(unsafe.Pointer(s), cmdOffset))
}

// upperHalf is the second 64 bytes of a 128-byte SQE.
func (s *SQE) upperHalf() *[64]byte {
	return (*[64]byte)(unsafe.Add(unsafe.Pointer(s), unsafe.Sizeof(SQE{})))
}
