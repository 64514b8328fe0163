package linuxaio

import (
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Opcodes of an iocb (aio_lio_opcode).
const (
	IOCB_CMD_PREAD  = 0
	IOCB_CMD_PWRITE = 1
	IOCB_CMD_FSYNC  = 2 // Linux 4.18 and later
	IOCB_CMD_FDSYNC = 3 // Linux 4.18 and later
)

// IOCB_FLAG_RESFD (aio_flags) asks the kernel to add 1 to the eventfd
// named by aio_resfd when the request completes.
const IOCB_FLAG_RESFD = 1 << 0

// An Iocb is struct iocb, 64 bytes. aio_key and aio_rw_flags share a
// 64-bit word whose order follows the byte order (PADDED in aio_abi.h):
// the key first on little-endian machines; KeyFlags holds both, and
// SetRWFlags writes the right one. The kernel writes aio_key at
// io_submit and reads it at io_cancel, so an Iocb must stay in place
// (not on a goroutine's stack) while its request is in flight.
type Iocb struct {
	Data      uint64    // aio_data: returned in IoEvent.Data
	KeyFlags  [2]uint32 // aio_key and aio_rw_flags
	Opcode    uint16    // aio_lio_opcode (IOCB_CMD_*)
	Reqprio   int16     // aio_reqprio
	Fildes    uint32    // aio_fildes
	Buf       uint64    // aio_buf
	Nbytes    uint64    // aio_nbytes
	Offset    int64     // aio_offset
	Reserved2 uint64    // aio_reserved2, must be 0
	Flags     uint32    // aio_flags (IOCB_FLAG_RESFD)
	Resfd     uint32    // aio_resfd
}

// An IoEvent is struct io_event, 32 bytes: one completion.
type IoEvent struct {
	Data uint64 // the iocb's aio_data
	Obj  uint64 // the iocb's address
	Res  int64  // the result: bytes moved, or -errno
	Res2 int64
}

// littleEndian reports the machine's byte order, which fixes where
// aio_rw_flags lies in struct iocb.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// SetRWFlags sets aio_rw_flags (RWF_*).
func (cb *Iocb) SetRWFlags(f int) {
	if littleEndian {
		cb.KeyFlags[1] = uint32(f)
	} else {
		cb.KeyFlags[0] = uint32(f)
	}
}

func init() {
	if unsafe.Sizeof(Iocb{}) != 64 || unsafe.Sizeof(IoEvent{}) != 32 {
		panic("linuxaio: struct iocb or io_event has the wrong size")
	}
}

// Setup creates an AIO context for at least n requests (io_setup(2)).
func Setup(n int) (ctx uintptr, err error) {
	_, _, errno := unix.Syscall(unix.SYS_IO_SETUP, uintptr(n), uintptr(unsafe.Pointer(&ctx)), 0)
	if errno != 0 {
		return 0, errno
	}
	return ctx, nil
}

// Destroy destroys ctx, waiting for its requests (io_destroy(2)).
func Destroy(ctx uintptr) error {
	_, _, errno := unix.Syscall(unix.SYS_IO_DESTROY, ctx, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// Submit queues cbs (io_submit(2)) and returns how many the kernel
// took: it stops at the first it refuses, and reports that one's errno
// only when it is the first of cbs.
func Submit(ctx uintptr, cbs []*Iocb) (int, syscall.Errno) {
	if len(cbs) == 0 {
		return 0, 0
	}
	n, _, errno := unix.Syscall(unix.SYS_IO_SUBMIT, ctx, uintptr(len(cbs)), uintptr(unsafe.Pointer(&cbs[0])))
	return int(n), errno
}

// Getevents takes up to len(evs) completion events without waiting
// (io_getevents(2) with min_nr 0 and a zero timeout).
func Getevents(ctx uintptr, evs []IoEvent) (int, syscall.Errno) {
	var zero unix.Timespec
	n, _, errno := unix.Syscall6(unix.SYS_IO_GETEVENTS, ctx, 0, uintptr(len(evs)),
		uintptr(unsafe.Pointer(&evs[0])), uintptr(unsafe.Pointer(&zero)), 0)
	return int(n), errno
}

// GeteventsWait takes at least one event, waiting at most timeout.
func GeteventsWait(ctx uintptr, evs []IoEvent, timeout unix.Timespec) (int, syscall.Errno) {
	n, _, errno := unix.Syscall6(unix.SYS_IO_GETEVENTS, ctx, 1, uintptr(len(evs)),
		uintptr(unsafe.Pointer(&evs[0])), uintptr(unsafe.Pointer(&timeout)), 0)
	return int(n), errno
}

// Cancel asks the kernel to cancel cb (io_cancel(2)). Linux cancels
// only requests whose file provides a cancel method (IOCB_CMD_POLL,
// USB gadget endpoints): for a read, write or fsync it answers EINVAL, and
// EAGAIN for a request it could not stop. A cancelled request completes
// with -ECANCELED through the ring; 0 (EINPROGRESS from the kernel) means so.
func Cancel(ctx uintptr, cb *Iocb) error {
	var ev IoEvent
	_, _, errno := unix.Syscall(unix.SYS_IO_CANCEL, ctx, uintptr(unsafe.Pointer(cb)), uintptr(unsafe.Pointer(&ev)))
	switch errno {
	case 0, syscall.EINPROGRESS:
		return nil
	}
	return errno
}

// Available reports nil when this process may use native AIO: it
// creates and destroys a one-request context. ENOSYS means a kernel built
// without CONFIG_AIO (or a seccomp filter), EPERM a seccomp filter, EAGAIN
// that fs.aio-max-nr requests are already allotted system-wide.
func Available() error {
	ctx, err := Setup(1)
	if err != nil {
		return SetupError(err)
	}
	Destroy(ctx)
	return nil
}

// SetupError names why io_setup failed with err.
func SetupError(err error) error {
	switch err {
	case syscall.ENOSYS:
		return fmt.Errorf("linuxaio: io_setup not implemented (ENOSYS: kernel without CONFIG_AIO, or a seccomp filter): %w", err)
	case syscall.EPERM:
		return fmt.Errorf("linuxaio: io_setup refused with EPERM (a seccomp filter): %w", err)
	case syscall.EAGAIN:
		return fmt.Errorf("linuxaio: io_setup: fs.aio-max-nr requests allotted system-wide (EAGAIN): %w", err)
	}
	return fmt.Errorf("linuxaio: io_setup failed: %w", err)
}
