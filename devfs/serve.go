package devfs

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"bazil.org/fuse"
)

// A server answers the requests of one FUSE connection for an FS.
//
// Requests are handled where they are read: a worker goroutine reads a
// request from /dev/fuse, handles it and answers, then reads the next.
// A handler that sleeps in the driver (a read on an empty device) keeps
// its worker, so the pool grows: whenever the last idle worker takes a
// request, a new one starts reading. Workers beyond maxIdle that finish
// a request leave. Compared with a goroutine per request this saves a
// thread hand-off and an allocation per request, which is most of the
// cost of a small request.
type server struct {
	fs   *FS
	conn *fuse.Conn

	// idle counts workers that are reading, or about to read, a
	// request. It never stays 0 while the connection lives.
	idle    atomic.Int32
	workers sync.WaitGroup

	// mu guards handles, nextHandle, calls and gone.
	mu         sync.Mutex
	handles    map[fuse.HandleID]any // *handle, *dataHandle
	nextHandle fuse.HandleID
	calls      map[fuse.RequestID]context.CancelFunc // requests an interrupt can cancel
	gone       bool                                  // the connection has ended: new calls start cancelled

	errOnce sync.Once
	err     error // the first error that stopped serving
}

// maxIdle bounds the workers kept waiting for requests.
const maxIdle = 2

// readBufs recycles read buffers: one FUSE read asks for at most 128 KiB.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 128<<10); return &b }}

func newServer(fsys *FS, conn *fuse.Conn) *server {
	return &server{
		fs:         fsys,
		conn:       conn,
		handles:    map[fuse.HandleID]any{},
		nextHandle: 1,
		calls:      map[fuse.RequestID]context.CancelFunc{},
	}
}

// serve answers requests until the connection ends (unmount, abort) and
// every handler has returned. It reports nil for an unmount.
func (s *server) serve() error {
	s.spawn()
	s.workers.Wait()
	return s.err
}

// releaseAll releases the files the kernel never released because the
// connection ended first (an abort, a killed client during unmount), so
// their model files close and their poll tables leave the wait queues.
func (s *server) releaseAll() {
	s.mu.Lock()
	hs := s.handles
	s.handles = map[fuse.HandleID]any{}
	s.mu.Unlock()
	for _, h := range hs {
		if h, ok := h.(*handle); ok {
			h.release()
		}
	}
}

func (s *server) spawn() {
	s.idle.Add(1)
	s.workers.Add(1)
	go s.worker()
}

func (s *server) worker() {
	defer s.workers.Done()
	for {
		req, err := s.conn.ReadRequest()
		if s.idle.Add(-1) == 0 && err == nil {
			s.spawn() // keep one worker reading while this one handles
		}
		if err != nil {
			if retryRead(err) {
				s.idle.Add(1)
				continue
			}
			if err != io.EOF {
				s.errOnce.Do(func() { s.err = err })
			}
			// The connection is gone (unmounted, aborted): no answer
			// can reach anyone, so calls still asleep in a driver are
			// cancelled instead of waiting for an interrupt that will
			// never come.
			s.cancelCalls()
			return
		}
		s.handle(req)
		// A handler that woke another goroutine (a reader sleeping in
		// the driver) left it on this P; let it run before this worker
		// sleeps in read(2), which keeps the P for a while.
		runtime.Gosched()
		if s.idle.Load() >= maxIdle {
			return
		}
		s.idle.Add(1)
	}
}

// retryRead reports whether a failed read of /dev/fuse may simply be
// repeated: a signal (EINTR), a request interrupted or aborted while it
// was being read (ENOENT, as libfuse treats it), or a message bazil could
// not parse, which it has already dropped.
func retryRead(err error) bool {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno == syscall.EINTR || errno == syscall.EAGAIN || errno == syscall.ENOENT
	}
	return err != io.EOF
}

// handle answers one request. Every request is answered (or, for those
// without answers, released) exactly once, which returns its buffer.
func (s *server) handle(req fuse.Request) {
	switch r := req.(type) {
	case *fuse.ReadRequest:
		s.read(r)
	case *fuse.WriteRequest:
		s.write(r)
	case *fuse.PollRequest:
		s.poll(r)
	case *fuse.InterruptRequest:
		s.interrupt(r)
	case *fuse.OpenRequest:
		s.open(r)
	case *fuse.ReleaseRequest:
		s.release(r)
	case *fuse.FlushRequest:
		r.Respond()
	case *fuse.LookupRequest:
		s.lookupReq(r)
	case *fuse.GetattrRequest:
		s.getattr(r)
	case *fuse.SetattrRequest:
		s.setattr(r)
	case *fuse.AccessRequest:
		r.Respond()
	case *fuse.StatfsRequest:
		r.Respond(&fuse.StatfsResponse{Bsize: 4096, Frsize: 4096, Namelen: 255})
	case *fuse.ForgetRequest:
		r.Respond() // node ids are never reused: nothing to forget
	case *fuse.BatchForgetRequest:
		r.Respond()
	case *fuse.DestroyRequest:
		r.Respond()
	case *fuse.FsyncRequest:
		r.RespondError(syscall.EINVAL) // nothing to flush on a stream, as for a pipe
	case *fuse.GetxattrRequest, *fuse.ListxattrRequest:
		r.RespondError(syscall.ENOTSUP) // no extended attributes at all
	default:
		refuse(r)
	}
}

// refuse answers the requests that would change the tree or a file's
// metadata (EPERM: the names are the kernel's device table), and ENOSYS
// for what FUSE lets a server leave out (locks, fallocate, lseek ...),
// which makes the kernel fall back to its own behaviour.
func refuse(r fuse.Request) {
	switch r.(type) {
	case *fuse.CreateRequest, *fuse.MkdirRequest, *fuse.MknodRequest, *fuse.RemoveRequest,
		*fuse.RenameRequest, *fuse.LinkRequest, *fuse.SymlinkRequest,
		*fuse.SetxattrRequest, *fuse.RemovexattrRequest:
		r.RespondError(syscall.EPERM)
	case *fuse.ReadlinkRequest:
		r.RespondError(syscall.EINVAL) // nothing here is a symbolic link
	default:
		r.RespondError(syscall.ENOSYS)
	}
}

// newCall gives a request that may sleep a context its interrupt cancels.
// The returned function must be called when the request is answered.
func (s *server) newCall(id fuse.RequestID) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	s.calls[id] = cancel
	if s.gone {
		cancel()
	}
	s.mu.Unlock()
	return ctx, func() {
		s.mu.Lock()
		delete(s.calls, id)
		s.mu.Unlock()
		cancel()
	}
}

// cancelCalls cancels every request that may still be asleep.
func (s *server) cancelCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gone = true
	for _, cancel := range s.calls {
		cancel()
	}
}

// interrupt cancels the interrupted request's context (the client sees
// EINTR). An interrupt can overtake its request, which another worker
// may not have registered yet, or name a request that needs no
// cancelling: it is answered EAGAIN, and the kernel sends it again while
// the request is still pending, as the FUSE protocol provides.
func (s *server) interrupt(r *fuse.InterruptRequest) {
	s.mu.Lock()
	cancel, ok := s.calls[r.IntrID]
	s.mu.Unlock()
	if !ok {
		r.RespondError(syscall.EAGAIN)
		return
	}
	cancel()
	r.Respond()
}

// addHandle registers h and returns its id.
func (s *server) addHandle(h any) fuse.HandleID {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextHandle
	s.nextHandle++
	s.handles[id] = h
	return id
}

// getHandle returns the handle with id, or nil.
func (s *server) getHandle(id fuse.HandleID) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handles[id]
}

// dropHandle removes the handle with id and returns it, or nil.
func (s *server) dropHandle(id fuse.HandleID) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.handles[id]
	delete(s.handles, id)
	return h
}

// notify fires a FUSE poll wake-up. Model wait queues call it without
// their locks held; it costs one write to /dev/fuse. An error means the
// kernel has forgotten the file or the connection is gone: nobody is left
// to wake.
func (s *server) notify(w fuse.PollWakeup) {
	_ = s.conn.NotifyPollWakeup(w)
}

// A dataHandle is an open directory or status file: a snapshot taken at
// open, served by offset, so small reads see one consistent text.
type dataHandle struct{ data []byte }

func (h *dataHandle) read(r *fuse.ReadRequest) {
	var data []byte
	if r.Offset >= 0 && r.Offset < int64(len(h.data)) {
		data = h.data[r.Offset:]
	}
	if len(data) > r.Size {
		data = data[:r.Size]
	}
	r.Respond(&fuse.ReadResponse{Data: data})
}
