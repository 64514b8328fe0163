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
// that implements kernel.AioReader or kernel.AioWriter gets the request as
// a kernel.Kiocb (Task.AioRead, Task.AioWrite) and completes it later,
// holding no goroutine; otherwise the engine runs the driver's
// synchronous Read or Write through t.Read or t.Write on a worker
// goroutine, as the kernel's AIO punts a synchronous file to a worker
// thread.

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
// Model devices are streams: the offset is ignored. Fsync fails at
// submission with EINVAL, since no model driver has an fsync operation.
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

// syncable: model drivers have no fsync operation, so a descriptor open
// for writing is EINVAL, as for a pipe on the host (SPEC C14).
func (s taskFds) syncable(fd int) error {
	if f, err := s.t.File(fd); err != nil || !f.Writable() {
		return syscall.EBADF
	}
	return syscall.EINVAL
}

func (s taskFds) appends(fd int) bool {
	f, err := s.t.File(fd)
	return err == nil && f.Flags()&kernel.O_APPEND != 0
}

// modelBackend performs requests on a model task's files: as kiocbs of a
// driver's kernel.AioReader or kernel.AioWriter, else on a worker pool
// calling the task's Read and Write.
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
	kiocb    *kernel.Kiocb      // the driver's, on the asynchronous path
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

// startAsync submits r to its driver as a kiocb and reports whether it
// did: then the driver, or the kernel for a submission that failed,
// reports r. It reports false when the driver has no asynchronous
// operation for r (EOPNOTSUPP), and the synchronous path runs r.
func (b *modelBackend) startAsync(r *Request, op *modelOp) bool {
	if r.op != opRead && r.op != opWrite {
		return false
	}
	iocb := kernel.NewKiocb(r.buf, r.off, func(n int, err error) {
		n, errno := result(n, err, nil)
		b.done(r, n, errno)
	})
	// Visible to cancel before the driver can queue it.
	b.mu.Lock()
	op.kiocb = iocb
	b.mu.Unlock()
	var err error
	if r.op == opRead {
		err = b.task.AioRead(r.fd, iocb)
	} else {
		err = b.task.AioWrite(r.fd, iocb)
	}
	switch {
	case err == nil:
		return true
	case errors.Is(err, kernel.EOPNOTSUPP):
		b.mu.Lock()
		op.kiocb = nil
		b.mu.Unlock()
		return false
	}
	b.done(r, 0, errnoOf(err)) // EBADF: a bad or wrong-mode descriptor, as read(2)
	return true
}

// runSync performs r on a worker through the task, as read(2) or
// write(2) would.
func (b *modelBackend) runSync(r *Request, _ *workerSlot) (int, syscall.Errno) {
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
	default:
		err = syscall.EINVAL // an fsync: refused at submission (taskFds.syncable)
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
	var k *kernel.Kiocb
	running := false
	if op != nil {
		k, running = op.kiocb, op.running
	}
	b.mu.Unlock()
	switch {
	case op == nil:
		return false
	case k != nil:
		return k.Cancel() == nil
	case !running:
		return false // between start and a worker: let it run
	}
	op.stop()
	<-op.finished
	return op.errno == syscall.ECANCELED
}

func (b *modelBackend) close() error { return b.pool.close() }
