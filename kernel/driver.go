package kernel

import "context"

// A Driver is the value registered for a device name with Kernel.Register.
// It implements any subset of the interfaces below; the kernel checks which
// ones, exactly as Linux checks which file_operations are non-nil, and
// behaves as documented on each interface when one is missing. The
// interfaces for asynchronous I/O, AioReader and AioWriter, live in
// kiocb.go beside the Kiocb they take (SPEC C13).
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
// The ctx given to Open, Read and Write belongs to that one call: use it
// only until the method returns (goroutines the method starts must be
// done with it by then). The kernel recycles it for the task's next call
// unless the driver called its Done method, or its Value method for any
// key but NoWait's (NoWait asks without pinning the context), in which
// case it stays cancelled for good once the call has returned, like any
// context.WithCancel child.
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
