package aio

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"
)

// A fileCall is the request of one File call that goes to the engine,
// and where its goroutine waits. It is reused from call to call: the
// completion readies the waiting goroutine with a send on done, from the
// goroutine that completed the request (SIGEV_INLINE), so a call costs
// no goroutine and no allocation. done also carries the wake-up of a
// call waiting for room under the in-flight limit (room.go).
type fileCall struct {
	r    Request
	done chan struct{} // buffered: the one send per submission or wake-up never blocks

	// The engine's list of calls waiting for room, guarded by its roomMu.
	roomNext, roomPrev *fileCall
	roomWaiting        bool
}

// maxRW bounds the bytes one request moves, as os.File bounds one
// pread(2): the kernel moves at most about 2 GiB per call anyway.
const maxRW = 1 << 30

func (f *File) readAt(ctx context.Context, p []byte, off int64) (n int, err error) {
	if off < 0 {
		return 0, &os.PathError{Op: "readat", Path: f.name, Err: errNegativeOffset}
	}
	if err := f.acquire("read"); err != nil {
		return 0, err
	}
	defer f.release()
	if ctx.Done() != nil && ctx.Err() != nil {
		return 0, ctx.Err()
	}
	for len(p) > 0 {
		m, ok := f.tryRead(p[:min(len(p), maxRW)], off)
		if !ok {
			return f.transfer(ctx, opRead, "read", p, off, n)
		}
		n += m
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
	if err := f.acquire("write"); err != nil {
		return 0, err
	}
	defer f.release()
	if ctx.Done() != nil && ctx.Err() != nil {
		return 0, ctx.Err()
	}
	for len(p) > 0 {
		m, ok := f.tryWrite(p[:min(len(p), maxRW)], off)
		if !ok {
			return f.transfer(ctx, opWrite, "write", p, off, n)
		}
		n += m
		p = p[m:]
		off += int64(m)
	}
	return n, nil
}

// transfer moves the rest of a read or write, p at off, after the done
// bytes moved already: through the engine, and again without blocking
// (tryRead, tryWrite) after each short transfer, which may find the rest
// in the page cache.
func (f *File) transfer(ctx context.Context, o op, name string, p []byte, off int64, done int) (n int, err error) {
	n = done
	var c *fileCall // taken for the first transfer that goes to the engine
	defer func() {
		if c != nil {
			f.put(c)
		}
	}()
	engine := true
	for len(p) > 0 {
		q := p[:min(len(p), maxRW)]
		var m int
		if !engine {
			if o == opRead {
				m, engine = f.tryRead(q, off)
			} else {
				m, engine = f.tryWrite(q, off)
			}
			engine = !engine
		}
		if engine {
			if m, err = f.engine(ctx, &c, o, name, q, off); err != nil {
				return n + m, err
			}
		}
		n += m
		switch {
		case m == 0 && o == opRead:
			return n, io.EOF
		case m == 0:
			// os.File's answer to a write that moves nothing.
			return n, &os.PathError{Op: name, Path: f.name, Err: io.ErrUnexpectedEOF}
		}
		p = p[m:]
		off += int64(m)
		engine = false
	}
	return n, nil
}

func (f *File) sync(name string, o op) error {
	if err := f.acquire(name); err != nil {
		return err
	}
	defer f.release()
	var c *fileCall
	_, err := f.engine(context.Background(), &c, o, name, nil, 0)
	if c != nil {
		f.put(c)
	}
	return err
}

// engine moves p at off as o through the engine: on the caller's
// goroutine in a borrowed worker's place where f.pool lends one
// (runHere), else as the request of *c (run), taking a call from the free
// list into *c first if it is nil. A File that Close has begun to close,
// or a ctx that has ended, goes to run, which answers them.
func (f *File) engine(ctx context.Context, c **fileCall, o op, name string, p []byte, off int64) (int, error) {
	if f.pool != nil && (o == opRead || o == opWrite || f.poolSyncs) && !f.closing() &&
		(ctx.Done() == nil || ctx.Err() == nil) && f.pool.borrow() {
		if f.e.reserve(1) == nil {
			return f.runHere(ctx, o, name, p, off)
		}
		f.pool.giveBack()
	}
	if *c == nil {
		*c = f.get()
	}
	return f.run(ctx, *c, o, name, p, off)
}

// get takes a call from the free list, or makes one. The first call of
// a File on io_uring registers its descriptor.
func (f *File) get() *fileCall {
	if f.mayRegister && !f.regTried.Load() && f.regTried.CompareAndSwap(false, true) {
		// A full table (ENFILE), or fd registered by its owner already
		// (EEXIST, then its requests use that slot), leaves requests
		// naming the descriptor: slower, equally correct.
		f.registered.Store(f.e.RegisterFile(f.fd) == nil)
	}
	f.mu.Lock()
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
		c.r.readies = true
	}
	return c
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
	f.mu.Unlock()
}

// wake is c's completion notification (SIGEV_INLINE): it readies the
// goroutine waiting in run.
func (c *fileCall) wake(*Request) { c.done <- struct{}{} }

// run submits c's request as o on p at off, waits for its completion and
// takes its result: the byte count, or the error as an *os.PathError with
// op name. When the engine's in-flight limit is reached it waits for a
// place (SPEC C20). When ctx ends first it cancels the request, still
// waits for its completion (until then the kernel may write into p), and
// returns the count with ctx.Err(), or with no error when the whole of p
// was transferred all the same.
func (f *File) run(ctx context.Context, c *fileCall, o op, name string, p []byte, off int64) (int, error) {
	stop := ctx.Done() // nil for a context that never ends
	if stop != nil && ctx.Err() != nil {
		return 0, ctx.Err()
	}
	c.r.Offset, c.r.Buf = off, p
	for {
		err := f.e.submitChecked(&c.r, o, false, nil)
		if err == nil {
			break
		}
		switch {
		case err == syscall.EAGAIN:
			// The engine's in-flight limit (WithMaxInFlight) is reached:
			// wait for a completion to give a place back.
			if f.closing() {
				return 0, &os.PathError{Op: name, Path: f.name, Err: os.ErrClosed}
			}
			if !f.e.waitRoom(c, stop, f) {
				return 0, ctx.Err()
			}
			continue
		case errors.Is(err, ErrClosed):
			err = os.ErrClosed
		}
		return 0, &os.PathError{Op: name, Path: f.name, Err: err}
	}
	if f.closing() {
		// Close may have looked for this File's requests before this one
		// reached the backend; now that it has, it can be cancelled.
		f.e.Cancel(f.fd, &c.r)
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

// runHere makes the system call of a call for the engine on the caller's
// goroutine, in a worker's place that it borrowed from f.pool and a place
// it reserved under the engine's in-flight limit (so that the limit,
// InFlight and the engine's Close count it as a request), and gives both
// back. It makes the call again when a signal interrupted it before
// anything moved, as a worker does (perform). Its result is run's: the
// byte count, or the error as an *os.PathError, or ctx's error when ctx
// ended before the whole of p was transferred. The call itself is not
// stopped when ctx ends, as a worker's read or write of a regular file
// is not.
func (f *File) runHere(ctx context.Context, o op, name string, p []byte, off int64) (int, error) {
	n, err := opCall(o, f.fd, p, off)
	for err == syscall.EINTR {
		n, err = opCall(o, f.fd, p, off)
	}
	f.pool.giveBack()
	f.e.release(1)
	switch {
	case ctx.Done() != nil && ctx.Err() != nil && (err != nil || n < len(p)):
		return max(n, 0), ctx.Err()
	case err != nil:
		return 0, &os.PathError{Op: name, Path: f.name, Err: err}
	}
	return n, nil
}
