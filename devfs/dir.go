package devfs

import (
	"syscall"

	"github.com/fasync-go/fasync/internal/fuseraw"
)

// This file holds the requests that are about names and metadata rather
// than device I/O: lookup, getattr, setattr, the directory listing, the
// status file, and open and release, which dispatch on the kind of node.
// None of them sleeps.

func (s *server) lookup(r *fuseraw.Request) {
	if r.Header.NodeID != rootID {
		r.ReplyErr(syscall.ENOTDIR)
		return
	}
	n := s.fs.lookup(string(r.Name))
	if n == nil {
		r.ReplyErr(syscall.ENOENT)
		return
	}
	e := fuseraw.EntryOut{NodeID: n.id, EntryValid: entryValid, AttrValid: attrValid}
	s.fs.attr(n, &e.Attr)
	r.ReplyEntry(&e)
}

func (s *server) getattr(r *fuseraw.Request) {
	n := s.fs.node(r.Header.NodeID)
	if n == nil {
		r.ReplyErr(syscall.ESTALE)
		return
	}
	a := fuseraw.AttrOut{AttrValid: attrValid}
	s.fs.attr(n, &a.Attr)
	r.ReplyAttr(&a)
}

// setattr accepts truncation of a device to zero as a no-op, because
// shell ">" redirection opens with O_TRUNC and the kernel turns that into
// a truncate; the times that come with it are ignored. Any other size is
// EINVAL (as ftruncate on a pipe); chmod, chown and utimes are EPERM; the
// status file refuses everything (EACCES).
func (s *server) setattr(r *fuseraw.Request) {
	n := s.fs.node(r.Header.NodeID)
	v := r.Setattr.Valid
	var err syscall.Errno
	switch {
	case n == nil:
		err = syscall.ESTALE
	case n.kind == kindStatus:
		err = syscall.EACCES
	case n.kind != kindDevice, v&(fuseraw.FATTR_MODE|fuseraw.FATTR_UID|fuseraw.FATTR_GID) != 0,
		v&fuseraw.FATTR_SIZE == 0:
		err = syscall.EPERM
	case r.Setattr.Size != 0:
		err = syscall.EINVAL
	}
	if err != 0 {
		r.ReplyErr(err)
		return
	}
	a := fuseraw.AttrOut{AttrValid: attrValid}
	s.fs.attr(n, &a.Attr)
	r.ReplyAttr(&a)
}

func (s *server) open(r *fuseraw.Request) {
	n := s.fs.node(r.Header.NodeID)
	switch {
	case n == nil:
		r.ReplyErr(syscall.ESTALE)
	case n.kind == kindDevice:
		s.openDevice(r, n)
	case n.kind == kindRoot:
		r.ReplyErr(syscall.EISDIR)
	case n.kind == kindStatus:
		s.openStatus(r)
	}
}

// A dirHandle is an open directory: the device names as they were at
// open (a copy of the kernel's sorted list, no sort), so a listing read
// in several READDIRs is one consistent view. Entry i+1 is "." for i=0,
// ".." for i=1, device names[i-2] after them, then the status file when
// it shows. A device gets its node id when a READDIR first lists it.
type dirHandle struct {
	names  []string
	status bool // the status file is listed after the devices
}

// opendir takes the listing's snapshot.
func (s *server) opendir(r *fuseraw.Request) {
	if r.Header.NodeID != rootID {
		r.ReplyErr(syscall.ENOTDIR)
		return
	}
	h := &dirHandle{names: s.fs.k.Devices()}
	if s.fs.opts.Status != nil {
		_, shadowed := s.fs.k.Device(s.fs.opts.StatusName)
		h.status = !shadowed
	}
	r.ReplyOpen(s.addHandle(h), 0)
}

// len reports how many entries the listing has.
func (h *dirHandle) len() uint64 {
	n := uint64(len(h.names)) + 2
	if h.status {
		n++
	}
	return n
}

// readdir answers from the snapshot: an entry's offset is its index plus
// one, which the kernel sends back to continue after it. It costs the
// entries that fit in the reply, wherever the window starts.
func (s *server) readdir(r *fuseraw.Request) {
	h, ok := s.getHandle(r.Read.Fh).(*dirHandle)
	if !ok {
		r.ReplyErr(syscall.EBADF)
		return
	}
	buf := r.DataBuf(int(r.Read.Size))[:0]
	for i := r.Read.Offset; i < h.len(); i++ {
		ino, typ, name := uint64(rootID), uint32(fuseraw.DT_DIR), ".."
		switch {
		case i == 0:
			name = "."
		case i-2 < uint64(len(h.names)):
			name = h.names[i-2]
			ino, typ = s.fs.deviceNode(name).id, fuseraw.DT_REG
		case i > 1:
			ino, typ, name = statusID, fuseraw.DT_REG, s.fs.opts.StatusName
		}
		var fits bool
		if buf, fits = fuseraw.AppendDirent(buf, ino, i+1, typ, name); !fits {
			break
		}
	}
	r.ReplyData(buf)
}

func (s *server) release(r *fuseraw.Request) {
	switch h := s.dropHandle(r.Release.Fh).(type) {
	case *handle:
		h.release()
	case nil:
		r.ReplyErr(syscall.EBADF)
		return
	}
	r.ReplyErr(0)
}
