package kernel

import "context"

// Open opens device name and returns the lowest free descriptor for a new
// open file description with the given flags (access mode, O_NONBLOCK,
// O_APPEND; FASYNC is ignored at open, as Linux does). The driver's Open
// may sleep and is interruptible (SPEC S3). ENOENT for an unknown device,
// EINVAL for access mode 3, EMFILE when the table is full, ESRCH on a
// dead task.
func (t *Task) Open(ctx context.Context, name string, flags int) (fd int, err error) {
	defer t.safePoint()
	if sc := t.sysEnterPath(sysOpen, name, flags); sc != nil {
		defer sc.exit(&fd, &err)
	}
	if ctx == nil || flags&O_ACCMODE == O_ACCMODE {
		return -1, EINVAL
	}
	if !t.Alive() {
		return -1, ESRCH
	}
	d, ok := t.k.Device(name)
	if !ok {
		return -1, ENOENT
	}
	f := newFile(t.k, name, d, flags)
	if f.opener != nil {
		_, err := t.blockingCall(ctx, nil, nil, func(ctx context.Context) (int, error) {
			return 0, f.opener.Open(ctx, f)
		})
		if err != nil {
			return -1, err // discarded without Release, as Opener says
		}
	}
	t.mu.Lock()
	fd, err = -1, error(EBADF) // the task died while the driver opened
	if !t.dead {
		fd, err = t.installLocked(f, 0)
	}
	t.mu.Unlock()
	if err != nil {
		_ = f.put() // opened, so released
		return -1, err
	}
	return fd, nil
}

// Read reads from descriptor fd into p through the driver (SPEC M1, M2).
// EINVAL for a nil ctx (so for every Task method taking one).
// EBADF for a bad or write-only descriptor, EINVAL if the driver cannot
// read. Interruptions are as the contract says: EINTR, restart after an
// SA_RESTART handler, EBADF when fd is closed meanwhile, the context's
// error when ctx ends.
func (t *Task) Read(ctx context.Context, fd int, p []byte) (int, error) {
	return t.readWrite(ctx, fd, p, false, 0)
}

// Write writes p to descriptor fd through the driver, with the same rules
// as Read (EBADF for a read-only descriptor).
func (t *Task) Write(ctx context.Context, fd int, p []byte) (int, error) {
	return t.readWrite(ctx, fd, p, true, 0)
}

// ReadFlags is Read with preadv2(2)'s per-call flags. With RWF_NOWAIT the
// call never sleeps: where the driver would wait in WaitQueue.Wait, Wait
// returns EAGAIN at once (after one look at its condition) and the call
// fails with EAGAIN, as it would under O_NONBLOCK, but without touching
// the file's flags, which other calls share. A driver that sleeps some
// other way asks NoWait. Flags other than RWF_NOWAIT fail with
// EOPNOTSUPP. That is the model's choice: Linux also accepts RWF_HIPRI,
// RWF_DSYNC, RWF_SYNC and RWF_APPEND, which the model does not
// implement, and refuses only flags it does not know.
func (t *Task) ReadFlags(ctx context.Context, fd int, p []byte, flags int) (int, error) {
	return t.readWrite(ctx, fd, p, false, flags)
}

// WriteFlags is Write with pwritev2(2)'s per-call flags, as ReadFlags.
func (t *Task) WriteFlags(ctx context.Context, fd int, p []byte, flags int) (int, error) {
	return t.readWrite(ctx, fd, p, true, flags)
}

// readWrite is Read or Write with preadv2's flags: it registers the call
// (RWF_NOWAIT: one that must not sleep), checks the access mode, then
// the flags (EOPNOTSUPP after EBADF and EINVAL, in Linux's order), and
// hands p to the driver's Read or Write.
func (t *Task) readWrite(ctx context.Context, fd int, p []byte, write bool, flags int) (n int, err error) {
	defer t.safePoint()
	if sc := t.sysEnter(sysRW[btoi(write)], fd, len(p), 0); sc != nil {
		defer sc.exit(&n, &err)
	}
	c, e, err := t.beginFdCall(ctx, fd, flags&RWF_NOWAIT != 0)
	if err != nil {
		return 0, err
	}
	f := e.file
	defer f.put()
	allowed, implemented := f.Readable(), f.reader != nil
	if write {
		allowed, implemented = f.Writable(), f.writer != nil
	}
	if err := accessError(allowed, implemented, flags); err != nil {
		t.endCall(c)
		return 0, err
	}
	return t.blockingCall(ctx, e, c, func(ctx context.Context) (int, error) {
		if write {
			return f.writer.Write(ctx, f, p)
		}
		return f.reader.Read(ctx, f, p)
	})
}

// accessError is read(2)'s and write(2)'s check of a descriptor: EBADF
// when its access mode forbids the operation, EINVAL when the driver
// cannot do it, then EOPNOTSUPP for flags other than RWF_NOWAIT. The
// call is registered before the check (one lock for both), so a failed
// check unregisters it.
func accessError(allowed, implemented bool, flags int) error {
	switch {
	case !allowed:
		return EBADF
	case !implemented:
		return EINVAL
	case flags&^RWF_NOWAIT != 0:
		return EOPNOTSUPP
	}
	return nil
}
