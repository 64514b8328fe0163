package kernel

import (
	"errors"
	"sync"
	"syscall"
)

// Asynchronous I/O on model devices: Linux's kiocb (SPEC C13, M4(b)).
//
// A submitter — the aio engine — makes a Kiocb with NewKiocb, giving the
// buffer, the position and its completion function (ki_complete), and
// starts it with Task.AioRead or Task.AioWrite (the model's io_submit of
// one read or write). The kernel looks the descriptor up, takes a
// reference on the open file for as long as the kiocb is in flight (as
// Linux's kiocb holds ki_filp), and hands the kiocb to the driver's
// AioRead or AioWrite. The driver either finishes at once, returning the
// result as Read or Write would, or returns EIOCBQUEUED and calls Complete
// later, from whatever goroutine brings the data; either way the
// submitter's completion function runs exactly once.

// EIOCBQUEUED, returned by a driver's AioRead or AioWrite, says the driver
// has queued the kiocb and will report it with Kiocb.Complete. It has
// Linux's kernel-internal value (529) and, like ERESTARTSYS, never
// escapes the kernel: Task.AioRead and Task.AioWrite do not return it.
const EIOCBQUEUED = syscall.Errno(529)

// EOPNOTSUPP is what Task.AioRead and Task.AioWrite return for a driver
// without AioReader or AioWriter: the caller performs the operation
// synchronously instead (Task.Read or Task.Write, on a goroutine of its
// own).
const EOPNOTSUPP = syscall.EOPNOTSUPP

// AioReader is implemented by devices that read asynchronously (the
// model's aio_read file operation; Linux's read_iter returning
// -EIOCBQUEUED). AioRead is called by Task.AioRead with iocb.File set and
// a reference held on the file until iocb completes, so the driver's
// Release cannot run for that file while iocb is queued. AioRead must not
// sleep. It either finishes at once, returning a byte count or an error
// as Read would (the kernel then completes iocb: the driver must not), or
// puts iocb where a later event finds it, returns EIOCBQUEUED, and later
// calls iocb.Complete exactly once, holding none of its own locks. A
// driver that queues iocb registers how to withdraw it with
// iocb.SetCancel before AioRead returns: without that only data ends
// the read, and neither Kiocb.Cancel nor a devfs client's signal nor
// the unmount that gives up waiting reads can (devfs waits for it, as
// Linux's aio waits for a kiocb it cannot cancel). Like Read it should
// honour iocb.File.Nonblock(), returning EAGAIN instead of queueing. Without AioReader, Task.AioRead
// fails with EOPNOTSUPP and the aio engine runs the driver's Read on a
// worker goroutine instead.
type AioReader interface {
	AioRead(iocb *Kiocb) (int, error)
}

// AioWriter is implemented by devices that write asynchronously, with the
// same rules as AioReader for a write of iocb.Buf. Without AioWriter,
// Task.AioWrite fails with EOPNOTSUPP and the aio engine runs the driver's
// Write on a worker goroutine instead.
type AioWriter interface {
	AioWrite(iocb *Kiocb) (int, error)
}

// A Kiocb is one asynchronous read or write of an open file: Linux's
// struct kiocb. The driver reads File, Buf and Pos and must not change
// them; it owns Buf from AioRead or AioWrite until it calls Complete.
type Kiocb struct {
	// File is the open file (ki_filp), set by Task.AioRead or
	// Task.AioWrite before the driver sees the kiocb.
	File *File
	// Buf is the room to read into, or the data to write.
	Buf []byte
	// Pos is the requested offset (ki_pos); stream devices ignore it.
	Pos int64

	// task is the submitting task (Task), set with File.
	task *Task

	// done is the submitter's completion function (ki_complete), set once
	// by NewKiocb.
	done func(n int, err error)

	// mu guards state and cancel. It is a leaf: nothing else is locked,
	// and no driver or submitter code runs, while it is held.
	mu     sync.Mutex
	state  kiocbState
	cancel func() error // the driver's, from SetCancel; nil once called
}

// kiocbState is a kiocb's life-cycle stage; it only moves forward.
type kiocbState uint8

const (
	kiocbNew       kiocbState = iota // made, not yet submitted
	kiocbSubmitted                   // the driver owns it; holds a file reference
	kiocbDone                        // completed: done has run or is running
)

// NewKiocb returns a kiocb for a transfer of buf at pos whose result is
// reported to done (ki_complete): n bytes, or err, as Complete was given
// them. done runs exactly once if and only if the kiocb's submission
// (Task.AioRead or Task.AioWrite) returned nil, on the goroutine that
// completed it — the driver's, possibly another task's, or the
// submitter's own before the submission returns — with no kernel lock
// held. It must not block for long, and the file's reference is already
// dropped when it runs.
func NewKiocb(buf []byte, pos int64, done func(n int, err error)) *Kiocb {
	return &Kiocb{Buf: buf, Pos: pos, done: done}
}

// Task returns the task that submitted the kiocb (SPEC K1), nil before
// submission. A driver may read its credentials; by the time the kiocb
// completes the task may have exited.
func (iocb *Kiocb) Task() *Task {
	iocb.mu.Lock()
	defer iocb.mu.Unlock()
	return iocb.task
}

// Complete reports the result of a queued operation (ki_complete): n
// bytes, or err. A positive n is a (possibly short) success even with an
// error, as read(2) reports a partial transfer. It drops the kiocb's
// reference on its file — the last one runs the driver's Release — and
// then calls the submitter's completion function, so a driver calls it
// with none of its own locks held. Calls after the first, and calls on a
// kiocb never submitted, do nothing.
func (iocb *Kiocb) Complete(n int, err error) {
	iocb.mu.Lock()
	if iocb.state != kiocbSubmitted {
		iocb.mu.Unlock()
		return
	}
	iocb.state = kiocbDone
	iocb.cancel = nil // a cancel function must not outlive its kiocb
	iocb.mu.Unlock()
	// The reference goes before the report (Linux posts the event, then
	// fputs), so a submitter that saw the completion finds the kernel done
	// with the file: once aio.Engine.Close returns, nothing is held open.
	_ = iocb.File.put() // as Linux's fput: a Release error has nowhere to go
	traceKiocbComplete(iocb, n, err)
	iocb.done(n, err)
}

// SetCancel registers how to withdraw the queued operation
// (kiocb_set_cancel_fn). Cancel calls fn at most once, without any kernel
// lock held. fn returns nil when it withdrew the kiocb and the kiocb
// will complete with ECANCELED — fn calls Complete(0, syscall.ECANCELED)
// itself, or arranges for it — and an error when the operation can no
// longer be stopped (a completion is already on its way). A later
// SetCancel replaces fn; after completion SetCancel does nothing.
func (iocb *Kiocb) SetCancel(fn func() error) {
	iocb.mu.Lock()
	if iocb.state == kiocbSubmitted {
		iocb.cancel = fn
	}
	iocb.mu.Unlock()
}

// Cancel asks the driver to withdraw the kiocb (io_cancel). It reports
// nil when the driver's cancel function accepted, so the kiocb completes
// (or has completed) with ECANCELED; EINVAL when there is nothing to
// cancel — the kiocb is not in flight, or the driver registered no cancel
// function (or it was already called); otherwise the cancel function's
// error, and the kiocb completes normally.
func (iocb *Kiocb) Cancel() error {
	iocb.mu.Lock()
	fn := iocb.cancel
	iocb.cancel = nil
	iocb.mu.Unlock()
	if fn == nil {
		return EINVAL
	}
	return fn()
}

// AioRead starts an asynchronous read of descriptor fd into iocb.Buf
// through the driver's AioReader (SPEC C13). It never sleeps. nil means
// iocb was submitted: its completion function runs exactly once, perhaps
// before AioRead returns. Otherwise nothing was started: EBADF for a bad
// or write-only descriptor, EOPNOTSUPP when the driver has no AioReader
// (the caller uses Read on a goroutine of its own), EINVAL for a nil
// kiocb, one not made by NewKiocb, or one already submitted.
//
// A queued kiocb is not interrupted by signals and outlives a Close of
// its descriptor, as in Linux: it keeps its open file (and the driver's
// Release) waiting until it completes or is cancelled.
func (t *Task) AioRead(fd int, iocb *Kiocb) error {
	return t.aio(fd, iocb, false)
}

// AioWrite starts an asynchronous write of iocb.Buf to descriptor fd
// through the driver's AioWriter, with the same rules as AioRead (EBADF
// for a read-only descriptor, EOPNOTSUPP without AioWriter).
func (t *Task) AioWrite(fd int, iocb *Kiocb) error {
	return t.aio(fd, iocb, true)
}

// aio is AioRead and AioWrite. Unlike the other Task methods it is not a
// safe point: the aio engine may submit from a completion, on a goroutine
// of another task, where t's signal handlers have no business running.
func (t *Task) aio(fd int, iocb *Kiocb, write bool) error {
	if iocb == nil || iocb.done == nil {
		return EINVAL
	}
	e, err := t.getEntry(fd)
	if err != nil {
		return err
	}
	f := e.file
	if err := f.aioCheck(write); err != nil {
		_ = f.put() // the last reference only if fd was closed meanwhile
		return err
	}
	iocb.mu.Lock()
	if iocb.state != kiocbNew {
		iocb.mu.Unlock()
		_ = f.put()
		return EINVAL
	}
	iocb.File = f
	iocb.task = t
	iocb.state = kiocbSubmitted // the reference getEntry took is now the kiocb's
	iocb.mu.Unlock()
	traceKiocbSubmit(t, fd, iocb, write)
	var n int
	if write {
		n, err = f.drv.(AioWriter).AioWrite(iocb)
	} else {
		n, err = f.drv.(AioReader).AioRead(iocb)
	}
	if !errors.Is(err, EIOCBQUEUED) {
		iocb.Complete(n, err) // finished at once; ignored if the driver completed anyway
	}
	return nil
}

// aioCheck reports whether f can start an asynchronous read (or write):
// EBADF when the access mode forbids it, EOPNOTSUPP when the driver has
// no AioReader (AioWriter).
func (f *File) aioCheck(write bool) error {
	var ok bool
	if write {
		if !f.Writable() {
			return EBADF
		}
		_, ok = f.drv.(AioWriter)
	} else {
		if !f.Readable() {
			return EBADF
		}
		_, ok = f.drv.(AioReader)
	}
	if !ok {
		return EOPNOTSUPP
	}
	return nil
}
