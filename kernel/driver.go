package kernel

import "context"

// A Driver is the value registered for a device name with Kernel.Register.
// It implements any subset of the interfaces below; the kernel checks which
// ones, exactly as Linux checks which file_operations are non-nil, and
// behaves as documented on each interface when one is missing. The
// interfaces for asynchronous I/O, AioReader and AioWriter, live in
// kiocb.go beside the Kiocb they take (SPEC C13), and Ioctler lives in
// ioctl.go beside the IoctlArg it takes (SPEC I1).
type Driver any

// Opener is implemented by drivers that act on open. Open is called once
// for each new open file description, after the kernel has checked the
// access mode and before a descriptor is installed; it may set f.Private.
// An error fails the open and the file is discarded without Release.
// Open may sleep and must give up with the context's cancellation.
// Without Opener every open succeeds.
type Opener interface {
	Open(ctx context.Context, f *File) error
}

// Releaser is implemented by drivers that act when the last descriptor
// referring to an open file description is closed. By then the kernel has
// already taken the file off every notification list (SPEC A13).
// Without Releaser closing needs no driver work.
type Releaser interface {
	Release(f *File) error
}

// Reader is implemented by readable devices. Read may sleep on a
// WaitQueue; when ctx is cancelled (a signal with a handler, a closed
// descriptor, the caller's own context) it returns the error WaitQueue.Wait
// gave it, and the kernel decides between EINTR and restarting the call.
// Drivers must honour f.Nonblock() and return EAGAIN instead of sleeping.
// Without Reader, read fails with EINVAL.
//
// The ctx given to Open, Read, Write, Ioctl and Fcntl belongs to that
// one call: use it only until the method returns (goroutines the method
// starts must be done with it by then). TaskFromContext finds the calling
// task in it (SPEC K1). The kernel recycles it for the task's next call
// unless the driver called its Done method, or its Value method for any
// key but NoWait's and TaskFromContext's (they ask without pinning the
// context), in which case it stays cancelled for good once the call has
// returned, like any context.WithCancel child.
type Reader interface {
	Read(ctx context.Context, f *File, p []byte) (int, error)
}

// Writer is implemented by writable devices, with the same rules as Reader.
// Without Writer, write fails with EINVAL.
type Writer interface {
	Write(ctx context.Context, f *File, p []byte) (int, error)
}

// Poller is implemented by devices that report readiness. Poll must
// register on every wait queue whose wake-up could change the answer
// (pt.Wait, which accepts a nil pt) before computing the mask, so no
// wake-up is lost between the check and the sleep. Without Poller the file
// is always ready for reading and writing (Linux's DEFAULT_POLLMASK).
type Poller interface {
	Poll(f *File, pt *PollTable) int16
}

// Fasyncer is implemented by devices that notify asynchronously. Fasync is
// called by fcntl(F_SETFL) when FASYNC changes, and with fd -1 and
// on=false before Release when the file still has FASYNC set. It normally
// delegates to FasyncList.Helper, which also sets or clears FASYNC on the
// file: the flag shows in F_GETFL exactly while the file is on a list
// (SPEC A4). An error aborts the F_SETFL with no flag changed (A11).
// Without Fasyncer, F_SETFL succeeds but FASYNC never shows in F_GETFL.
type Fasyncer interface {
	Fasync(fd int, f *File, on bool) error
}

// Fcntler is implemented by devices that answer fcntl commands the
// kernel passes on to the file's type, as Linux passes F_SETPIPE_SZ and
// F_GETPIPE_SZ to pipe_fcntl (SPEC K2). Fcntl is called by Task.Fcntl for
// those two commands only, with cmd and arg as the system call sees them
// (arg is C's int: Task.Fcntl has truncated it to 32 bits), and returns
// the command's value or an error. It may sleep, under the same rules as
// Read (an interruption becomes EINTR or a restart). Every other command
// is the kernel's: F_DUPFD ... F_GETSIG are answered without the driver,
// and a command the kernel does not know is EINVAL whether or not the
// driver has Fcntl. Without Fcntler, F_SETPIPE_SZ and F_GETPIPE_SZ fail
// with EBADF, as Linux's pipe_fcntl does on a file that is not a pipe.
type Fcntler interface {
	Fcntl(ctx context.Context, f *File, cmd, arg int) (int, error)
}

// FlagChecker is implemented by devices that refuse some status flags
// (Linux's check_flags file operation). CheckFlags is called by
// fcntl(F_SETFL) and File.SetFlags with the requested flags, after the
// kernel's own checks (O_NOATIME only by root, EPERM; O_DIRECT only on a
// file that allows it, EINVAL: File.AllowDirect) and before the driver's
// Fasync; an error aborts the F_SETFL with no flag changed, and is what
// fcntl returns, so a driver answers with Linux's errno: EPERM for an
// attempt to clear O_APPEND on an append-only device (compare flags with
// f.Flags()), EINVAL for a flag the device cannot honour. FIONBIO and
// FIOASYNC do not consult it, as in Linux. Without FlagChecker every
// flag the kernel accepts is accepted.
type FlagChecker interface {
	CheckFlags(f *File, flags int) error
}
