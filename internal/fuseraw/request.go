package fuseraw

import (
	"fmt"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// A Handler serves the requests of a mounted file system. Handle is called
// once per request, on the transport's goroutine, and must not block: a
// request that has to wait (a read of an empty pipe) is kept by the
// handler and answered later, from any goroutine. Every request is
// answered exactly once with one of the Reply methods, except FORGET,
// BATCH_FORGET and INTERRUPT, which take no answer (an INTERRUPT may be
// answered with EAGAIN on the classic transport: the kernel sends it again).
//
// Only the opcodes listed in this package's doc reach the handler; the
// package answers the rest with ENOSYS and handles INIT and DESTROY itself.
// The opcodes that change the tree or metadata beyond SETATTR (refusable,
// see headerOnly) reach it with their header alone: enough to refuse them
// with the errno the file system chooses, which ENOSYS would not be (the
// kernel takes ENOSYS for FSYNC as success and for CREATE as a reason to
// try MKNOD).
type Handler interface {
	Handle(r *Request)
}

// headerOnly reports the opcodes handed to the handler with no decoded
// arguments: a file system that refuses them needs none.
func headerOnly(op uint32) bool {
	switch op {
	case FUSE_READLINK, FUSE_SYMLINK, FUSE_MKNOD, FUSE_MKDIR, FUSE_UNLINK, FUSE_RMDIR,
		FUSE_RENAME, FUSE_RENAME2, FUSE_LINK, FUSE_CREATE, FUSE_FSYNC, FUSE_FSYNCDIR,
		FUSE_SETXATTR, FUSE_REMOVEXATTR, FUSE_ACCESS:
		return true
	}
	return false
}

// A Request is one FUSE request: its header and its decoded arguments.
// The fields for the request's opcode are set; the others hold stale
// values. Name and Data point into the transport's buffer and are valid
// until the request is answered, or until Server.Close for a request
// still kept when serving ends; Forgets only during Handle. A Request is
// reused by its transport once answered: do not keep it afterwards.
type Request struct {
	Header InHeader

	Name      []byte      // LOOKUP, GETXATTR: the name looked up (no NUL)
	Open      OpenIn      // OPEN, OPENDIR
	Read      ReadIn      // READ, READDIR
	Write     WriteIn     // WRITE
	Data      []byte      // WRITE: the bytes to write; IOCTL: the input
	Ioctl     IoctlIn     // IOCTL
	Release   ReleaseIn   // RELEASE, RELEASEDIR
	Flush     FlushIn     // FLUSH
	Getattr   GetattrIn   // GETATTR
	Setattr   SetattrIn   // SETATTR
	Poll      PollIn      // POLL
	Getxattr  GetxattrIn  // GETXATTR (with Name), LISTXATTR
	Interrupt InterruptIn // INTERRUPT
	Forget    ForgetIn    // FORGET
	Forgets   []ForgetOne // BATCH_FORGET

	sink  sink // the transport slot that carries the answer
	srv   *Server
	phase atomic.Int32 // phaseHandling, phaseDeferred or phaseAnswered; see classic.go
}

// A sink is where a request came from and its answer goes: a classic
// reader's buffer or an io_uring ring entry.
type sink interface {
	// out is the reply area: out arguments start at out()[0].
	out() []byte
	// send answers with -errno, or with the first n bytes of out()
	// followed by data (which may already sit at out()[n:]).
	send(r *Request, errno syscall.Errno, n int, data []byte) error
}

// Server is the server the request came through (for NotifyPoll).
func (r *Request) Server() *Server { return r.srv }

// Opcode reports the request's opcode (FUSE_READ ...).
func (r *Request) Opcode() uint32 { return r.Header.Opcode }

// arg0Size is the size of an opcode's first argument: the fixed structure
// the io_uring transport puts in the entry's op_in area and the classic
// transport at the start of the body. LOOKUP's name and WRITE's data
// follow it (in the ring's payload buffer).
func arg0Size(op uint32) (int, bool) {
	if headerOnly(op) {
		return 0, true // arguments not decoded
	}
	switch op {
	case FUSE_LOOKUP, FUSE_STATFS, FUSE_DESTROY:
		return 0, true
	case FUSE_FORGET, FUSE_INTERRUPT, FUSE_BATCH_FORGET:
		return 8, true
	case FUSE_OPEN, FUSE_OPENDIR:
		return int(unsafe.Sizeof(OpenIn{})), true
	case FUSE_READ, FUSE_READDIR:
		return int(unsafe.Sizeof(ReadIn{})), true
	case FUSE_WRITE:
		return int(unsafe.Sizeof(WriteIn{})), true
	case FUSE_RELEASE, FUSE_RELEASEDIR:
		return int(unsafe.Sizeof(ReleaseIn{})), true
	case FUSE_FLUSH:
		return int(unsafe.Sizeof(FlushIn{})), true
	case FUSE_GETATTR:
		return int(unsafe.Sizeof(GetattrIn{})), true
	case FUSE_SETATTR:
		return int(unsafe.Sizeof(SetattrIn{})), true
	case FUSE_POLL:
		return int(unsafe.Sizeof(PollIn{})), true
	case FUSE_IOCTL:
		return int(unsafe.Sizeof(IoctlIn{})), true
	case FUSE_GETXATTR, FUSE_LISTXATTR:
		return int(unsafe.Sizeof(GetxattrIn{})), true
	case FUSE_INIT:
		return int(unsafe.Sizeof(initIn{})), true
	}
	return 0, false
}

// load copies b into *dst, zero-filling what b lacks (an older kernel
// sends shorter structures).
func load[T any](dst *T, b []byte) {
	d := unsafe.Slice((*byte)(unsafe.Pointer(dst)), unsafe.Sizeof(*dst))
	clear(d[copy(d, b):])
}

// decode fills r's argument fields from arg0 (the opcode's first
// structure) and rest (what follows it). It reports EINVAL for a request
// too short to hold its arguments.
func (r *Request) decode(arg0, rest []byte) error {
	switch r.Header.Opcode {
	case FUSE_LOOKUP:
		r.Name = cstring(rest)
	case FUSE_GETXATTR:
		load(&r.Getxattr, arg0)
		r.Name = cstring(rest)
	case FUSE_LISTXATTR:
		load(&r.Getxattr, arg0)
	case FUSE_FORGET:
		load(&r.Forget, arg0)
	case FUSE_INTERRUPT:
		load(&r.Interrupt, arg0)
	case FUSE_BATCH_FORGET:
		var in batchForgetIn
		load(&in, arg0)
		n := int(in.Count)
		if n > len(rest)/int(unsafe.Sizeof(ForgetOne{})) {
			return fmt.Errorf("fuseraw: BATCH_FORGET of %d nodes in %d bytes: %w", n, len(rest), syscall.EINVAL)
		}
		r.Forgets = nil
		if n > 0 {
			r.Forgets = unsafe.Slice((*ForgetOne)(unsafe.Pointer(&rest[0])), n)
		}
	case FUSE_OPEN, FUSE_OPENDIR:
		load(&r.Open, arg0)
	case FUSE_READ, FUSE_READDIR:
		load(&r.Read, arg0)
	case FUSE_WRITE:
		load(&r.Write, arg0)
		if int(r.Write.Size) > len(rest) {
			return fmt.Errorf("fuseraw: WRITE of %d bytes carries %d: %w", r.Write.Size, len(rest), syscall.EINVAL)
		}
		r.Data = rest[:r.Write.Size]
	case FUSE_RELEASE, FUSE_RELEASEDIR:
		load(&r.Release, arg0)
	case FUSE_FLUSH:
		load(&r.Flush, arg0)
	case FUSE_GETATTR:
		load(&r.Getattr, arg0)
	case FUSE_SETATTR:
		load(&r.Setattr, arg0)
	case FUSE_POLL:
		load(&r.Poll, arg0)
	case FUSE_IOCTL:
		load(&r.Ioctl, arg0)
		if int(r.Ioctl.InSize) > len(rest) {
			return fmt.Errorf("fuseraw: IOCTL with %d bytes of input carries %d: %w", r.Ioctl.InSize, len(rest), syscall.EINVAL)
		}
		r.Data = rest[:r.Ioctl.InSize]
	}
	return nil
}

// noReply reports whether the kernel expects no answer to op.
func noReply(op uint32) bool {
	return op == FUSE_FORGET || op == FUSE_BATCH_FORGET || op == FUSE_INTERRUPT
}

// ErrNoReply is returned by a Reply method called on a FORGET or
// BATCH_FORGET request, which take no answer.
var ErrNoReply = fmt.Errorf("fuseraw: request takes no reply: %w", syscall.EINVAL)

// ReplyErr answers with an error (errno > 0), or with success and no
// arguments (errno 0: FLUSH, RELEASE, RELEASEDIR).
func (r *Request) ReplyErr(errno syscall.Errno) error {
	op := r.Header.Opcode
	if op == FUSE_FORGET || op == FUSE_BATCH_FORGET {
		return ErrNoReply
	}
	return r.sink.send(r, errno, 0, nil)
}

// replyValue answers with the structure *v as the only out argument.
func replyValue[T any](r *Request, v *T) error {
	if noReply(r.Header.Opcode) {
		return ErrNoReply
	}
	n := copy(r.sink.out(), unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v)))
	return r.sink.send(r, 0, n, nil)
}

// ReplyEntry answers a LOOKUP.
func (r *Request) ReplyEntry(e *EntryOut) error { return replyValue(r, e) }

// ReplyAttr answers a GETATTR or SETATTR.
func (r *Request) ReplyAttr(a *AttrOut) error { return replyValue(r, a) }

// ReplyOpen answers an OPEN or OPENDIR with the file handle fh (echoed in
// later requests on the file) and FOPEN_* flags.
func (r *Request) ReplyOpen(fh uint64, flags uint32) error {
	return replyValue(r, &openOut{Fh: fh, OpenFlags: flags})
}

// ReplyWrite answers a WRITE: n bytes were written.
func (r *Request) ReplyWrite(n uint32) error { return replyValue(r, &writeOut{Size: n}) }

// ReplyStatfs answers a STATFS.
func (r *Request) ReplyStatfs(st *Kstatfs) error { return replyValue(r, st) }

// ReplyPoll answers a POLL with the ready events.
func (r *Request) ReplyPoll(revents uint32) error {
	return replyValue(r, &pollOutArg{Revents: revents})
}

// ReplyIoctl answers an IOCTL: result is what the caller's ioctl(2)
// returns, out what is copied back to the memory its argument points at
// (at most Ioctl.OutSize bytes: the kernel fails a longer answer with
// EIO). out may be any slice, r.Data included (it is moved into place
// before the answer's header is written over the request).
func (r *Request) ReplyIoctl(result int32, out []byte) error {
	if noReply(r.Header.Opcode) {
		return ErrNoReply
	}
	hsz := int(unsafe.Sizeof(ioctlOut{}))
	buf := r.sink.out()
	if hsz+len(out) > len(buf) {
		return fmt.Errorf("fuseraw: ioctl answer of %d bytes exceeds the %d-byte reply area: %w", len(out), len(buf)-hsz, syscall.EINVAL)
	}
	// The reply area may overlap the request (the io_uring payload holds
	// both): move the data first, then write the header before it.
	n := copy(buf[hsz:], out)
	o := ioctlOut{Result: result}
	copy(buf, unsafe.Slice((*byte)(unsafe.Pointer(&o)), hsz))
	return r.sink.send(r, 0, hsz, buf[hsz:hsz+n])
}

// DataBuf returns a buffer of n bytes (at most the request's Read.Size is
// useful) inside the transport's reply area. Data put there and answered
// with ReplyData(buf[:m]) is not copied again by this package.
func (r *Request) DataBuf(n int) []byte {
	out := r.sink.out()
	if n > len(out) {
		n = len(out)
	}
	return out[:n:n]
}

// ReplyData answers a READ or READDIR with data, which may be any slice
// (the classic transport sends it with writev, the io_uring one copies it
// into the ring entry) or a prefix of DataBuf (no copy).
func (r *Request) ReplyData(data []byte) error {
	if noReply(r.Header.Opcode) {
		return ErrNoReply
	}
	if len(data) > len(r.sink.out()) {
		return fmt.Errorf("fuseraw: reply of %d bytes exceeds the %d-byte reply area: %w", len(data), len(r.sink.out()), syscall.EINVAL)
	}
	return r.sink.send(r, 0, 0, data)
}

// DT_DIR and DT_REG are dirent types (the d_type of readdir(3)).
const (
	DT_DIR = 4
	DT_REG = 8
)

// AppendDirent appends one struct fuse_dirent to buf (READDIR's answer is
// a run of them): the entry's inode number, the offset of the next entry
// (what the kernel sends as Read.Offset to continue after it), its type
// and name. It reports false, leaving buf alone, when the entry does not
// fit in cap(buf).
func AppendDirent(buf []byte, ino, next uint64, typ uint32, name string) ([]byte, bool) {
	const hsz = int(unsafe.Sizeof(direntHeader{}))
	size := (hsz + len(name) + 7) &^ 7
	if len(buf)+size > cap(buf) {
		return buf, false
	}
	start := len(buf)
	buf = buf[:start+size]
	e := buf[start:]
	h := direntHeader{Ino: ino, Off: next, Namelen: uint32(len(name)), Type: typ}
	copy(e, unsafe.Slice((*byte)(unsafe.Pointer(&h)), hsz))
	clear(e[hsz+copy(e[hsz:], name):])
	return buf, true
}
