package devfs

import (
	"context"
	"errors"
	"sync"
	"syscall"

	"bazil.org/fuse"
	"bazil.org/fuse/fs"

	"github.com/fasync-go/fasync/kernel"
)

// openStream is FOPEN_STREAM (include/uapi/linux/fuse.h), which bazil has
// no name for. Without it the kernel serialises read and write on a shared
// O_RDWR file through the file-position lock, so a reader blocked in the
// driver would keep a writer from ever reaching it.
const openStream fuse.OpenResponseFlags = 1 << 4

// openFlagsKept are the open flags a model file keeps (F_GETFL's view).
// O_ASYNC is dropped as Linux's open(2) does: FASYNC is only switched on
// through fcntl, and FUSE never forwards that.
const openFlagsKept = kernel.O_ACCMODE | kernel.O_NONBLOCK | kernel.O_APPEND

// deviceNode is the file of one model device.
type deviceNode struct {
	fs   *FS
	name string
}

var (
	_ fs.Node              = (*deviceNode)(nil)
	_ fs.NodeOpener        = (*deviceNode)(nil)
	_ fs.NodeSetattrer     = (*deviceNode)(nil)
	_ fs.NodeFsyncer       = (*deviceNode)(nil)
	_ fs.NodeSetxattrer    = (*deviceNode)(nil)
	_ fs.NodeRemovexattrer = (*deviceNode)(nil)
)

// Attr reports an empty regular file. Size 0 is honest for a stream, and
// direct I/O makes the kernel ask the server anyway.
func (n *deviceNode) Attr(ctx context.Context, a *fuse.Attr) error {
	a.Mode = n.fs.opts.DeviceMode.Perm()
	a.Nlink = 1
	a.Atime, a.Mtime, a.Ctime = n.fs.start, n.fs.start, n.fs.start
	return nil
}

// Open makes the calling process's task open the device (SPEC R3): the
// answer carries direct I/O, non-seekable and stream so every read and
// write reaches the driver as the program issued it.
func (n *deviceNode) Open(ctx context.Context, req *fuse.OpenRequest, resp *fuse.OpenResponse) (fs.Handle, error) {
	ref := n.fs.tasks.acquire(int(req.Pid))
	fd, err := ref.task.Open(ctx, n.name, int(req.Flags)&openFlagsKept)
	if err != nil {
		n.fs.tasks.release(ref)
		return nil, errno(err)
	}
	file, err := ref.task.File(fd)
	if err != nil { // impossible unless the kernel is closing
		_ = ref.task.Close(fd)
		n.fs.tasks.release(ref)
		return nil, errno(err)
	}
	resp.Flags |= fuse.OpenDirectIO | fuse.OpenNonSeekable | openStream
	return &handle{fs: n.fs, ref: ref, fd: fd, file: file}, nil
}

// Setattr accepts truncation to zero as a no-op, because shell ">"
// redirection opens with O_TRUNC and the kernel turns that into a
// truncate; the times that come with it are ignored. Any other size is
// EINVAL (as ftruncate on a pipe); chmod, chown and utimes are EPERM.
func (n *deviceNode) Setattr(ctx context.Context, req *fuse.SetattrRequest, resp *fuse.SetattrResponse) error {
	v := req.Valid
	switch {
	case v.Mode() || v.Uid() || v.Gid():
		return syscall.EPERM
	case !v.Size():
		return syscall.EPERM
	case req.Size != 0:
		return syscall.EINVAL
	}
	return nil
}

// Fsync has nothing to flush on a stream device: EINVAL, as for a pipe.
func (n *deviceNode) Fsync(context.Context, *fuse.FsyncRequest) error { return syscall.EINVAL }

// Setxattr refuses extended attributes.
func (n *deviceNode) Setxattr(context.Context, *fuse.SetxattrRequest) error { return syscall.EPERM }

// Removexattr refuses extended attributes.
func (n *deviceNode) Removexattr(context.Context, *fuse.RemovexattrRequest) error {
	return syscall.EPERM
}

// A handle is one open file of a device: the descriptor fd of a model
// task. Requests on it always use that task, whichever real process sends
// them (a child that inherited the descriptor shares the open file
// description, as on Linux).
type handle struct {
	fs   *FS
	ref  *taskRef
	fd   int
	file *kernel.File

	// mu guards pt and serialises flag updates (read-modify-write of
	// the file's flags).
	mu sync.Mutex
	// pt is the poll table registered by the latest poll request that
	// asked for a wake-up; it stays registered until the next such
	// request or release, because epoll asks only once and relies on
	// every later wake-up.
	pt *kernel.PollTable
}

var (
	_ fs.HandleReader   = (*handle)(nil)
	_ fs.HandleWriter   = (*handle)(nil)
	_ fs.HandlePoller   = (*handle)(nil)
	_ fs.HandleReleaser = (*handle)(nil)
)

// Read passes the read to the driver (M1, M2, B3). The request's context
// ends when the client is interrupted, which the model reports as a
// context error and the client sees as EINTR.
func (h *handle) Read(ctx context.Context, req *fuse.ReadRequest, resp *fuse.ReadResponse) error {
	if err := h.syncNonblock(req.FileFlags); err != nil {
		return err
	}
	buf := resp.Data[:req.Size]
	n, err := h.ref.task.Read(ctx, h.fd, buf)
	if n > 0 || err == nil {
		// Data moved: it must reach the client even if an error came
		// with it, or it would be lost.
		resp.Data = buf[:n]
		return nil
	}
	return errno(err)
}

// Write passes the write to the driver (M1, M2, B4). A short count goes
// back to the client unchanged; write(2) returns it and programs loop.
func (h *handle) Write(ctx context.Context, req *fuse.WriteRequest, resp *fuse.WriteResponse) error {
	if err := h.syncNonblock(req.FileFlags); err != nil {
		return err
	}
	n, err := h.ref.task.Write(ctx, h.fd, req.Data)
	if n > 0 || err == nil {
		resp.Size = n
		return nil
	}
	return errno(err)
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

// Poll answers the driver's readiness (M3, B7). When the kernel asks for a
// wake-up, a fresh poll table is registered on the driver's wait queues
// before the mask is computed (the driver's Poll does both under its
// lock, so no wake-up falls between check and registration), and every
// wake-up of those queues becomes a FUSE poll notification.
func (h *handle) Poll(ctx context.Context, req *fuse.PollRequest, resp *fuse.PollResponse) error {
	w, ask := req.Wakeup()
	if !ask {
		resp.REvents = fuse.PollEvents(uint16(h.file.Poll(nil)))
		return nil
	}
	pt := kernel.NewPollTable(func() { h.fs.notify(w) })
	resp.REvents = fuse.PollEvents(uint16(h.file.Poll(pt)))
	h.mu.Lock()
	old := h.pt
	h.pt = pt
	h.mu.Unlock()
	// The old table goes only after the new one is registered, so there
	// is no moment without a registration; a spare wake-up is harmless.
	if old != nil {
		old.Free()
	}
	return nil
}

// Release closes the model file once the real kernel has dropped its last
// reference (close of the last descriptor, or exit), and lets the task
// exit with its last file.
func (h *handle) Release(ctx context.Context, req *fuse.ReleaseRequest) error {
	h.mu.Lock()
	pt := h.pt
	h.pt = nil
	h.mu.Unlock()
	if pt != nil {
		pt.Free()
	}
	err := h.ref.task.Close(h.fd)
	h.fs.tasks.release(h.ref)
	return errno(err)
}

// errno turns a model error into the errno a client should see. A
// cancelled context is the FUSE interrupt: EINTR (bazil only does this
// for an unwrapped context.Canceled). ERESTARTSYS never escapes the
// model's Task methods, but if it did the client could only see EINTR.
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
