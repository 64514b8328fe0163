package aio

import (
	"math"
	"syscall"

	"golang.org/x/sys/unix"
)

// An fdSpace answers what the engine asks about a descriptor before a
// request reaches the backend: whether it is open (Cancel fails at once
// with EBADF, SPEC C4), whether an fsync may be queued on it (C14), and
// whether writes to it append (C12). Real descriptors ask the host kernel;
// an engine bound to a model task (WithTask) asks the task.
type fdSpace interface {
	isOpen(fd int) bool
	// syncable reports nil when fd is open for writing on a file that
	// has synchronized I/O, EBADF when fd is not open or not open for
	// writing, EINVAL when the file cannot be synchronized (a pipe, FIFO
	// or socket; a model device).
	syncable(fd int) error
	appends(fd int) bool // false also when fd is not open
}

// kernelFd reports whether fd can name a kernel descriptor at all: the
// kernel's descriptors are non-negative C ints, and a larger Go int would
// be truncated to another descriptor's number on its way to the kernel.
func kernelFd(fd int) bool { return fd >= 0 && fd <= math.MaxInt32 }

// hostFds is the process's own descriptor table, asked with fcntl(2).
type hostFds struct{}

func (hostFds) isOpen(fd int) bool {
	if !kernelFd(fd) {
		return false
	}
	_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil
}

// syncable checks fd as glibc's aio_fsync does (F_GETFL: open, and not
// read-only) and then its type (fstat(2)): fsync(2) on a pipe, FIFO or
// socket fails with EINVAL, which POSIX lists among aio_fsync's
// submission errors. An O_PATH descriptor does no I/O at all: EBADF.
func (hostFds) syncable(fd int) error {
	if !kernelFd(fd) {
		return syscall.EBADF
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil || fl&unix.O_PATH != 0 || fl&unix.O_ACCMODE == unix.O_RDONLY {
		return syscall.EBADF
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return syscall.EBADF
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO, unix.S_IFSOCK:
		return syscall.EINVAL
	}
	return nil
}

func (hostFds) appends(fd int) bool {
	if !kernelFd(fd) {
		return false
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	return err == nil && fl&unix.O_APPEND != 0
}
