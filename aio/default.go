package aio

import (
	"context"
	"sync"
	"time"
)

// The default engine behind the package-level functions, created on first
// use with automatic backend selection. It is never closed; programs and
// tests that want to control an engine's life create their own with New.
var (
	defaultOnce sync.Once
	defaultEng  *Engine
	defaultErr  error
)

// Default returns the engine the package-level functions use, creating it
// on first use. NewFile without options serves files on it too.
func Default() (*Engine, error) {
	defaultOnce.Do(func() { defaultEng, defaultErr = New() })
	return defaultEng, defaultErr
}

// The default engine for O_DIRECT Files (NewFile without options), made
// on first use and never closed: one io_uring ring with a thread of its
// own, the configuration that serves a disk best (see NewFile).
var (
	directOnce sync.Once
	directEng  *Engine
	directErr  error
)

// defaultFor returns the default engine for a File, the disk's one for
// an O_DIRECT file.
func defaultFor(direct bool) (*Engine, error) {
	if !direct {
		return Default()
	}
	directOnce.Do(func() { directEng, directErr = New(WithRings(1), WithRingThreads()) })
	return directEng, directErr
}

// Read queues r on the default engine; see Engine.Read.
func Read(r *Request) error {
	e, err := Default()
	if err != nil {
		return err
	}
	return e.Read(r)
}

// Write queues r on the default engine; see Engine.Write.
func Write(r *Request) error {
	e, err := Default()
	if err != nil {
		return err
	}
	return e.Write(r)
}

// Fsync queues r on the default engine; see Engine.Fsync.
func Fsync(op int, r *Request) error {
	e, err := Default()
	if err != nil {
		return err
	}
	return e.Fsync(op, r)
}

// Error reports r's status; see Request.Error.
func Error(r *Request) error { return r.Error() }

// Return takes r's result; see Request.Return.
func Return(r *Request) (int, error) { return r.Return() }

// Suspend waits for one request of list; see Engine.Suspend. It works on
// requests of any engine.
func Suspend(ctx context.Context, list []*Request, timeout time.Duration) error {
	return suspend(ctx, list, timeout)
}

// Cancel cancels r, or every request on fd, on the default engine; see
// Engine.Cancel.
func Cancel(fd int, r *Request) (int, error) {
	e, err := Default()
	if err != nil {
		return -1, err
	}
	return e.Cancel(fd, r)
}

// ListIO submits list on the default engine; see Engine.ListIO.
func ListIO(ctx context.Context, mode int, list []*Request, notify *Sigevent) error {
	e, err := Default()
	if err != nil {
		return err
	}
	return e.ListIO(ctx, mode, list, notify)
}
