package kernel

import "strings"

// File type bits of a mode (S_IFMT and the types mknod(2) names).
const (
	S_IFMT   = 0o170000
	S_IFSOCK = 0o140000
	S_IFREG  = 0o100000
	S_IFBLK  = 0o060000
	S_IFDIR  = 0o040000
	S_IFCHR  = 0o020000
	S_IFIFO  = 0o010000
)

// Mknod is mknod(2) for the one kind of node a task makes in the model:
// mode S_IFIFO (with any permission bits, which the model keeps no
// record of) makes a FIFO named path (SPEC E7), a name in the same
// namespace as the devices (Kernel.Register), served by a new driver
// from Config.FIFO; dev is ignored. Task.Open then opens it with a
// FIFO's rules: a read-only open waits for a writer and a write-only one
// for a reader (interruptibly), O_NONBLOCK read-opens succeed at once,
// O_NONBLOCK write-opens with no reader fail with ENXIO, O_RDWR never
// waits.
//
// EEXIST when the name is taken (also "." and ".."); ENOENT for an empty
// path or one with a directory in it ('/', the model has no
// directories); EPERM for a regular file, a device, a socket or a
// directory (device nodes come from Kernel.Register) and for a FIFO on
// a kernel whose Config has no FIFO driver; EINVAL for an unknown file
// type.
func (t *Task) Mknod(path string, mode uint32, dev int) error {
	defer t.safePoint()
	if path == "" {
		return ENOENT // the lookup fails before the mode is looked at
	}
	switch mode & S_IFMT {
	case S_IFIFO:
	case 0, S_IFREG, S_IFCHR, S_IFBLK, S_IFSOCK, S_IFDIR:
		return EPERM
	default:
		return EINVAL
	}
	switch {
	case path == "" || strings.ContainsAny(path, "/\x00"):
		return ENOENT
	case path == "." || path == "..":
		return EEXIST
	case t.k.newFIFO == nil:
		return EPERM
	}
	d := t.k.newFIFO()
	if d == nil {
		return EPERM
	}
	return t.k.Register(path, d)
}

// Mkfifo is mkfifo(3): Mknod(path, S_IFIFO|perm, 0).
func (t *Task) Mkfifo(path string, perm uint32) error {
	return t.Mknod(path, S_IFIFO|perm&0o7777, 0)
}

// Unlink is unlink(2) on a name of the model's namespace, a FIFO or a
// device: the name goes; files open on it keep working (ENOENT when the
// name is unknown).
func (t *Task) Unlink(path string) error {
	defer t.safePoint()
	return t.k.Unregister(path)
}
