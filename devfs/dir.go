package devfs

import (
	"syscall"

	"bazil.org/fuse"
)

// This file holds the requests that are about names and metadata rather
// than device I/O: lookup, getattr, setattr, and open and release, which
// dispatch on the kind of node.

func (s *server) lookupReq(r *fuse.LookupRequest) {
	if r.Node != rootID {
		r.RespondError(syscall.ENOTDIR)
		return
	}
	n := s.fs.lookup(r.Name)
	if n == nil {
		r.RespondError(syscall.ENOENT)
		return
	}
	r.Respond(&fuse.LookupResponse{Node: n.id, EntryValid: entryValid, Attr: s.fs.attr(n)})
}

func (s *server) getattr(r *fuse.GetattrRequest) {
	n := s.fs.node(r.Node)
	if n == nil {
		r.RespondError(syscall.ESTALE)
		return
	}
	r.Respond(&fuse.GetattrResponse{Attr: s.fs.attr(n)})
}

// setattr accepts truncation of a device to zero as a no-op, because
// shell ">" redirection opens with O_TRUNC and the kernel turns that into
// a truncate; the times that come with it are ignored. Any other size is
// EINVAL (as ftruncate on a pipe); chmod, chown and utimes are EPERM; the
// status file refuses everything (EACCES).
func (s *server) setattr(r *fuse.SetattrRequest) {
	n := s.fs.node(r.Node)
	v := r.Valid
	var err error
	switch {
	case n == nil:
		err = syscall.ESTALE
	case n.kind == kindStatus:
		err = syscall.EACCES
	case n.kind != kindDevice, v.Mode() || v.Uid() || v.Gid(), !v.Size():
		err = syscall.EPERM
	case r.Size != 0:
		err = syscall.EINVAL
	}
	if err != nil {
		r.RespondError(err)
		return
	}
	r.Respond(&fuse.SetattrResponse{Attr: s.fs.attr(n)})
}

func (s *server) open(r *fuse.OpenRequest) {
	n := s.fs.node(r.Node)
	switch {
	case n == nil:
		r.RespondError(syscall.ESTALE)
	case n.kind == kindDevice:
		s.openDevice(r, n)
	case n.kind == kindRoot:
		s.openDir(r)
	case n.kind == kindStatus:
		s.openStatus(r)
	}
}

// openDir snapshots the listing: the devices, then the status file.
func (s *server) openDir(r *fuse.OpenRequest) {
	names := s.fs.k.Devices()
	var data []byte
	data = fuse.AppendDirent(data, fuse.Dirent{Inode: uint64(rootID), Name: ".", Type: fuse.DT_Dir})
	data = fuse.AppendDirent(data, fuse.Dirent{Inode: uint64(rootID), Name: "..", Type: fuse.DT_Dir})
	shadowed := false
	for _, name := range names {
		n := s.fs.deviceNode(name)
		data = fuse.AppendDirent(data, fuse.Dirent{Inode: uint64(n.id), Name: name, Type: fuse.DT_File})
		shadowed = shadowed || name == s.fs.opts.StatusName
	}
	if s.fs.opts.Status != nil && !shadowed {
		data = fuse.AppendDirent(data, fuse.Dirent{Inode: uint64(statusID), Name: s.fs.opts.StatusName, Type: fuse.DT_File})
	}
	r.Respond(&fuse.OpenResponse{Handle: s.addHandle(&dataHandle{data: data})})
}

// openStatus allows reading only (the mount does not check permissions,
// so the mode bits alone would not stop root) and takes the snapshot:
// Options.Status promises not to block, so neither does this open.
func (s *server) openStatus(r *fuse.OpenRequest) {
	if !r.Flags.IsReadOnly() || r.Flags&fuse.OpenTruncate != 0 {
		r.RespondError(syscall.EACCES)
		return
	}
	h := &dataHandle{data: s.fs.opts.Status()}
	// Direct I/O: the reported size is 0, as for /proc files, and reads
	// must still reach us.
	r.Respond(&fuse.OpenResponse{Handle: s.addHandle(h), Flags: fuse.OpenDirectIO})
}

func (s *server) release(r *fuse.ReleaseRequest) {
	switch h := s.dropHandle(r.Handle).(type) {
	case *handle:
		h.release()
	case nil:
		r.RespondError(syscall.EBADF)
		return
	}
	r.Respond()
}
