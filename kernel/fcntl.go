package kernel

// FD_CLOEXEC is the descriptor flag F_GETFD and F_SETFD handle.
const FD_CLOEXEC = 1

// Fcntl performs fcntl(2) command cmd on descriptor fd (SPEC A9–A14):
//
//	F_DUPFD  lowest free descriptor >= arg for the same file (EINVAL for arg
//	         outside the table, EMFILE when full)
//	F_GETFD  FD_CLOEXEC or 0;  F_SETFD sets it from arg
//	F_GETFL  access mode | O_NONBLOCK | O_APPEND | FASYNC
//	F_SETFL  sets O_NONBLOCK, O_APPEND and FASYNC from arg (A11)
//	F_SETOWN arg > 0 a process, < 0 process group -arg, 0 none (A9)
//	F_GETOWN pid, -pgid or 0
//	F_SETSIG 0..64, 0 = plain SIGIO (A12);  F_GETSIG
//
// It returns the command's value (0 for the setting commands), or -1 and
// EBADF for a bad descriptor, EINVAL for any other command (F_SETOWN_EX and
// F_GETOWN_EX take a struct: use FcntlOwnerEx). No argument panics (A14).
func (t *Task) Fcntl(fd, cmd, arg int) (int, error) {
	defer t.safePoint()
	e, err := t.getEntry(fd)
	if err != nil {
		return -1, err
	}
	f := e.file
	defer f.put()
	switch cmd {
	case F_DUPFD:
		if arg < 0 || arg >= maxFiles {
			return -1, EINVAL
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		return t.dupLocked(f, arg)
	case F_GETFD, F_SETFD:
		return t.fdflags(e, cmd, arg)
	case F_GETFL:
		return f.Flags(), nil
	case F_SETFL:
		return errValue(f.setfl(fd, arg))
	case F_SETOWN:
		return errValue(f.setown(t, arg))
	case F_GETOWN:
		return f.getown(), nil
	case F_SETSIG:
		return errValue(f.setsig(arg))
	case F_GETSIG:
		return f.owner().sig, nil
	}
	return -1, EINVAL
}

// fdflags is F_GETFD / F_SETFD on slot e.
func (t *Task) fdflags(e *fdEntry, cmd, arg int) (int, error) {
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
// *o (SPEC A9). F_SETOWN_EX accepts types F_OWNER_TID, F_OWNER_PID and
// F_OWNER_PGRP (EINVAL otherwise; a thread is its process in the model)
// and an id naming a live task or group (ESRCH otherwise; 0 clears the
// owner). F_GETOWN_EX fills *o with the type and id, zero when no owner
// was ever set. EBADF for a bad descriptor, EINVAL for another cmd,
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
		*o = FOwnerEx{Type: own.typ, Pid: own.id}
		return nil
	}
	switch o.Type {
	case F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP:
	default:
		return EINVAL
	}
	if o.Pid < 0 {
		return ESRCH
	}
	return f.setOwner(t, o.Type, o.Pid)
}
