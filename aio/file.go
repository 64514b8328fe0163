package aio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A File is an open file whose ReadAt, WriteAt, Sync and Datasync go
// through an Engine, for programs that want asynchronous I/O without
// managing requests (SPEC C15–C17). Its methods are safe for concurrent
// use, and each call blocks only the goroutine that makes it: the
// goroutine waits in the Go scheduler, holding no OS thread, while the
// engine's backend performs the call, and the completion wakes it.
//
// Calls that many goroutines make at once are submitted together: on
// io_uring, every call that arrives while a ring's loop is busy goes to
// the kernel in the loop's next io_uring_enter, so the system calls are
// the engine's (one per batch), not one per call on the caller's thread.
// On the thread pool each call is a pread(2) or pwrite(2) on a worker.
// A call allocates nothing in steady state.
//
// ReadAt and WriteAt behave as os.File's do: ReadAt fills p or returns
// why not (io.EOF at the end of the file), looping over short reads;
// WriteAt writes all of p or returns an error; a negative offset is an
// error, and WriteAt on a file opened with O_APPEND is refused. Errors
// from the kernel come as *os.PathError. On a descriptor that cannot seek
// (a pipe, a socket) the offset is ignored and the data is read or
// written at the stream, as the Engine does.
type File struct {
	f          *os.File
	fd         int
	name       string
	e          *Engine
	ownEngine  bool // e was made for this File: Close closes it
	registered bool // this File registered fd with e: Close unregisters it
	appendMode bool // fd was opened O_APPEND: WriteAt is refused, as os.File does

	// mu guards the fields below. free holds the calls not in use (their
	// Requests idle, ready to be submitted again); out counts the calls
	// taken from it, which Close waits for (idle).
	mu     sync.Mutex
	free   []*fileCall
	out    int
	closed bool
	idle   sync.Cond
}

// A fileCall is the request of one File call and where its goroutine
// waits. It is reused from call to call: the completion readies the
// waiting goroutine with a send on done, from the goroutine that
// completed the request (SIGEV_INLINE), so a call costs no goroutine and
// no allocation.
type fileCall struct {
	r    Request
	done chan struct{} // buffered: the one send per submission never blocks
}

// maxRW bounds the bytes one request moves, as os.File bounds one
// pread(2): the kernel moves at most about 2 GiB per call anyway.
const maxRW = 1 << 30

// errNegativeOffset and errWriteAtInAppendMode carry os.File's texts for
// the same refusals.
var (
	errNegativeOffset      = errors.New("negative offset")
	errWriteAtInAppendMode = errors.New("os: invalid use of WriteAt on file opened with O_APPEND")
)

// NewFile returns a File for f, served by an Engine of its own made with
// opts (see New); the File's Close closes that engine. Programs with many
// files share one engine with (*Engine).NewFile instead.
//
// For a file opened O_DIRECT, whose requests go to the device, the
// engine has one io_uring ring with a thread of its own (WithRings(1),
// WithRingThreads(), applied before opts): 4 KiB random O_DIRECT
// writes from 32 goroutines measured about twice the rate, at half the
// CPU per write, of two rings without threads.
func NewFile(f *os.File, opts ...Option) (*File, error) {
	if f != nil {
		if fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0); err == nil && fl&unix.O_DIRECT != 0 {
			opts = append([]Option{WithRings(1), WithRingThreads()}, opts...)
		}
	}
	e, err := New(opts...)
	if err != nil {
		return nil, err
	}
	af, err := e.NewFile(f)
	if err != nil {
		e.Close()
		return nil, err
	}
	af.ownEngine = true
	return af, nil
}

// NewFile returns a File for f served by e. The File takes f over: its
// Close closes f, and until then f must not be closed, nor its
// descriptor replaced (dup2), by anyone else. f is put in blocking mode,
// as (*os.File).Fd does. On io_uring, f's descriptor is registered with
// e (RegisterFile) while e has a free slot, and unregistered by Close.
// An engine bound to a model task (WithTask) serves no host files:
// EINVAL. After e.Close, ErrClosed.
func (e *Engine) NewFile(f *os.File) (*File, error) {
	if f == nil {
		return nil, fmt.Errorf("aio: NewFile(nil): %w", os.ErrInvalid)
	}
	if _, host := e.fds.(hostFds); !host {
		return nil, fmt.Errorf("aio: NewFile(%s) on an engine bound to a model task: %w", f.Name(), syscall.EINVAL)
	}
	if e.closed.Load() {
		return nil, fmt.Errorf("aio: NewFile(%s): %w", f.Name(), ErrClosed)
	}
	fd := int(f.Fd())
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "fcntl", Path: f.Name(), Err: err}
	}
	af := &File{f: f, fd: fd, name: f.Name(), e: e, appendMode: fl&unix.O_APPEND != 0}
	af.idle.L = &af.mu
	if e.Backend() == "uring" {
		// A full table (ENFILE), or fd registered by its owner already
		// (EEXIST, then its requests use that slot), leaves requests
		// naming the descriptor: slower, equally correct.
		af.registered = e.RegisterFile(fd) == nil
	}
	return af, nil
}

// Name returns the name of the file, as (*os.File).Name does.
func (f *File) Name() string { return f.name }

// ReadAt reads len(p) bytes from the file starting at offset off
// (io.ReaderAt). It returns the number of bytes read and the error, if
// any: when n < len(p) the error says why, io.EOF at the end of the file.
// A short read from the kernel is followed by another, as os.File does.
func (f *File) ReadAt(p []byte, off int64) (n int, err error) {
	return f.readAt(context.Background(), p, off)
}

// ReadAtContext is ReadAt that gives up when ctx ends: it then cancels
// the read and returns, once the kernel has let go of p (the read was
// cancelled or completed, SPEC C17), the bytes read so far and ctx.Err().
// A read that completes in full all the same reports success.
func (f *File) ReadAtContext(ctx context.Context, p []byte, off int64) (n int, err error) {
	return f.readAt(ctx, p, off)
}

// WriteAt writes len(p) bytes to the file starting at offset off
// (io.WriterAt), and returns the number written and an error, which is
// not nil when n < len(p). A file opened with O_APPEND refuses WriteAt,
// as os.File does.
func (f *File) WriteAt(p []byte, off int64) (n int, err error) {
	return f.writeAt(context.Background(), p, off)
}

// WriteAtContext is WriteAt that gives up when ctx ends, as ReadAtContext
// does: it returns once the kernel has let go of p, with the bytes written
// so far and ctx.Err(), unless the write completed in full.
func (f *File) WriteAtContext(ctx context.Context, p []byte, off int64) (n int, err error) {
	return f.writeAt(ctx, p, off)
}

// Sync commits the file's contents to stable storage (fsync(2)), after
// every WriteAt that returned before the call (SPEC C10).
func (f *File) Sync() error { return f.sync("sync", opFsync) }

// Datasync is Sync without the metadata a later read does not need
// (fdatasync(2)).
func (f *File) Datasync() error { return f.sync("datasync", opFdatasync) }

func (f *File) readAt(ctx context.Context, p []byte, off int64) (n int, err error) {
	if off < 0 {
		return 0, &os.PathError{Op: "readat", Path: f.name, Err: errNegativeOffset}
	}
	c, err := f.get("read")
	if err != nil {
		return 0, err
	}
	defer f.put(c)
	for len(p) > 0 {
		m, err := f.run(ctx, c, opRead, "read", p[:min(len(p), maxRW)], off)
		n += m
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.EOF
		}
		p = p[m:]
		off += int64(m)
	}
	return n, nil
}

func (f *File) writeAt(ctx context.Context, p []byte, off int64) (n int, err error) {
	if f.appendMode {
		return 0, errWriteAtInAppendMode
	}
	if off < 0 {
		return 0, &os.PathError{Op: "writeat", Path: f.name, Err: errNegativeOffset}
	}
	c, err := f.get("write")
	if err != nil {
		return 0, err
	}
	defer f.put(c)
	for len(p) > 0 {
		m, err := f.run(ctx, c, opWrite, "write", p[:min(len(p), maxRW)], off)
		n += m
		if err != nil {
			return n, err
		}
		if m == 0 {
			// os.File's answer to a write that moves nothing.
			return n, &os.PathError{Op: "write", Path: f.name, Err: io.ErrUnexpectedEOF}
		}
		p = p[m:]
		off += int64(m)
	}
	return n, nil
}

func (f *File) sync(name string, o op) error {
	c, err := f.get(name)
	if err != nil {
		return err
	}
	defer f.put(c)
	_, err = f.run(context.Background(), c, o, name, nil, 0)
	return err
}

// get takes a call from the free list, or makes one; after Close it
// fails with os.ErrClosed.
func (f *File) get(name string) (*fileCall, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, &os.PathError{Op: name, Path: f.name, Err: os.ErrClosed}
	}
	f.out++
	var c *fileCall
	if k := len(f.free); k > 0 {
		c = f.free[k-1]
		f.free = f.free[:k-1]
	}
	f.mu.Unlock()
	if c == nil {
		c = &fileCall{done: make(chan struct{}, 1)}
		c.r.Fd = f.fd
		c.r.Notify = Sigevent{Notify: SIGEV_INLINE, Func: c.wake}
	}
	return c, nil
}

// maxFreeCalls bounds the calls a File keeps for reuse: as many as
// goroutines call it at once in steady state, and no more than this
// after a burst.
const maxFreeCalls = 4096

// put returns c, whose request is idle, to the free list.
func (f *File) put(c *fileCall) {
	// Drop the caller's buffer, so an idle call keeps no memory alive.
	c.r.Buf, c.r.buf = nil, nil
	f.mu.Lock()
	if len(f.free) < maxFreeCalls {
		f.free = append(f.free, c)
	}
	if f.out--; f.out == 0 && f.closed {
		f.idle.Broadcast()
	}
	f.mu.Unlock()
}

// wake is c's completion notification (SIGEV_INLINE): it readies the
// goroutine waiting in run.
func (c *fileCall) wake(*Request) { c.done <- struct{}{} }

// run submits c's request as o on p at off, waits for its completion and
// takes its result: the byte count, or the error as an *os.PathError with
// op name. When ctx ends first it cancels the request, still waits for
// its completion (until then the kernel may write into p), and returns
// the count with ctx.Err(), or with no error when the whole of p was
// transferred all the same.
func (f *File) run(ctx context.Context, c *fileCall, o op, name string, p []byte, off int64) (int, error) {
	stop := ctx.Done() // nil for a context that never ends
	if stop != nil && ctx.Err() != nil {
		return 0, ctx.Err()
	}
	c.r.Offset, c.r.Buf = off, p
	for try := 0; ; try++ {
		err := f.e.submitChecked(&c.r, o, false, nil)
		if err == nil {
			break
		}
		switch {
		case err == syscall.EAGAIN:
			// The engine's in-flight limit (WithMaxInFlight) is reached:
			// room comes back as other requests complete. Yield at
			// first, then back off, so that a limit held by requests
			// that take long (reads of a quiet pipe) costs no core.
			if stop != nil && ctx.Err() != nil {
				return 0, ctx.Err()
			}
			if try < 16 {
				runtime.Gosched()
			} else {
				time.Sleep(min(time.Duration(try-15)*50*time.Microsecond, time.Millisecond))
			}
			continue
		case errors.Is(err, ErrClosed):
			err = os.ErrClosed
		}
		return 0, &os.PathError{Op: name, Path: f.name, Err: err}
	}
	var ctxErr error
	if stop == nil {
		<-c.done
	} else {
		select {
		case <-c.done:
		case <-stop:
			f.e.Cancel(f.fd, &c.r)
			<-c.done // cancelled or not, the request completes and notifies
			ctxErr = ctx.Err()
		}
	}
	n, err := c.r.Return()
	switch {
	case ctxErr != nil && (err != nil || n < len(p)):
		return max(n, 0), ctxErr
	case err == syscall.ECANCELED:
		// Not this call's context: Close (or an Engine.Cancel of the
		// descriptor) stopped the request.
		return 0, &os.PathError{Op: name, Path: f.name, Err: os.ErrClosed}
	case err != nil:
		return 0, &os.PathError{Op: name, Path: f.name, Err: err}
	}
	return n, nil
}

// Close waits for the calls in flight to return, then releases the file:
// it unregisters the descriptor from the engine (if NewFile registered
// it), closes the *os.File, and closes the engine if NewFile made it.
// Requests the kernel can still cancel (a read of an empty pipe; on the
// thread pool, one no worker has taken yet) are cancelled, and their calls
// fail with os.ErrClosed; the rest run to completion first. Later calls,
// and a second Close, fail with an error that matches os.ErrClosed.
func (f *File) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return &os.PathError{Op: "close", Path: f.name, Err: os.ErrClosed}
	}
	f.closed = true
	busy := f.out > 0
	f.mu.Unlock()
	if busy {
		f.e.Cancel(f.fd, nil)
	}
	f.mu.Lock()
	for f.out > 0 {
		f.idle.Wait()
	}
	f.mu.Unlock()
	var first error
	if f.registered && !f.e.closed.Load() {
		// A closed engine's rings, and their tables, are gone already.
		first = f.e.UnregisterFile(f.fd)
	}
	if err := f.f.Close(); first == nil {
		first = err
	}
	if f.ownEngine {
		if err := f.e.Close(); first == nil {
			first = err
		}
	}
	return first
}
