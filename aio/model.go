package aio

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"

	"github.com/fasync-go/fasync/kernel"
)

// AIO on model devices (SPEC C13). An engine created WithTask(t) serves
// the descriptors of model task t: its requests are reads and writes of
// the task's open files, through the same API as on real files. A driver
// may implement AsyncReader and AsyncWriter (the kiocb idea: it starts the
// transfer and completes it later, holding no goroutine); otherwise the
// engine runs the driver's synchronous Read or Write through t.Read or
// t.Write on a worker goroutine, as the kernel's AIO punts a synchronous
// file to a worker thread.

// EIOCBQUEUED, returned by AioRead or AioWrite, says the driver has queued
// the operation and will report it with Kiocb.Complete (Linux's
// kernel-internal value).
const EIOCBQUEUED = syscall.Errno(529)

// AsyncReader is implemented by model drivers that read asynchronously.
// AioRead starts a read of len(k.Buf) bytes from k.File and must not
// sleep. It either returns the result at once (a byte count, or an error)
// and never calls k.Complete, or returns EIOCBQUEUED and later calls
// k.Complete exactly once, from any goroutine. A driver that can stop a
// queued read registers how with k.SetCancel. Without AsyncReader, AIO
// reads use the driver's Reader on a worker goroutine.
type AsyncReader interface {
	AioRead(k *Kiocb) (int, error)
}

// AsyncWriter is AsyncReader's counterpart for writes of k.Buf.
type AsyncWriter interface {
	AioWrite(k *Kiocb) (int, error)
}

// A Kiocb is one asynchronous read or write handed to a model driver:
// Linux's struct kiocb.
type Kiocb struct {
	File *kernel.File
	Buf  []byte // to fill (read) or to send (write)
	Pos  int64  // the request's offset; stream devices ignore it

	r    *Request
	done doneFunc

	mu        sync.Mutex
	cancelFn  func() error
	completed bool
}

// Complete reports the result of a queued operation (ki_complete): n
// bytes, or err. A positive n is a (possibly short) success even with an
// error, as read(2) reports a partial transfer. Calls after the first are
// ignored.
func (k *Kiocb) Complete(n int, err error) {
	k.mu.Lock()
	if k.completed {
		k.mu.Unlock()
		return
	}
	k.completed = true
	k.mu.Unlock()
	n, errno := result(n, err, nil)
	k.done(k.r, n, errno)
}

// SetCancel registers how to stop the queued operation
// (kiocb_set_cancel_fn). fn returns nil when the operation will complete
// with ECANCELED — the driver calls Complete(0, syscall.ECANCELED), from
// fn itself or later — and an error when it can no longer be stopped.
func (k *Kiocb) SetCancel(fn func() error) {
	k.mu.Lock()
	k.cancelFn = fn
	k.mu.Unlock()
}

// cancel asks the driver to stop k and reports whether it will complete
// with ECANCELED.
func (k *Kiocb) cancel() bool {
	k.mu.Lock()
	fn, completed := k.cancelFn, k.completed
	k.mu.Unlock()
	return !completed && fn != nil && fn() == nil
}

// result turns a driver's or task's (n, err) into a request's result. A
// call ended by the request's own context was cancelled.
func result(n int, err error, ctx context.Context) (int, syscall.Errno) {
	switch {
	case n > 0 || err == nil:
		return max(n, 0), 0
	case ctx != nil && ctx.Err() != nil && errors.Is(err, context.Canceled):
		return 0, syscall.ECANCELED
	}
	return 0, errnoOf(err)
}

// WithTask binds the engine to model task t: a Request's Fd is then one of
// t's descriptors, reads and writes go to the device's driver (SPEC C13),
// and the backend is the model's (WithBackend may only name "model").
// Model devices are streams: the offset is ignored. Fsync completes with
// EINVAL, as fsync(2) on a device without an fsync operation does.
func WithTask(t *kernel.Task) Option {
	return func(c *config) error {
		if t == nil {
			return fmt.Errorf("aio: nil task: %w", syscall.EINVAL)
		}
		c.task = t
		return nil
	}
}

// taskFds is a model task's descriptor table.
type taskFds struct{ t *kernel.Task }

func (s taskFds) isOpen(fd int) bool {
	_, err := s.t.File(fd)
	return err == nil
}

func (s taskFds) appends(fd int) bool {
	f, err := s.t.File(fd)
	return err == nil && f.Flags()&kernel.O_APPEND != 0
}

// modelBackend performs requests on a model task's files: directly through
// a driver's AsyncReader or AsyncWriter, else on a worker pool calling the
// task's Read and Write.
type modelBackend struct {
	task *kernel.Task
	done doneFunc
	pool *threadBackend
	// mu orders start's and cancel's access to r.bk (see backend.go:
	// cancel may run beside start) and to each modelOp's running flag.
	mu sync.Mutex
}

// A modelOp is the backend's state for one submission of a request (r.bk).
type modelOp struct {
	kiocb    *Kiocb             // the driver's, on the asynchronous path
	ctx      context.Context    // the synchronous call's; stop cancels it
	stop     context.CancelFunc //
	running  bool               // a worker has begun the synchronous call
	errno    syscall.Errno      // result of the synchronous path, set before finished closes
	finished chan struct{}      // closed once done was called on the synchronous path
}

func newModelBackend(t *kernel.Task, cfg backendConfig, done doneFunc) *modelBackend {
	b := &modelBackend{task: t, done: done}
	b.pool = newPool(cfg, b.syncDone, b.runSync)
	return b
}

func (b *modelBackend) name() string { return "model" }

func (b *modelBackend) start(batch []*Request) error {
	var sync []*Request
	for _, r := range batch {
		op := &modelOp{finished: make(chan struct{})}
		b.mu.Lock()
		r.bk = op
		b.mu.Unlock()
		if b.startAsync(r, op) {
			continue
		}
		op.ctx, op.stop = context.WithCancel(context.Background())
		sync = append(sync, r)
	}
	if len(sync) == 0 {
		return nil
	}
	if err := b.pool.start(sync); err != nil {
		for _, r := range sync {
			b.syncDone(r, 0, errnoOf(err))
		}
	}
	return nil
}

// startAsync hands r to its driver's AsyncReader or AsyncWriter, if the
// driver has the one r needs and the file's access mode allows it, and
// reports whether it did. Otherwise the synchronous path runs r, and the
// task reports a bad descriptor or access mode as it would for read(2).
func (b *modelBackend) startAsync(r *Request, op *modelOp) bool {
	f, err := b.task.File(r.fd)
	if err != nil {
		return false
	}
	var aio func(*Kiocb) (int, error)
	switch drv := f.Driver(); {
	case r.op == opRead && f.Readable():
		if ar, ok := drv.(AsyncReader); ok {
			aio = ar.AioRead
		}
	case r.op == opWrite && f.Writable():
		if aw, ok := drv.(AsyncWriter); ok {
			aio = aw.AioWrite
		}
	}
	if aio == nil {
		return false
	}
	k := &Kiocb{File: f, Buf: r.buf, Pos: r.off, r: r, done: b.done}
	b.mu.Lock()
	op.kiocb = k
	b.mu.Unlock()
	n, err := aio(k)
	if !errors.Is(err, EIOCBQUEUED) {
		k.Complete(n, err)
	}
	return true
}

// runSync performs r on a worker through the task, as read(2), write(2)
// or fsync(2) would.
func (b *modelBackend) runSync(r *Request) (int, syscall.Errno) {
	b.mu.Lock()
	op := r.bk.(*modelOp)
	op.running = true
	b.mu.Unlock()
	var n int
	var err error
	switch r.op {
	case opRead:
		n, err = b.task.Read(op.ctx, r.fd, r.buf)
	case opWrite:
		n, err = b.task.Write(op.ctx, r.fd, r.buf)
	case opFsync, opFdatasync:
		if _, err = b.task.File(r.fd); err == nil {
			err = syscall.EINVAL // model drivers have no fsync operation
		}
	}
	return result(n, err, op.ctx)
}

// syncDone reports a request of the synchronous path (run, or cancelled
// in the pool's queue), then lets a Cancel waiting on it go on.
func (b *modelBackend) syncDone(r *Request, n int, errno syscall.Errno) {
	op := r.bk.(*modelOp) // before done: afterwards r may start a new life
	op.stop()
	op.errno = errno
	b.done(r, n, errno)
	close(op.finished)
}

// cancel stops r: in the pool's queue, through the driver's cancel
// function, or, when a worker is in the task's call, by cancelling the
// call's context and waiting for the call to return — model drivers give
// up promptly when their context ends. It reports true when r completed
// with ECANCELED.
func (b *modelBackend) cancel(r *Request) bool {
	if b.pool.cancel(r) {
		return true
	}
	b.mu.Lock()
	op, _ := r.bk.(*modelOp)
	var k *Kiocb
	running := false
	if op != nil {
		k, running = op.kiocb, op.running
	}
	b.mu.Unlock()
	switch {
	case op == nil:
		return false
	case k != nil:
		return k.cancel()
	case !running:
		return false // between start and a worker: let it run
	}
	op.stop()
	<-op.finished
	return op.errno == syscall.ECANCELED
}

func (b *modelBackend) close() error { return b.pool.close() }
