package kernel

import "context"

// FD_CLOEXEC is the descriptor flag F_GETFD and F_SETFD handle.
const FD_CLOEXEC = 1

// Fcntl performs fcntl(2) command cmd on descriptor fd (SPEC A9–A14, K2):
//
//	F_DUPFD          lowest free descriptor >= arg for the same file (EINVAL
//	                 for arg outside the table, EMFILE when full)
//	F_DUPFD_CLOEXEC  the same, with FD_CLOEXEC set on the new descriptor
//	F_DUPFD_QUERY    1 if descriptor arg names the same open file, else 0
//	                 (EBADF when arg is not open)
//	F_CREATED_QUERY  0: opening a device never creates it
//	F_GETFD          FD_CLOEXEC or 0;  F_SETFD sets it from arg
//	F_GETFL          access mode | O_NONBLOCK | O_APPEND | O_DIRECT |
//	                 O_NOATIME | FASYNC
//	F_SETFL          sets O_NONBLOCK, O_APPEND, O_DIRECT, O_NOATIME from arg
//	                 and FASYNC through the driver (A11, K2); access mode
//	                 and other bits are ignored
//	F_SETOWN         arg > 0 a process, < 0 process group -arg, 0 none (A9)
//	F_GETOWN         pid, -pgid, or 0 (also once the owner has exited)
//	F_SETSIG         0..64, 0 = plain SIGIO (A12);  F_GETSIG
//	F_SETPIPE_SZ, F_GETPIPE_SZ  the driver's Fcntl (Fcntler), EBADF without
//
// As in the system call, cmd is a C unsigned int and arg a C int: both
// are truncated to 32 bits first (so F_SETOWN of 1<<32 clears the owner,
// and the most negative 32-bit value is EINVAL). It returns the
// command's value (0 for the setting commands), or -1 and EBADF for a bad
// descriptor, EINVAL for any other command (F_SETOWN_EX and F_GETOWN_EX
// take a struct: use FcntlOwnerEx). F_SETFL fails with EPERM when a task
// other than root sets O_NOATIME, EINVAL for O_DIRECT on a file that does
// not allow it (File.AllowDirect), or the driver's CheckFlags or Fasync
// error, with no flag changed. No argument panics (A14).
func (t *Task) Fcntl(fd, cmd, arg int) (int, error) {
	defer t.safePoint()
	e, err := t.getEntry(fd)
	if err != nil {
		return -1, err
	}
	f := e.file
	defer f.put()
	argi := int(int32(arg)) // do_fcntl's argi
	switch uint32(cmd) {
	case F_DUPFD, F_DUPFD_CLOEXEC:
		return t.dupfd(f, uint32(argi), uint32(cmd) == F_DUPFD_CLOEXEC)
	case F_DUPFD_QUERY:
		other, err := t.File(argi)
		if err != nil {
			return -1, err
		}
		if other == f {
			return 1, nil
		}
		return 0, nil
	case F_CREATED_QUERY:
		return 0, nil
	case F_GETFD, F_SETFD:
		return t.fdflags(e, uint32(cmd), argi)
	case F_GETFL:
		return f.Flags(), nil
	case F_SETFL:
		return errValue(f.setfl(fd, argi, &t.cred))
	case F_SETOWN:
		return errValue(f.setown(t, argi))
	case F_GETOWN:
		return f.getown(), nil
	case F_SETSIG:
		return errValue(f.setsig(argi))
	case F_GETSIG:
		return f.owner().sig, nil
	case F_SETPIPE_SZ, F_GETPIPE_SZ:
		return t.driverFcntl(e, int(uint32(cmd)), argi)
	}
	return -1, EINVAL
}

// dupfd is F_DUPFD and F_DUPFD_CLOEXEC: from is C's unsigned int, so a
// negative argument is a huge one (EINVAL).
func (t *Task) dupfd(f *File, from uint32, cloexec bool) (int, error) {
	if int64(from) >= int64(t.k.nofile) {
		return -1, EINVAL
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	fd, err := t.dupLocked(f, int(from))
	if err == nil && cloexec {
		t.fds[fd].cloexec = true
	}
	return fd, err
}

// driverFcntl hands cmd to the driver's Fcntl as an interruptible call;
// EBADF without Fcntler, as pipe_fcntl on a file that is not a pipe.
func (t *Task) driverFcntl(e *fdEntry, cmd, arg int) (int, error) {
	f := e.file
	if f.fcntler == nil {
		return -1, EBADF
	}
	ctx := context.Background()
	c, err := t.beginCall(ctx, e, false)
	if err != nil {
		return -1, err
	}
	n, err := t.blockingCall(ctx, e, c, func(ctx context.Context) (int, error) {
		return f.fcntler.Fcntl(ctx, f, cmd, arg)
	})
	if err != nil {
		return -1, err
	}
	return n, nil
}

// fdflags is F_GETFD / F_SETFD on slot e.
func (t *Task) fdflags(e *fdEntry, cmd uint32, arg int) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cmd == F_SETFD {
		e.cloexec = arg&FD_CLOEXEC != 0
		return 0, nil
	}
	if e.cloexec {
		return FD_CLOEXEC, nil
	}
	return 0, nil
}

// errValue turns a setting command's error into fcntl's (value, error).
func errValue(err error) (int, error) {
	if err != nil {
		return -1, err
	}
	return 0, nil
}

// FcntlOwnerEx performs F_SETOWN_EX or F_GETOWN_EX on descriptor fd with
// *o (SPEC A9, T2). F_SETOWN_EX accepts types F_OWNER_TID (notifications
// go to that thread only), F_OWNER_PID (to the process of the thread the
// id names, that thread first) and F_OWNER_PGRP (to every process of the
// group), EINVAL otherwise, and an id naming a live thread, process or
// group (ESRCH otherwise; 0 clears the owner). F_GETOWN_EX fills *o with
// the type and id; the id is 0 when no owner was ever set and once the
// owner has exited (for F_OWNER_TID: once that thread has exited; for a
// group: once it has no member left). EBADF for a bad descriptor, EINVAL for another cmd,
// EFAULT for a nil o.
func (t *Task) FcntlOwnerEx(fd, cmd int, o *FOwnerEx) error {
	defer t.safePoint()
	e, err := t.getEntry(fd)
	if err != nil {
		return err
	}
	f := e.file
	defer f.put()
	if cmd != F_SETOWN_EX && cmd != F_GETOWN_EX {
		return EINVAL
	}
	if o == nil {
		return EFAULT
	}
	if cmd == F_GETOWN_EX {
		own := f.owner()
		*o = FOwnerEx{Type: own.typ, Pid: f.liveID(own)}
		return nil
	}
	typ, id := int(int32(o.Type)), int(int32(o.Pid)) // C ints
	switch typ {
	case F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP:
	default:
		return EINVAL
	}
	if id < 0 {
		return ESRCH
	}
	return f.setOwner(t, typ, id)
}
