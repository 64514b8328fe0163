package aio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// A File is an open file whose ReadAt, WriteAt, Sync and Datasync go
// through an Engine, for programs that want asynchronous I/O without
// managing requests (SPEC C15–C18, C20). Its methods are safe for
// concurrent use, and each call blocks only the goroutine that makes it.
//
// A read (or write) of a regular file that the page cache can serve at
// once is made on the caller's goroutine, with preadv2 (pwritev2) and
// RWF_NOWAIT, which the kernel refuses with EAGAIN instead of waiting
// for the disk (SPEC C18). Only what would block goes to the engine:
// data not in memory, O_DIRECT transfers (never tried that way), syncs,
// and streams (pipes, sockets). A short answer is continued, for the
// rest, the same way. A File whose tries keep failing (a file not in
// memory, read at random) stops trying for a while, longer each time
// they fail again, so that it pays for almost no try; a try that
// succeeds shortens the pause again. A File whose tries keep succeeding
// (about a hundred in a row) turns hot: its calls make the pread(2) or
// pwrite(2) that os.File makes, which cost the kernel a little less than
// a try, and one call in sixteen still tries, so that the first miss it
// meets cools the File. A miss that a hot File's plain call meets waits
// on the caller's OS thread, as os.File's would: a file the page cache
// serves almost wholly may stay hot, and its rare misses then hold a
// thread each. On a file system without RWF_NOWAIT (buffered writes on
// ext4, for one) the first try settles the File on the plain call too:
// the engine cannot do such a transfer more cheaply than os.File does.
//
// What goes to io_uring waits for it holding no OS thread: the
// goroutine parks in the Go scheduler while the kernel performs the
// call, and the completion wakes it. Calls that many goroutines make at
// once are submitted together: every call that arrives while a ring's
// loop is busy goes to the kernel in the loop's next io_uring_enter. On
// the thread pool a call makes its pread(2), pwrite(2), fsync(2) or
// fdatasync(2) on its own goroutine, in the place of an idle worker,
// which does not run until the call gives its place back: so the call
// costs no hand-off to a worker and no wake-up from it, and the pool's
// size still bounds the threads that wait in the kernel.
// When no worker is idle the call queues for one, holding no thread
// while it waits (and a call on a pipe or socket always goes to a
// worker, where Close can stop it). On linuxaio, a read or write of a
// regular file without O_DIRECT that would block is made the same way,
// in the place of a worker of the pool the kernel's refusal would send
// it to. When the engine's in-flight limit is reached a call waits for a
// completion to free a place, again holding no thread (SPEC C20). A call
// allocates nothing in steady state.
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
	appendMode bool // fd was opened O_APPEND: WriteAt is refused, as os.File does
	// mayRegister says the engine is io_uring: the first call that goes
	// to it registers fd (RegisterFile), and Close unregisters it.
	mayRegister bool
	regTried    atomic.Bool
	registered  atomic.Bool
	// pool, when not nil, is the thread pool whose idle places the File's
	// calls for the engine borrow, to make their system calls on their
	// own goroutines (runHere): the thread pool's, for a regular file or
	// block device; linuxaio's, for a regular file without O_DIRECT,
	// whose transfers that would block go to that pool anyway. poolSyncs
	// says syncs borrow too (the thread pool; linuxaio has its own).
	pool      *threadBackend
	poolSyncs bool

	// rd and wr decide whether reads and writes are tried without
	// blocking first (see probe.go). They are written only when a try
	// fails, so the calls of many goroutines share their line read-only.
	rd, wr probe

	// refs counts the calls under way, with closingBit set by Close. It
	// is written twice by every call (as os.File's own reference count
	// is), so it has a cache line of its own.
	_    [64]byte
	refs atomic.Int64
	_    [56]byte

	// mu guards free, the calls not in use (their Requests idle, ready to
	// be submitted again), and is idle's lock: Close waits on idle until
	// no call is under way.
	mu   sync.Mutex
	free []*fileCall
	idle sync.Cond
}

// closingBit in File.refs says Close has begun: no call starts any more.
const closingBit = 1 << 62

// errNegativeOffset and errWriteAtInAppendMode carry os.File's texts for
// the same refusals.
var (
	errNegativeOffset      = errors.New("negative offset")
	errWriteAtInAppendMode = errors.New("os: invalid use of WriteAt on file opened with O_APPEND")
)

// NewFile returns a File for f. Without options the File is served by
// the package's default engine (Default), shared by every File and the
// package-level functions and never closed, so opening a File costs
// about what opening f cost; an O_DIRECT file is served by a second
// default engine made for the disk, with one io_uring ring that has a
// thread of its own (WithRings(1), WithRingThreads()): 4 KiB random
// O_DIRECT writes from 32 goroutines measured about twice the rate, at
// half the CPU per write, of two rings without threads.
//
// With options, the File gets an Engine of its own made with them (see
// New; for an O_DIRECT file after WithRings(1) and WithRingThreads()),
// which its Close closes. Programs that manage an engine's life share
// one with (*Engine).NewFile instead.
func NewFile(f *os.File, opts ...Option) (*File, error) {
	if f == nil {
		return nil, fmt.Errorf("aio: NewFile(nil): %w", os.ErrInvalid)
	}
	direct := false
	if fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0); err == nil && fl&unix.O_DIRECT != 0 {
		direct = true
	}
	if len(opts) == 0 {
		e, err := defaultFor(direct)
		if err != nil {
			return nil, err
		}
		return e.NewFile(f)
	}
	if direct {
		opts = append([]Option{WithRings(1), WithRingThreads()}, opts...)
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
// as (*os.File).Fd does. On io_uring, the first call that goes to e
// registers f's descriptor with e (RegisterFile) while e has a free
// slot, and Close unregisters it. An engine bound to a model task
// (WithTask) serves no host files: EINVAL. After e.Close, ErrClosed.
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
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	af := &File{f: f, fd: fd, name: f.Name(), e: e, appendMode: fl&unix.O_APPEND != 0,
		mayRegister: e.Backend() == "uring"}
	af.idle.L = &af.mu
	regular, odirect := st.Mode&unix.S_IFMT == unix.S_IFREG, fl&unix.O_DIRECT != 0
	if !regular || odirect {
		// Only the page cache of a regular file answers RWF_NOWAIT the
		// way the probe needs; O_DIRECT always goes to the device.
		af.rd.never()
		af.wr.never()
	}
	switch bk := e.bk.(type) {
	case *threadBackend:
		if regular || st.Mode&unix.S_IFMT == unix.S_IFBLK {
			af.pool, af.poolSyncs = bk, true
		}
	case *linuxAIOBackend:
		if regular && !odirect {
			af.pool = bk.pool
		}
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

// Close waits for the calls in flight to return, then releases the file:
// it unregisters the descriptor from the engine (if the File registered
// it), closes the *os.File, and closes the engine if NewFile made it for
// this File. Requests the kernel can still cancel (a read of an empty
// pipe; on the thread pool, one no worker has taken yet) are cancelled,
// and their calls fail with os.ErrClosed; the rest run to completion
// first. Later calls, and a second Close, fail with an error that
// matches os.ErrClosed.
func (f *File) Close() error {
	old := f.refs.Or(closingBit)
	if old&closingBit != 0 {
		return &os.PathError{Op: "close", Path: f.name, Err: os.ErrClosed}
	}
	if old != 0 {
		// Every call that submits from now on sees closingBit after its
		// submission and cancels its own request (File.run): this pass
		// needs to find only those submitted before, which it can.
		f.e.Cancel(f.fd, nil)
		if f.e.roomWaiters.Load() != 0 {
			f.e.wakeRoom(-1) // calls waiting for room look at closingBit
		}
	}
	f.mu.Lock()
	for f.refs.Load() != closingBit {
		f.idle.Wait()
	}
	f.mu.Unlock()
	var first error
	if f.registered.Load() && !f.e.closed.Load() {
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

// acquire counts a call in, or fails with os.ErrClosed (as op) once Close
// has begun or the engine is closed.
func (f *File) acquire(op string) error {
	if f.refs.Add(1)&closingBit != 0 || f.e.closed.Load() {
		f.release()
		return &os.PathError{Op: op, Path: f.name, Err: os.ErrClosed}
	}
	return nil
}

// release counts a call out, and wakes Close when it was the last one.
func (f *File) release() {
	if f.refs.Add(-1) == closingBit {
		f.mu.Lock()
		f.idle.Broadcast()
		f.mu.Unlock()
	}
}

// closing reports whether Close has begun.
func (f *File) closing() bool { return f.refs.Load()&closingBit != 0 }
