package devfs

import (
	"context"
	"errors"
	"sync"
	"syscall"

	"github.com/fasync-go/fasync/internal/fuseraw"
	"github.com/fasync-go/fasync/kernel"
)

// A server answers the requests of one FUSE connection for an FS. It is
// the connection's fuseraw.Handler.
//
// Handle runs on fuseraw's transport goroutines (a /dev/fuse reader, or
// a CPU's io_uring queue thread) and must never sleep there. A device
// read or write is first tried in place with RWF_NOWAIT (the fast path:
// data or room is there, the answer goes at once); only a call that
// would sleep is handed to a goroutine of its own, which makes the
// blocking call with a context the request's INTERRUPT cancels and
// answers when the driver returns (deferCall). Opens, whose driver
// method may sleep, always go that way.
type server struct {
	fs *FS

	// mu guards handles, nextHandle, calls, early and gone.
	mu         sync.Mutex
	handles    map[uint64]any // *handle, *statusHandle, *dirHandle
	nextHandle uint64
	// calls are the deferred requests an INTERRUPT may cancel, by the
	// request's unique: the function cancels the call's context or
	// withdraws its kiocb. It is called without mu held (a withdrawn
	// kiocb completes, and its answer untracks itself, at once).
	calls map[uint64]func()
	// early holds INTERRUPTs that found no deferred request: on io_uring
	// an INTERRUPT travels through /dev/fuse and can overtake its
	// request, which then starts cancelled. Uniques are never reused,
	// so a stale entry (an INTERRUPT for a request answered at once)
	// harms nothing; the set is cleared when it grows past maxEarly.
	early map[uint64]struct{}
	gone  bool // the connection has ended: no call may start
	// deferred counts the requests in calls (goroutines of deferCall,
	// queued kiocbs); shutdown waits for them.
	deferred sync.WaitGroup
}

// maxEarly bounds the set of INTERRUPTs that came before their request.
const maxEarly = 1024

func newServer(fsys *FS) *server {
	return &server{
		fs:         fsys,
		handles:    map[uint64]any{},
		nextHandle: 1,
		calls:      map[uint64]func(){},
		early:      map[uint64]struct{}{},
	}
}

// Handle answers one request (fuseraw.Handler). Device I/O comes first:
// it is nearly all the traffic.
func (s *server) Handle(r *fuseraw.Request) {
	switch r.Header.Opcode {
	case fuseraw.FUSE_READ:
		s.read(r)
	case fuseraw.FUSE_WRITE:
		s.write(r)
	case fuseraw.FUSE_POLL:
		s.poll(r)
	case fuseraw.FUSE_IOCTL:
		s.ioctl(r) // ioctl.go
	case fuseraw.FUSE_INTERRUPT:
		s.interrupt(r.Interrupt.Unique)
	case fuseraw.FUSE_OPEN:
		s.open(r)
	case fuseraw.FUSE_RELEASE, fuseraw.FUSE_RELEASEDIR:
		s.release(r)
	case fuseraw.FUSE_LOOKUP:
		s.lookup(r)
	case fuseraw.FUSE_GETATTR:
		s.getattr(r)
	case fuseraw.FUSE_SETATTR:
		s.setattr(r)
	case fuseraw.FUSE_OPENDIR:
		s.opendir(r)
	case fuseraw.FUSE_READDIR:
		s.readdir(r)
	case fuseraw.FUSE_FLUSH, fuseraw.FUSE_ACCESS:
		r.ReplyErr(0) // nothing buffered; the mount does not check permissions
	case fuseraw.FUSE_GETXATTR:
		s.getxattr(r)
	case fuseraw.FUSE_LISTXATTR:
		s.listxattr(r)
	case fuseraw.FUSE_STATFS:
		r.ReplyStatfs(&fuseraw.Kstatfs{Bsize: 4096, Frsize: 4096, Namelen: 255})
	case fuseraw.FUSE_FORGET, fuseraw.FUSE_BATCH_FORGET:
		// Node ids are never reused: nothing to forget.
	default:
		refuse(r)
	}
}

// refuse answers the requests that would change the tree or a file's
// extended attributes (EPERM: the names are the kernel's device table),
// fsync (EINVAL: nothing to flush on a stream, as for a pipe), readlink
// (EINVAL: no symbolic links here), and ENOSYS for anything else fuseraw hands over.
func refuse(r *fuseraw.Request) {
	switch r.Header.Opcode {
	case fuseraw.FUSE_CREATE, fuseraw.FUSE_MKDIR, fuseraw.FUSE_MKNOD, fuseraw.FUSE_UNLINK,
		fuseraw.FUSE_RMDIR, fuseraw.FUSE_RENAME, fuseraw.FUSE_RENAME2, fuseraw.FUSE_LINK,
		fuseraw.FUSE_SYMLINK, fuseraw.FUSE_SETXATTR, fuseraw.FUSE_REMOVEXATTR:
		r.ReplyErr(syscall.EPERM)
	case fuseraw.FUSE_FSYNC, fuseraw.FUSE_FSYNCDIR, fuseraw.FUSE_READLINK:
		r.ReplyErr(syscall.EINVAL)
	default:
		r.ReplyErr(syscall.ENOSYS)
	}
}

// deferCall runs op, a call that may sleep, on a goroutine of its own
// with a context that an INTERRUPT of the request cancels. op answers
// the request itself. After the connection has ended nothing starts:
// the request is answered ENOTCONN (nobody will read it).
func (s *server) deferCall(r *fuseraw.Request, op func(ctx context.Context)) {
	unique := r.Header.Unique
	ctx, cancel := context.WithCancel(context.Background())
	if !s.track(unique, cancel) {
		cancel()
		r.ReplyErr(syscall.ENOTCONN)
		return
	}
	go s.runDeferred(ctx, cancel, unique, op)
}

// runDeferred runs op, the call of the tracked request unique, with ctx;
// then it forgets the request and releases ctx (cancel).
func (s *server) runDeferred(ctx context.Context, cancel context.CancelFunc, unique uint64, op func(ctx context.Context)) {
	defer s.deferred.Done()
	op(ctx)
	s.untrack(unique)
	cancel()
}

// track registers cancel as what an INTERRUPT of request unique does,
// and counts one more deferred request (untrack counts it off). It
// reports false, registering nothing, once the connection has ended. An
// INTERRUPT that came first is acted on now.
func (s *server) track(unique uint64, cancel func()) bool {
	s.mu.Lock()
	if s.gone {
		s.mu.Unlock()
		return false
	}
	_, early := s.early[unique]
	delete(s.early, unique)
	s.calls[unique] = cancel
	s.deferred.Add(1)
	s.mu.Unlock()
	if early {
		cancel()
	}
	return true
}

// untrack forgets request unique once it is answered or about to be.
func (s *server) untrack(unique uint64) {
	s.mu.Lock()
	delete(s.calls, unique)
	s.mu.Unlock()
}

// interrupt cancels the deferred request unique (its client sees EINTR).
// An INTERRUPT that finds none is kept in case its request is still on
// its way to track. INTERRUPT takes no answer.
func (s *server) interrupt(unique uint64) {
	s.mu.Lock()
	cancel, ok := s.calls[unique]
	if !ok {
		if len(s.early) >= maxEarly {
			clear(s.early)
		}
		s.early[unique] = struct{}{}
	}
	s.mu.Unlock()
	if ok {
		cancel()
	}
}

// shutdown runs once serving has ended (unmount, abort): calls still
// asleep in a driver are cancelled, since no interrupt will ever come
// for them; the files the kernel never released are released; and it
// returns once every deferred goroutine has finished.
func (s *server) shutdown() {
	s.mu.Lock()
	s.gone = true
	cancels := make([]func(), 0, len(s.calls))
	for _, cancel := range s.calls {
		cancels = append(cancels, cancel)
	}
	hs := s.handles
	s.handles = map[uint64]any{}
	s.mu.Unlock()
	for _, cancel := range cancels {
		cancel()
	}
	for _, h := range hs {
		if h, ok := h.(*handle); ok {
			h.release()
		}
	}
	s.deferred.Wait()
}

// addHandle registers h and returns its id.
func (s *server) addHandle(h any) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextHandle
	s.nextHandle++
	s.handles[id] = h
	return id
}

// getHandle returns the handle with id, or nil.
func (s *server) getHandle(id uint64) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handles[id]
}

// dropHandle removes the handle with id and returns it, or nil.
func (s *server) dropHandle(id uint64) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.handles[id]
	delete(s.handles, id)
	return h
}

// errno turns a model error into the errno a client should see. A
// cancelled context or kiocb (ECANCELED) is the FUSE interrupt: EINTR. ERESTARTSYS never
// escapes the model's Task methods, but if it did the client could only
// see EINTR: FUSE cannot restart a call.
func errno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, kernel.ERESTARTSYS) || errors.Is(err, syscall.ECANCELED) {
		return syscall.EINTR
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return syscall.EIO
}
