package aio

import "golang.org/x/sys/unix"

// An fdSpace answers what the engine asks about a descriptor before a
// request reaches the backend: whether it is open (Fsync and Cancel fail
// at once with EBADF, SPEC C4) and whether writes to it append (C12).
// Real descriptors ask the host kernel; an engine bound to a model task
// (WithTask) asks the task.
type fdSpace interface {
	isOpen(fd int) bool
	appends(fd int) bool // false also when fd is not open
}

// hostFds is the process's own descriptor table, asked with fcntl(2).
type hostFds struct{}

func (hostFds) isOpen(fd int) bool {
	if fd < 0 {
		return false
	}
	_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil
}

func (hostFds) appends(fd int) bool {
	if fd < 0 {
		return false
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	return err == nil && fl&unix.O_APPEND != 0
}
