package kernel

import (
	"context"
	"sync/atomic"
)

// Flags of Signalfd (Linux values: O_NONBLOCK and O_CLOEXEC).
const (
	SFD_NONBLOCK = O_NONBLOCK
	SFD_CLOEXEC  = O_CLOEXEC
)

// SignalfdSiginfoSize is the size of one record a signalfd's read
// returns (struct signalfd_siginfo).
const SignalfdSiginfoSize = 128

// signalfd is the driver of one signalfd file (Linux's signalfd_ctx and
// signalfd_fops): its read takes pending signals of its mask for the
// reading thread, its poll reports POLLIN while one is pending.
type signalfd struct {
	mask atomic.Uint64 // Sigset
	// owner is the thread that made the file: the poller when a poll
	// table names none (PollTable.task).
	owner *Task
}

// Signalfd makes a signalfd, as signalfd4(2) (SPEC S9): with fd -1 a new
// file, open for reading and writing, on the lowest free descriptor,
// which it returns; otherwise fd must be a signalfd, whose mask becomes
// mask. flags are SFD_NONBLOCK and SFD_CLOEXEC. SIGKILL and SIGSTOP are
// taken out of mask.
//
// Reading the file (Task.Read, at least SignalfdSiginfoSize bytes) takes
// signals of mask pending for the reading thread — its own first, then
// its process's, as Sigtimedwait does — and returns one
// SignalfdSiginfoSize-byte signalfd_siginfo record for each
// (ParseSignalfdSiginfo), as many as fit; if none is pending it sleeps
// until one is (interruptibly, as any read), or fails with EAGAIN under
// O_NONBLOCK. Polling the file reports POLLIN while a signal of mask is
// pending for the polling task; the file's wait queue is woken whenever
// a signal becomes pending, so poll and epoll wait for signals and
// descriptors together. The signals are normally blocked (Sigprocmask):
// an unblocked one is delivered in the usual way before the read sees it.
//
// Errors: EINVAL for other flags, for an fd that is not a signalfd, and
// for a read shorter than one record; EBADF for an fd that is not open;
// EMFILE when the table is full; ESRCH on a dead thread.
func (t *Task) Signalfd(fd int, mask Sigset, flags int) (int, error) {
	if flags&^(SFD_NONBLOCK|SFD_CLOEXEC) != 0 {
		return -1, EINVAL
	}
	mask &^= unblockable
	if fd == -1 {
		sfd := &signalfd{owner: t}
		sfd.mask.Store(uint64(mask))
		fds, err := t.InstallFiles("[signalfd]", sfd, O_RDWR|flags)
		if err != nil {
			return -1, err
		}
		return fds[0], nil
	}
	defer t.safePoint()
	e, err := t.getEntry(fd)
	if err != nil {
		return -1, err
	}
	defer e.file.put()
	sfd, ok := e.file.drv.(*signalfd)
	if !ok {
		return -1, EINVAL
	}
	sfd.mask.Store(uint64(mask))
	t.sigQ.WakeUp()
	return fd, nil
}

// Read takes pending signals of the file's mask for the reading thread,
// one record each.
func (s *signalfd) Read(ctx context.Context, f *File, p []byte) (int, error) {
	n := len(p) / SignalfdSiginfoSize
	if n == 0 {
		return 0, EINVAL
	}
	t := TaskFromContext(ctx)
	if t == nil {
		t = s.owner
	}
	for {
		mask := Sigset(s.mask.Load())
		got := 0
		for got < n {
			info, ok := t.takeSignal(mask, false)
			if !ok {
				break
			}
			rec := SignalfdSiginfoOf(info)
			rec.put(p[got*SignalfdSiginfoSize:])
			got++
		}
		if got > 0 {
			return got * SignalfdSiginfoSize, nil
		}
		if f.Nonblock() || NoWait(ctx) {
			return 0, EAGAIN
		}
		if err := t.sigQ.Wait(ctx, nil, func() bool { return t.hasPending(Sigset(s.mask.Load())) }); err != nil {
			return 0, err
		}
	}
}

// Poll reports POLLIN while a signal of the mask is pending for the
// polling task (the table's, else the file's maker), registering on its
// process's signal wait queue.
func (s *signalfd) Poll(f *File, pt *PollTable) int16 {
	t := s.owner
	if pt != nil && pt.task != nil {
		t = pt.task
	}
	pt.Wait(&t.sigQ)
	if t.hasPending(Sigset(s.mask.Load())) {
		return POLLIN
	}
	return 0
}

// hasPending reports whether a signal of set is pending for t, in its
// own pending set or its process's.
func (t *Task) hasPending(set Sigset) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return (t.sigs.set|t.shared.set)&set != 0
}
