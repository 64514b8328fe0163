package kernel

import (
	"sync"
	"sync/atomic"
)

// A File is an open file description (Linux's struct file): what one Open
// created, shared by every descriptor Dup or F_DUPFD made from it. It
// holds the access mode and status flags, the owner and signal choice for
// fasync notifications, and the driver's per-open data.
type File struct {
	// Private is the driver's per-open data (filp->private_data). Set it in
	// Opener.Open only; afterwards the kernel never touches it.
	Private any

	k    *Kernel
	name string
	drv  Driver
	// The driver's optional interfaces, looked up once at open; nil when
	// not implemented.
	opener   Opener
	releaser Releaser
	reader   Reader
	writer   Writer
	poller   Poller
	fasyncer Fasyncer
	ioctler  Ioctler
	fcntler  Fcntler
	checker  FlagChecker
	// direct is FMODE_CAN_ODIRECT: F_SETFL may set O_DIRECT (AllowDirect).
	direct atomic.Bool

	// refs counts the descriptors naming the file plus the calls in flight
	// on it. Whoever drops it to 0 runs the final fasync-off and Release
	// (SPEC A13). It is raised only by a holder of a reference, so once 0
	// it stays 0.
	refs atomic.Int32
	// mu serialises writers of flags and own; readers load them without it.
	mu sync.Mutex
	// flags is the access mode and status flags: O_NONBLOCK, O_APPEND,
	// O_DIRECT, O_NOATIME and FASYNC. FASYNC is
	// written only by FasyncList.Helper, so it is set exactly while the
	// file is on a notification list (SPEC A4).
	flags atomic.Int32
	// own is the fasync owner and F_SETSIG choice; nil until F_SETOWN or
	// F_SETSIG. Replaced whole, never mutated.
	own atomic.Pointer[fown]
	// hook receives the file's fasync notifications (SetSigioHook).
	hook atomic.Pointer[func(band int)]
	// epolls are the epoll registrations watching the file (epoll_file.go).
	epolls epollLinks
}

// setflMask is the status flags F_SETFL may change besides FASYNC:
// Linux's SETFL_MASK (O_NDELAY is O_NONBLOCK on this architecture).
const setflMask = O_NONBLOCK | O_APPEND | O_DIRECT | O_NOATIME

// openMask is the open flags a new file keeps.
const openMask = O_ACCMODE | O_NONBLOCK | O_APPEND

// newFile returns a file for device name with the open flags that a
// descriptor keeps (access mode, O_NONBLOCK, O_APPEND) and one reference.
// FASYNC at open is ignored, as Linux does.
func newFile(k *Kernel, name string, d Driver, flags int) *File {
	f := &File{k: k, name: name, drv: d}
	f.opener, _ = d.(Opener)
	f.releaser, _ = d.(Releaser)
	f.reader, _ = d.(Reader)
	f.writer, _ = d.(Writer)
	f.poller, _ = d.(Poller)
	f.fasyncer, _ = d.(Fasyncer)
	f.ioctler, _ = d.(Ioctler)
	f.fcntler, _ = d.(Fcntler)
	f.checker, _ = d.(FlagChecker)
	f.flags.Store(int32(flags & openMask))
	f.refs.Store(1)
	return f
}

// Flags returns the access mode and status flags, as F_GETFL reports them.
func (f *File) Flags() int { return int(f.flags.Load()) }

// Nonblock reports whether O_NONBLOCK is set: drivers return EAGAIN
// instead of sleeping (SPEC M2).
func (f *File) Nonblock() bool { return f.flags.Load()&O_NONBLOCK != 0 }

// Readable reports whether the access mode allows reading.
func (f *File) Readable() bool { return f.flags.Load()&O_ACCMODE != O_WRONLY }

// Writable reports whether the access mode allows writing.
func (f *File) Writable() bool { return f.flags.Load()&O_ACCMODE != O_RDONLY }

// Name returns the device name the file was opened by.
func (f *File) Name() string { return f.name }

// Driver returns the driver serving the file.
func (f *File) Driver() Driver { return f.drv }

// Kernel returns the kernel the file belongs to.
func (f *File) Kernel() *Kernel { return f.k }

// Poll returns the driver's readiness mask, registering pt on its wait
// queues (pt may be nil). A driver without Poller is always ready for
// reading and writing (Linux's DEFAULT_POLLMASK).
func (f *File) Poll(pt *PollTable) int16 {
	if f.poller != nil {
		return f.poller.Poll(f, pt)
	}
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM
}

// AllowDirect lets F_SETFL set O_DIRECT on f (Linux's FMODE_CAN_ODIRECT,
// which a filesystem sets at open, or a FIFO's packet mode); without it
// O_DIRECT is EINVAL. A driver calls it from Opener.Open.
func (f *File) AllowDirect() { f.direct.Store(true) }

// SetFlags sets the status flags as F_SETFL does, for callers without a
// task and descriptor (devfs): the same checks run, except that O_NOATIME
// needs no privilege, and the driver's Fasync runs, with fd -1, only when
// FASYNC changes; an error aborts the call with nothing changed (SPEC
// A11, K2). Access-mode bits are ignored.
func (f *File) SetFlags(flags int) error { return f.setfl(-1, flags, nil) }

// setfl is F_SETFL on f through descriptor fd by a task with credentials
// cred (nil: the kernel itself), as fs/fcntl.c's setfl (SPEC A11, K2):
// the kernel's checks, then the driver's CheckFlags, then its Fasync
// when FASYNC changes, then the flags of setflMask are stored.
func (f *File) setfl(fd, arg int, cred *Cred) error {
	// O_NOATIME only by the inode's owner or a capable task: a model
	// device node belongs to root.
	if arg&O_NOATIME != 0 && f.Flags()&O_NOATIME == 0 && cred != nil && cred.EUID != 0 {
		return EPERM
	}
	if arg&O_DIRECT != 0 && !f.direct.Load() {
		return EINVAL
	}
	if f.checker != nil {
		if err := f.checker.CheckFlags(f, arg); err != nil {
			return err
		}
	}
	if (arg^f.Flags())&FASYNC != 0 && f.fasyncer != nil {
		// The driver's Fasync adds or removes the file on its list; Helper
		// sets or clears FASYNC to match, so the flag is never set here.
		if err := f.fasyncer.Fasync(fd, f, arg&FASYNC != 0); err != nil {
			return err
		}
	}
	f.mu.Lock()
	fl := f.flags.Load()
	f.flags.Store(fl&^setflMask | int32(arg)&setflMask)
	f.mu.Unlock()
	return nil
}

// setNonblock sets or clears O_NONBLOCK alone (FIONBIO).
func (f *File) setNonblock(on bool) {
	f.mu.Lock()
	fl := f.flags.Load()
	if on {
		fl |= O_NONBLOCK
	} else {
		fl &^= O_NONBLOCK
	}
	f.flags.Store(fl)
	f.mu.Unlock()
}

// setFasync sets or clears FASYNC; only FasyncList.Helper calls it.
func (f *File) setFasync(on bool) {
	f.mu.Lock()
	fl := f.flags.Load()
	if on {
		fl |= FASYNC
	} else {
		fl &^= FASYNC
	}
	f.flags.Store(fl)
	f.mu.Unlock()
}

// get adds a reference; the caller must already hold one (or hold the
// task lock over a descriptor naming f).
func (f *File) get() { f.refs.Add(1) }

// put drops a reference; the last one takes the file off its notification
// lists and releases it (SPEC A13). It returns the driver's Release error.
func (f *File) put() error {
	if f.refs.Add(-1) != 0 {
		return nil
	}
	return f.final()
}

// final runs when the last reference is gone, as __fput: out of every
// epoll set (SPEC E5), fasync off, so no notification reaches the owner
// of a closed file, then Release.
func (f *File) final() error {
	f.epolls.release()
	if f.Flags()&FASYNC != 0 && f.fasyncer != nil {
		_ = f.fasyncer.Fasync(-1, f, false) // as Linux: close cannot fail here
	}
	if f.releaser != nil {
		return f.releaser.Release(f)
	}
	return nil
}
