package devfs

import (
	"context"
	"errors"
	"sync"
	"syscall"

	"bazil.org/fuse"

	"github.com/fasync-go/fasync/kernel"
)

// openStream is FOPEN_STREAM (include/uapi/linux/fuse.h), which bazil has
// no name for. Without it the kernel serialises read and write on a shared
// O_RDWR file through the file-position lock, so a reader sleeping in the
// driver would keep a writer from ever reaching it.
const openStream fuse.OpenResponseFlags = 1 << 4

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

	// mu guards pt and serialises flag updates (a read-modify-write of
	// the file's flags).
	mu sync.Mutex
	// pt is the poll table registered by the latest poll request that
	// asked for a wake-up. It stays registered until the next such
	// request or release, because epoll asks once and relies on every
	// later wake-up.
	pt *kernel.PollTable
}

// openDevice makes the calling process's task open the device (SPEC R3).
// The answer carries direct I/O, non-seekable and stream, so every read
// and write reaches the driver as the program issued it.
func (s *server) openDevice(r *fuse.OpenRequest, n *node) {
	ctx, done := s.newCall(r.ID)
	defer done()
	ref := s.fs.tasks.acquire(int(r.Pid))
	fd, err := ref.task.Open(ctx, n.name, int(r.Flags)&openFlagsKept)
	if err != nil {
		s.fs.tasks.release(ref)
		r.RespondError(errno(err))
		return
	}
	file, err := ref.task.File(fd)
	if err != nil { // only if the kernel is closing
		_ = ref.task.Close(fd)
		s.fs.tasks.release(ref)
		r.RespondError(errno(err))
		return
	}
	h := &handle{s: s, ref: ref, fd: fd, file: file}
	r.Respond(&fuse.OpenResponse{
		Handle: s.addHandle(h),
		Flags:  fuse.OpenDirectIO | fuse.OpenNonSeekable | openStream,
	})
}

// read passes a read to the driver (M1, M2, B3), or serves a directory or
// status snapshot. An interrupt cancels the call's context, which the
// model reports as a context error and the client sees as EINTR.
func (s *server) read(r *fuse.ReadRequest) {
	switch h := s.getHandle(r.Handle).(type) {
	case *handle:
		h.read(r)
	case *dataHandle:
		h.read(r)
	default:
		r.RespondError(syscall.EBADF)
	}
}

func (h *handle) read(r *fuse.ReadRequest) {
	if err := h.syncNonblock(r.FileFlags); err != nil {
		r.RespondError(err)
		return
	}
	ctx, done := h.s.newCall(r.ID)
	defer done()
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	size := min(r.Size, len(*bp))
	n, err := h.ref.task.Read(ctx, h.fd, (*bp)[:size])
	if n > 0 || err == nil {
		// Data moved: it must reach the client even if an error came
		// with it, or it would be lost. Respond copies it out.
		r.Respond(&fuse.ReadResponse{Data: (*bp)[:n]})
		return
	}
	r.RespondError(errno(err))
}

// write passes a write to the driver (M1, M2, B4). A short count goes back
// to the client unchanged; write(2) returns it and programs loop.
func (s *server) write(r *fuse.WriteRequest) {
	h, ok := s.getHandle(r.Handle).(*handle)
	if !ok {
		r.RespondError(syscall.EBADF)
		return
	}
	if err := h.syncNonblock(r.FileFlags); err != nil {
		r.RespondError(err)
		return
	}
	ctx, done := s.newCall(r.ID)
	defer done()
	n, err := h.ref.task.Write(ctx, h.fd, r.Data)
	if n > 0 || err == nil {
		r.Respond(&fuse.WriteResponse{Size: n})
		return
	}
	r.RespondError(errno(err))
}

// syncNonblock makes the model file's O_NONBLOCK match the real file's
// flags as this request carries them, so an fcntl(F_SETFL) made after
// open takes effect (M2). The fast path is one flags load.
func (h *handle) syncNonblock(ff fuse.OpenFlags) error {
	want := ff&fuse.OpenNonblock != 0
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
	return errno(h.file.SetFlags(fl))
}

// poll answers the driver's readiness (M3, B7). When the kernel asks for
// a wake-up, a fresh poll table is registered on the driver's wait queues
// before the mask is computed (the driver's Poll does both under its
// lock, so no wake-up falls between check and registration), and every
// wake-up of those queues becomes a FUSE poll notification. The status
// file and the directory are always ready, like any regular file.
func (s *server) poll(r *fuse.PollRequest) {
	h, ok := s.getHandle(r.Handle).(*handle)
	if !ok {
		r.Respond(&fuse.PollResponse{REvents: fuse.DefaultPollMask})
		return
	}
	w, ask := r.Wakeup()
	if !ask {
		r.Respond(&fuse.PollResponse{REvents: fuse.PollEvents(uint16(h.file.Poll(nil)))})
		return
	}
	pt := kernel.NewPollTable(func() { s.notify(w) })
	mask := h.file.Poll(pt)
	h.mu.Lock()
	old := h.pt
	h.pt = pt
	h.mu.Unlock()
	// The old table goes only after the new one is registered, so there
	// is no moment without a registration; a spare wake-up is harmless.
	old.Free()
	r.Respond(&fuse.PollResponse{REvents: fuse.PollEvents(uint16(mask))})
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
	_ = h.ref.task.Close(h.fd) // nobody to tell: close(2) returned long ago
	h.s.fs.tasks.release(h.ref)
}

// errno turns a model error into the errno a client should see. A
// cancelled context is the FUSE interrupt: EINTR. ERESTARTSYS never
// escapes the model's Task methods, but if it did the client could only
// see EINTR: FUSE cannot restart a call.
func errno(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, kernel.ERESTARTSYS) {
		return syscall.EINTR
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return syscall.EIO
}
