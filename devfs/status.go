package devfs

import (
	"context"
	"syscall"

	"bazil.org/fuse"
	"bazil.org/fuse/fs"
)

// statusNode is the read-only status file (SPEC B10), like /proc/scullpipe:
// each open takes one snapshot on its first read and serves it by offset,
// so a reader sees a consistent text however small its reads are.
type statusNode struct{ fs *FS }

var (
	_ fs.Node              = statusNode{}
	_ fs.NodeOpener        = statusNode{}
	_ fs.NodeSetattrer     = statusNode{}
	_ fs.NodeSetxattrer    = statusNode{}
	_ fs.NodeRemovexattrer = statusNode{}
	_ fs.HandleReadAller   = statusHandle{}
)

// Attr reports an empty read-only file, as /proc does; direct I/O makes
// reads go past the reported size.
func (n statusNode) Attr(ctx context.Context, a *fuse.Attr) error {
	a.Mode = 0o444
	a.Nlink = 1
	a.Atime, a.Mtime, a.Ctime = n.fs.start, n.fs.start, n.fs.start
	return nil
}

// Open allows reading only: the mount does not check permissions, so the
// mode bits alone would not stop root.
func (n statusNode) Open(ctx context.Context, req *fuse.OpenRequest, resp *fuse.OpenResponse) (fs.Handle, error) {
	if !req.Flags.IsReadOnly() || req.Flags&fuse.OpenTruncate != 0 {
		return nil, syscall.EACCES
	}
	resp.Flags |= fuse.OpenDirectIO
	return statusHandle{n.fs}, nil
}

// Setattr refuses every change, truncation included.
func (statusNode) Setattr(context.Context, *fuse.SetattrRequest, *fuse.SetattrResponse) error {
	return syscall.EACCES
}

// Setxattr refuses extended attributes.
func (statusNode) Setxattr(context.Context, *fuse.SetxattrRequest) error { return syscall.EPERM }

// Removexattr refuses extended attributes.
func (statusNode) Removexattr(context.Context, *fuse.RemovexattrRequest) error {
	return syscall.EPERM
}

// statusHandle is an open status file. bazil calls ReadAll once per open
// and keeps the bytes for the following reads.
type statusHandle struct{ fs *FS }

// ReadAll takes the snapshot; Options.Status promises not to block.
func (h statusHandle) ReadAll(ctx context.Context) ([]byte, error) {
	return h.fs.opts.Status(), nil
}
