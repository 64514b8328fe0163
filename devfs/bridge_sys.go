package devfs

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/linux"
)

// A sys makes the system calls the signal bridge makes on a file's
// behalf, and counts each one where it is made into n, when n is set: the
// calls made where the driver raised a notification count into
// SigioStats.Inline (bridge.inline), the worker's count nowhere
// (bridge.worker). None of these calls makes a FUSE request, so they may
// run on a transport thread.
type sys struct{ n *atomic.Uint64 }

// inlinePath reports whether s is the inline path's: there the bridge
// leaves to the worker what takes more than a few system calls.
func (s sys) inlinePath() bool { return s.n != nil }

func (s sys) count() {
	if s.n != nil {
		s.n.Add(1)
	}
}

// kcmpFile is KCMP_FILE (include/uapi/linux/kcmp.h).
const kcmpFile = 0

// sameFile reports whether descriptor fd1 of process pid1 and fd2 of
// pid2 refer to the same open file description (kcmp KCMP_FILE).
func (s sys) sameFile(pid1, fd1, pid2, fd2 int) bool {
	s.count()
	r, _, e := unix.Syscall6(unix.SYS_KCMP, uintptr(pid1), uintptr(pid2), kcmpFile, uintptr(fd1), uintptr(fd2), 0)
	return e == 0 && r == 0
}

// owner returns the owner and F_SETSIG signal of the open file fd.
func (s sys) owner(fd int) (linux.FOwnerEx, int, error) {
	s.count()
	o, err := linux.GetOwnEx(fd)
	if err != nil {
		return o, 0, err
	}
	s.count()
	sig, err := linux.GetSig(fd)
	return o, sig, err
}

// pread reads a /proc file kept open from its start (a /proc file
// regenerates at offset 0).
func (s sys) pread(fd int, buf []byte) (int, error) {
	s.count()
	return unix.Pread(fd, buf, 0)
}

// readMem reads len(buf) bytes at addr in process pid
// (process_vm_readv: ptrace access, as pidfd_getfd needs).
func (s sys) readMem(pid int, addr uintptr, buf []byte) error {
	s.count()
	local := []unix.Iovec{{Base: &buf[0]}}
	local[0].SetLen(len(buf))
	remote := []unix.RemoteIovec{{Base: addr, Len: len(buf)}}
	n, err := unix.ProcessVMReadv(pid, local, remote, 0)
	if err == nil && n != len(buf) {
		err = unix.EFAULT
	}
	return err
}

// signal queues sig with si to the process (or, with thread, the thread)
// behind pidfd. A pidfd names one process for good, so a pid reused
// meanwhile is never signalled.
func (s sys) signal(pidfd, sig int, si *linux.PollSiginfo, thread bool) error {
	s.count()
	flags := 0
	if thread {
		flags = unix.PIDFD_SIGNAL_THREAD
	}
	return unix.PidfdSendSignal(pidfd, unix.Signal(sig), (*unix.Siginfo)(unsafe.Pointer(si)), flags)
}
