package devfs

import (
	"context"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/fasync-go/fasync/internal/fuseraw"
	"github.com/fasync-go/fasync/kernel"
)

// deviceOpenFlags are the FOPEN flags of a device: direct I/O and
// non-seekable, so every read and write reaches the driver as the program
// issued it, and stream (FOPEN_STREAM): without it the kernel serialises
// read and write on a shared O_RDWR file through the file-position lock,
// so a reader sleeping in the driver would keep a writer from ever
// reaching it.
const deviceOpenFlags = fuseraw.FOPEN_DIRECT_IO | fuseraw.FOPEN_NONSEEKABLE | fuseraw.FOPEN_STREAM

// openFlagsKept are the open flags a model file keeps (F_GETFL's view).
// O_ASYNC is dropped as Linux's open(2) does: FASYNC is only switched on
// through fcntl, and FUSE never forwards that.
const openFlagsKept = kernel.O_ACCMODE | kernel.O_NONBLOCK | kernel.O_APPEND

// A handle is one open file of a device: the descriptor fd of a model
// task. Requests on it always use that task, whichever real process sends
// them (a child that inherited the descriptor shares the open file
// description, as on Linux).
type handle struct {
	s    *server
	ref  *taskRef
	fd   int
	file *kernel.File

	// watch is the signal bridge's view of the file (nil without the
	// bridge).
	watch atomic.Pointer[watch]

	// mu guards pt and serialises flag updates (a read-modify-write of
	// the file's flags).
	mu sync.Mutex
	// pt is the poll table registered by the latest poll request that
	// asked for a wake-up. It stays registered until the next such
	// request or release, because epoll asks once and relies on every
	// later wake-up.
	pt *kernel.PollTable
}

// openDevice makes the calling process's task open the device (SPEC R3),
// on a goroutine of its own: a driver's Open may sleep. The open is
// interruptible like any call that sleeps.
func (s *server) openDevice(r *fuseraw.Request, n *node) {
	pid, flags := int(r.Header.PID), int(r.Open.Flags)&openFlagsKept
	s.deferCall(r, func(ctx context.Context) {
		ref := s.fs.tasks.acquire(pid)
		fd, err := ref.task.Open(ctx, n.name, flags)
		if err != nil {
			s.fs.tasks.release(ref)
			r.ReplyErr(errno(err))
			return
		}
		file, err := ref.task.File(fd)
		if err != nil { // only if the kernel is closing
			_ = ref.task.Close(fd)
			s.fs.tasks.release(ref)
			r.ReplyErr(errno(err))
			return
		}
		h := &handle{s: s, ref: ref, fd: fd, file: file}
		id := s.addHandle(h)
		if b := s.fs.bridge; b != nil {
			h.watch.Store(b.newWatch(h, id, n, ref.pid))
		}
		openFlags := uint32(deviceOpenFlags)
		if b := s.fs.bridge; b != nil {
			openFlags |= noflush
		}
		if r.ReplyOpen(id, openFlags) != nil {
			// The kernel forgot the open (interrupted, connection
			// gone): no RELEASE will come for it.
			if s.dropHandle(id) != nil {
				h.release()
			}
		}
	})
}

// read passes a read to the driver (M1, M2, B3), or serves the status
// file.
func (s *server) read(r *fuseraw.Request) {
	switch h := s.getHandle(r.Read.Fh).(type) {
	case *handle:
		h.read(r)
	case *statusHandle:
		h.read(r)
	default:
		r.ReplyErr(syscall.EBADF)
	}
}

// read tries the driver without sleeping, into the transport's reply
// area so the data is not copied again. Only when that would block, and
// the request is not O_NONBLOCK, does a goroutine make the blocking read
// (M1); an INTERRUPT cancels it and the client sees EINTR.
func (h *handle) read(r *fuseraw.Request) {
	if w := h.watch.Load(); w != nil {
		w.seen(r.Header.PID)
		w.rep.asked(kernel.POLL_IN)
	}
	nonblock := r.Read.Flags&syscall.O_NONBLOCK != 0
	if err := h.syncNonblock(nonblock); err != nil {
		r.ReplyErr(errno(err))
		return
	}
	buf := r.DataBuf(int(r.Read.Size))
	n, err := h.ref.task.ReadFlags(context.Background(), h.fd, buf, kernel.RWF_NOWAIT)
	if n == 0 && err == kernel.EAGAIN && !nonblock {
		h.queueRead(r, buf)
		return
	}
	answerRead(r, buf[:n], err)
}

// queueRead leaves a read that must wait with the driver as a kiocb
// (Task.AioRead) when the driver has AioReader: the write that brings
// data completes it, and the answer goes, on the writer's own goroutine,
// with no thread to wake in between. That hand-off is most of a round
// trip's cost otherwise, because a goroutine woken by a transport thread
// waits on that thread's P while the thread sleeps in read(2) or
// io_uring_enter. An INTERRUPT withdraws the kiocb (Kiocb.Cancel), and
// the client sees EINTR. Without AioReader the read sleeps in Task.Read
// on a goroutine, still tracked as the same request, so an INTERRUPT
// that came while AioRead was being tried cancels it.
func (h *handle) queueRead(r *fuseraw.Request, buf []byte) {
	unique := r.Header.Unique
	q := &queuedRead{}
	q.iocb = kernel.NewKiocb(buf, 0, func(n int, err error) {
		// Answered before Done, as runDeferred does: once Done lets
		// shutdown return, the transport's buffers may go.
		h.s.untrack(unique)
		answerRead(r, buf[:n], err)
		h.s.deferred.Done()
	})
	if !h.s.track(unique, q.interrupt) {
		r.ReplyErr(syscall.ENOTCONN)
		return
	}
	err := h.ref.task.AioRead(h.fd, q.iocb)
	if err == nil {
		if q.interrupted() {
			q.iocb.Cancel() // the INTERRUPT came before the driver could withdraw it
		}
		return
	}
	if err != kernel.EOPNOTSUPP {
		h.s.untrack(unique)
		answerRead(r, nil, err)
		h.s.deferred.Done()
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	if q.fallBack(cancel) {
		cancel() // interrupted already: Task.Read returns at once
	}
	go h.s.runDeferred(ctx, cancel, unique, func(ctx context.Context) {
		n, err := h.ref.task.Read(ctx, h.fd, buf)
		answerRead(r, buf[:n], err)
	})
}

// A queuedRead is a device read waiting in the driver, as a kiocb, or
// on a goroutine when the driver has no AioReader.
type queuedRead struct {
	iocb *kernel.Kiocb

	// mu guards intr and cancel: an INTERRUPT and the fall back to a
	// goroutine each see what the other did.
	mu sync.Mutex
	// intr is set by an INTERRUPT, which may come before the driver has
	// registered how to withdraw the kiocb (queueRead then tries again),
	// or before the read falls back to a goroutine.
	intr bool
	// cancel, once set, cancels the goroutine's Task.Read instead.
	cancel func()
}

// interrupt withdraws the read; its answer is EINTR.
func (q *queuedRead) interrupt() {
	q.mu.Lock()
	q.intr = true
	cancel := q.cancel
	q.mu.Unlock()
	if cancel != nil {
		cancel()
		return
	}
	q.iocb.Cancel()
}

// interrupted reports whether an INTERRUPT came.
func (q *queuedRead) interrupted() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.intr
}

// fallBack makes cancel what a later INTERRUPT calls, and reports
// whether one came already.
func (q *queuedRead) fallBack(cancel func()) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.cancel = cancel
	return q.intr
}

// answerRead answers a device read. Data that moved must reach the
// client even if an error came with it, or it would be lost.
func answerRead(r *fuseraw.Request, data []byte, err error) {
	if len(data) > 0 || err == nil {
		r.ReplyData(data)
		return
	}
	r.ReplyErr(errno(err))
}

// write passes a write to the driver (M1, M2, B4) as read does: in place
// when it need not sleep, else on a goroutine. A short count goes back
// to the client unchanged; write(2) returns it and programs loop.
func (s *server) write(r *fuseraw.Request) {
	h, ok := s.getHandle(r.Write.Fh).(*handle)
	if !ok {
		r.ReplyErr(syscall.EBADF)
		return
	}
	if w := h.watch.Load(); w != nil {
		w.seen(r.Header.PID)
		w.rep.asked(kernel.POLL_OUT)
	}
	nonblock := r.Write.Flags&syscall.O_NONBLOCK != 0
	if err := h.syncNonblock(nonblock); err != nil {
		r.ReplyErr(errno(err))
		return
	}
	data := r.Data
	n, err := h.ref.task.WriteFlags(context.Background(), h.fd, data, kernel.RWF_NOWAIT)
	if n == 0 && err == kernel.EAGAIN && !nonblock {
		s.deferCall(r, func(ctx context.Context) {
			n, err := h.ref.task.Write(ctx, h.fd, data)
			answerWrite(r, n, err)
		})
		return
	}
	answerWrite(r, n, err)
}

func answerWrite(r *fuseraw.Request, n int, err error) {
	if n > 0 || err == nil {
		r.ReplyWrite(uint32(n))
		return
	}
	r.ReplyErr(errno(err))
}

// syncNonblock makes the model file's O_NONBLOCK match the real file's
// flags as this request carries them, so an fcntl(F_SETFL) made after
// open takes effect (M2) and the driver sees what F_GETFL shows. The
// fast path is one flags load.
func (h *handle) syncNonblock(want bool) error {
	if h.file.Nonblock() == want {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	fl := h.file.Flags()
	if want {
		fl |= kernel.O_NONBLOCK
	} else {
		fl &^= kernel.O_NONBLOCK
	}
	return h.file.SetFlags(fl)
}

// defaultPollMask is what a file without a poll method reports (Linux's
// DEFAULT_POLLMASK): POLLIN|POLLOUT|POLLRDNORM|POLLWRNORM.
const defaultPollMask = kernel.POLLIN | kernel.POLLOUT | kernel.POLLRDNORM | kernel.POLLWRNORM

// poll answers the driver's readiness (M3, B7). When the kernel asks for
// a wake-up, a fresh poll table is registered on the driver's wait queues
// before the mask is computed (the driver's Poll does both under its
// lock, so no wake-up falls between check and registration), and every
// wake-up of those queues becomes a FUSE_NOTIFY_POLL for the kernel's
// handle kh, sent from the waker's goroutine. The status file and the
// directory are always ready, like any regular file.
func (s *server) poll(r *fuseraw.Request) {
	if b := s.fs.bridge; b != nil && int32(r.Header.PID) == b.tid.Load() {
		b.probeFh.Store(r.Poll.Fh) // the bridge asking which file it holds
	}
	h, ok := s.getHandle(r.Poll.Fh).(*handle)
	if !ok {
		r.ReplyPoll(uint32(defaultPollMask))
		return
	}
	if r.Poll.Flags&fuseraw.FUSE_POLL_SCHEDULE_NOTIFY == 0 {
		r.ReplyPoll(uint32(uint16(h.file.Poll(nil))))
		return
	}
	srv, kh := r.Server(), r.Poll.Kh
	// An error means the kernel has forgotten kh or the connection is
	// gone: nobody is left to wake.
	pt := kernel.NewPollTable(func() { _ = srv.NotifyPoll(kh) })
	mask := h.file.Poll(pt)
	h.mu.Lock()
	old := h.pt
	h.pt = pt
	h.mu.Unlock()
	// The old table goes only after the new one is registered, so there
	// is no moment without a registration; a spare wake-up is harmless.
	old.Free()
	r.ReplyPoll(uint32(uint16(mask)))
}

// release closes the model file once the real kernel has dropped its last
// reference (close of the last descriptor, or exit), and lets the task
// exit with its last file.
func (h *handle) release() {
	h.mu.Lock()
	pt := h.pt
	h.pt = nil
	h.mu.Unlock()
	pt.Free()
	if w := h.watch.Load(); w != nil {
		w.release()
	}
	_ = h.ref.task.Close(h.fd) // nobody to tell: close(2) returned long ago
	h.s.fs.tasks.release(h.ref)
}
