package kernel

import "syscall"

// The errors Task methods return, as the man pages name them. They are
// syscall.Errno values so callers can use errors.Is against either these
// names or the syscall package's.
const (
	EAGAIN = syscall.EAGAIN
	EBADF  = syscall.EBADF
	EBUSY  = syscall.EBUSY
	ECHILD = syscall.ECHILD
	EEXIST = syscall.EEXIST
	EFAULT = syscall.EFAULT
	EINTR  = syscall.EINTR
	EINVAL = syscall.EINVAL
	EMFILE = syscall.EMFILE
	ENOENT = syscall.ENOENT
	ENOTTY = syscall.ENOTTY
	EPERM  = syscall.EPERM
	EPIPE  = syscall.EPIPE
	ESRCH  = syscall.ESRCH
)
