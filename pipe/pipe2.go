package pipe

import "github.com/fasync-go/fasync/kernel"

// Pipe2 is pipe2(2) on task t: it makes a pipe and returns a descriptor
// for its read end and one for its write end, the lowest free ones, in
// that order. flags may hold O_NONBLOCK (both ends), O_CLOEXEC (both
// descriptors) and O_DIRECT (the write end writes packets: each write of
// up to a page is read back as one message); any other flag is EINVAL.
// EMFILE when the task's table cannot take both descriptors; EFAULT for
// a nil task (pipe2 with a NULL array).
func Pipe2(t *kernel.Task, flags int) (r, w int, err error) {
	if t == nil {
		return -1, -1, kernel.EFAULT
	}
	if flags&^(kernel.O_NONBLOCK|kernel.O_CLOEXEC|kernel.O_DIRECT) != 0 {
		return -1, -1, kernel.EINVAL
	}
	p := New(0)
	fds, err := t.InstallFiles("pipe", p,
		kernel.O_RDONLY|flags&(kernel.O_NONBLOCK|kernel.O_CLOEXEC),
		kernel.O_WRONLY|flags)
	if err != nil {
		return -1, -1, err
	}
	// Both ends may take O_DIRECT later with F_SETFL, as pipe files can
	// (FMODE_CAN_ODIRECT): packet mode is then on for the writes after.
	for _, fd := range fds {
		if f, err := t.File(fd); err == nil {
			f.AllowDirect()
		}
	}
	return fds[0], fds[1], nil
}
