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

// A dirHandle is an open directory: the listing as it was at open, so a
// listing read in several READDIRs is one consistent view.
type dirHandle struct{ ents []dirent }

type dirent struct {
	ino  uint64
	typ  uint32
	name string
}

// opendir snapshots the listing: ".", "..", the devices, then the status
// file.
func (s *server) opendir(r *fuseraw.Request) {
	if r.Header.NodeID != rootID {
		r.ReplyErr(syscall.ENOTDIR)
		return
	}
	names := s.fs.k.Devices()
	ents := make([]dirent, 0, len(names)+3)
	ents = append(ents, dirent{rootID, fuseraw.DT_DIR, "."}, dirent{rootID, fuseraw.DT_DIR, ".."})
	shadowed := false
	for _, name := range names {
		ents = append(ents, dirent{s.fs.deviceNode(name).id, fuseraw.DT_REG, name})
		shadowed = shadowed || name == s.fs.opts.StatusName
	}
	if s.fs.opts.Status != nil && !shadowed {
		ents = append(ents, dirent{statusID, fuseraw.DT_REG, s.fs.opts.StatusName})
	}
	r.ReplyOpen(s.addHandle(&dirHandle{ents: ents}), 0)
}

// readdir answers from the snapshot: an entry's offset is its index plus
// one, which the kernel sends back to continue after it.
func (s *server) readdir(r *fuseraw.Request) {
	h, ok := s.getHandle(r.Read.Fh).(*dirHandle)
	if !ok {
		r.ReplyErr(syscall.EBADF)
		return
	}
	buf := r.DataBuf(int(r.Read.Size))[:0]
	for i := r.Read.Offset; i < uint64(len(h.ents)); i++ {
		e := h.ents[i]
		var fits bool
		if buf, fits = fuseraw.AppendDirent(buf, e.ino, i+1, e.typ, e.name); !fits {
			break
		}
	}
	r.ReplyData(buf)
}

// openStatus allows reading only (the mount does not check permissions,
// so the mode bits alone would not stop root) and takes the snapshot:
// Options.Status promises not to block, so neither does this open.
func (s *server) openStatus(r *fuseraw.Request) {
	if r.Open.Flags&syscall.O_ACCMODE != syscall.O_RDONLY || r.Open.Flags&syscall.O_TRUNC != 0 {
		r.ReplyErr(syscall.EACCES)
		return
	}
	h := &dataHandle{data: s.fs.opts.Status()}
	// Direct I/O: the reported size is 0, as for /proc files, and reads
	// must still reach us.
	r.ReplyOpen(s.addHandle(h), fuseraw.FOPEN_DIRECT_IO)
}

// A dataHandle is an open status file: a snapshot taken at open, served
// by offset, so small reads see one consistent text.
type dataHandle struct{ data []byte }

func (h *dataHandle) read(r *fuseraw.Request) {
	var data []byte
	if off := r.Read.Offset; off < uint64(len(h.data)) {
		data = h.data[off:]
	}
	r.ReplyData(data[:min(len(data), int(r.Read.Size))])
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
