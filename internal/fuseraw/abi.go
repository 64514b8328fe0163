package fuseraw

import "unsafe"

// The kernel's FUSE ABI (include/uapi/linux/fuse.h), with Linux's names,
// for the parts this package speaks. Structures are laid out as the kernel
// reads and writes them (little-endian amd64/arm64, natural alignment) and
// are read and written in place through unsafe casts.

// Protocol version this package implements. The kernel's minor is used
// when it is lower.
const (
	FUSE_KERNEL_VERSION       = 7
	FUSE_KERNEL_MINOR_VERSION = 42 // FUSE_OVER_IO_URING
)

// FUSE_ROOT_ID is the node ID of the root directory.
const FUSE_ROOT_ID = 1

// Opcodes (enum fuse_opcode).
const (
	FUSE_LOOKUP       = 1
	FUSE_FORGET       = 2
	FUSE_GETATTR      = 3
	FUSE_SETATTR      = 4
	FUSE_READLINK     = 5
	FUSE_SYMLINK      = 6
	FUSE_MKNOD        = 8
	FUSE_MKDIR        = 9
	FUSE_UNLINK       = 10
	FUSE_RMDIR        = 11
	FUSE_RENAME       = 12
	FUSE_LINK         = 13
	FUSE_OPEN         = 14
	FUSE_READ         = 15
	FUSE_WRITE        = 16
	FUSE_STATFS       = 17
	FUSE_RELEASE      = 18
	FUSE_FSYNC        = 20
	FUSE_SETXATTR     = 21
	FUSE_GETXATTR     = 22
	FUSE_LISTXATTR    = 23
	FUSE_REMOVEXATTR  = 24
	FUSE_FLUSH        = 25
	FUSE_INIT         = 26
	FUSE_OPENDIR      = 27
	FUSE_READDIR      = 28
	FUSE_RELEASEDIR   = 29
	FUSE_FSYNCDIR     = 30
	FUSE_ACCESS       = 34
	FUSE_CREATE       = 35
	FUSE_INTERRUPT    = 36
	FUSE_DESTROY      = 38
	FUSE_IOCTL        = 39
	FUSE_POLL         = 40
	FUSE_BATCH_FORGET = 42
	FUSE_RENAME2      = 45
)

// INIT flags (fuse_init_in/out.flags; bits 32 and up travel in flags2).
const (
	FUSE_ASYNC_READ      = 1 << 0
	FUSE_BIG_WRITES      = 1 << 5
	FUSE_PARALLEL_DIROPS = 1 << 18
	FUSE_MAX_PAGES       = 1 << 22
	FUSE_INIT_EXT        = 1 << 30
	FUSE_OVER_IO_URING   = 1 << 41
)

// FOPEN_* flags of fuse_open_out.open_flags.
const (
	FOPEN_DIRECT_IO   = 1 << 0
	FOPEN_NONSEEKABLE = 1 << 2
	FOPEN_STREAM      = 1 << 4
	FOPEN_NOFLUSH     = 1 << 5 // closes of the file send no FLUSH
)

// FATTR_* bits of fuse_setattr_in.valid.
const (
	FATTR_MODE      = 1 << 0
	FATTR_UID       = 1 << 1
	FATTR_GID       = 1 << 2
	FATTR_SIZE      = 1 << 3
	FATTR_ATIME     = 1 << 4
	FATTR_MTIME     = 1 << 5
	FATTR_FH        = 1 << 6
	FATTR_LOCKOWNER = 1 << 9
	FATTR_CTIME     = 1 << 10
)

// FUSE_POLL_SCHEDULE_NOTIFY in fuse_poll_in.flags asks for a wake-up
// notification (FUSE_NOTIFY_POLL with the request's kh) on readiness.
const FUSE_POLL_SCHEDULE_NOTIFY = 1 << 0

// FUSE_NOTIFY_POLL is the notification code (out header error field, with
// unique 0) of a poll wake-up.
const FUSE_NOTIFY_POLL = 1

// FUSE_MIN_READ_BUFFER is the smallest read(2) of /dev/fuse the kernel
// accepts, and the smallest io_uring payload buffer.
const FUSE_MIN_READ_BUFFER = 8192

// InHeader is struct fuse_in_header: what every request starts with.
type InHeader struct {
	Len     uint32 // whole request, header included (classic transport)
	Opcode  uint32
	Unique  uint64 // the request's ID; the reply carries it back
	NodeID  uint64
	UID     uint32
	GID     uint32
	PID     uint32 // thread ID of the calling thread, in the server's PID namespace
	Padding uint32
}

// outHeader is struct fuse_out_header.
type outHeader struct {
	Len    uint32
	Error  int32 // 0 or a negated errno; for a notification, its code
	Unique uint64
}

type initIn struct {
	Major, Minor, MaxReadahead, Flags, Flags2 uint32
	_                                         [11]uint32
}

type initOut struct {
	Major, Minor, MaxReadahead, Flags  uint32
	MaxBackground, CongestionThreshold uint16
	MaxWrite, TimeGran                 uint32
	MaxPages, MapAlignment             uint16
	Flags2, MaxStackDepth              uint32
	RequestTimeout                     uint16
	_                                  [11]uint16
}

// Attr is struct fuse_attr: a node's attributes.
type Attr struct {
	Ino, Size, Blocks, Atime, Mtime, Ctime      uint64
	AtimeNsec, MtimeNsec, CtimeNsec             uint32
	Mode, Nlink, UID, GID, Rdev, Blksize, Flags uint32
}

// EntryOut is struct fuse_entry_out, the reply to LOOKUP.
type EntryOut struct {
	NodeID, Generation, EntryValid, AttrValid uint64
	EntryValidNsec, AttrValidNsec             uint32
	Attr                                      Attr
}

// AttrOut is struct fuse_attr_out, the reply to GETATTR and SETATTR.
type AttrOut struct {
	AttrValid     uint64
	AttrValidNsec uint32
	_             uint32
	Attr          Attr
}

// OpenIn is struct fuse_open_in (OPEN, OPENDIR).
type OpenIn struct {
	Flags     uint32 // open(2) flags
	OpenFlags uint32 // FUSE_OPEN_KILL_SUIDGID
}

type openOut struct {
	Fh        uint64
	OpenFlags uint32
	BackingID int32
}

// ReadIn is struct fuse_read_in (READ, READDIR).
type ReadIn struct {
	Fh        uint64
	Offset    uint64
	Size      uint32
	ReadFlags uint32
	LockOwner uint64
	Flags     uint32 // the file's open flags now (O_NONBLOCK after fcntl too)
	_         uint32
}

// WriteIn is struct fuse_write_in; the data follows it.
type WriteIn struct {
	Fh         uint64
	Offset     uint64
	Size       uint32
	WriteFlags uint32
	LockOwner  uint64
	Flags      uint32 // the file's open flags now
	_          uint32
}

type writeOut struct {
	Size uint32
	_    uint32
}

// ReleaseIn is struct fuse_release_in (RELEASE, RELEASEDIR).
type ReleaseIn struct {
	Fh           uint64
	Flags        uint32
	ReleaseFlags uint32
	LockOwner    uint64
}

// FlushIn is struct fuse_flush_in.
type FlushIn struct {
	Fh        uint64
	_         uint32
	_         uint32
	LockOwner uint64
}

// GetattrIn is struct fuse_getattr_in.
type GetattrIn struct {
	GetattrFlags uint32
	_            uint32
	Fh           uint64
}

// SetattrIn is struct fuse_setattr_in.
type SetattrIn struct {
	Valid                           uint32 // FATTR_* bits
	_                               uint32
	Fh, Size, LockOwner             uint64
	Atime, Mtime, Ctime             uint64
	AtimeNsec, MtimeNsec, CtimeNsec uint32
	Mode                            uint32
	_                               uint32
	UID, GID                        uint32
	_                               uint32
}

// PollIn is struct fuse_poll_in.
type PollIn struct {
	Fh     uint64
	Kh     uint64 // the kernel's handle, for the wake-up notification
	Flags  uint32 // FUSE_POLL_SCHEDULE_NOTIFY
	Events uint32 // poll events asked for
}

// FUSE_IOCTL_* flags of fuse_ioctl_in.flags and fuse_ioctl_out.flags.
// A regular file's ioctls come restricted (no FUSE_IOCTL_UNRESTRICTED):
// the kernel has copied in, and copies back, exactly the _IOC size of
// the command in the direction it encodes, so RETRY is not allowed.
const (
	FUSE_IOCTL_COMPAT       = 1 << 0
	FUSE_IOCTL_UNRESTRICTED = 1 << 1
	FUSE_IOCTL_RETRY        = 1 << 2
	FUSE_IOCTL_32BIT        = 1 << 3
	FUSE_IOCTL_DIR          = 1 << 4
	FUSE_IOCTL_COMPAT_X32   = 1 << 5
)

// IoctlIn is struct fuse_ioctl_in; InSize bytes of input follow it.
type IoctlIn struct {
	Fh      uint64
	Flags   uint32 // FUSE_IOCTL_*
	Cmd     uint32 // the ioctl command, as the caller passed it
	Arg     uint64 // the argument: a value for _IO commands, else the caller's pointer
	InSize  uint32 // bytes of input data that follow (restricted: _IOC_SIZE for _IOC_WRITE)
	OutSize uint32 // bytes of output the caller takes back at most
}

type ioctlOut struct {
	Result  int32
	Flags   uint32
	InIovs  uint32
	OutIovs uint32
}

type pollOutArg struct {
	Revents uint32
	_       uint32
}

// InterruptIn is struct fuse_interrupt_in.
type InterruptIn struct {
	Unique uint64 // the request to interrupt
}

// ForgetIn is struct fuse_forget_in.
type ForgetIn struct {
	Nlookup uint64
}

type batchForgetIn struct {
	Count uint32
	_     uint32
}

// ForgetOne is struct fuse_forget_one, one node of a BATCH_FORGET.
type ForgetOne struct {
	NodeID, Nlookup uint64
}

// Kstatfs is struct fuse_kstatfs, the reply to STATFS.
type Kstatfs struct {
	Blocks, Bfree, Bavail, Files, Ffree uint64
	Bsize, Namelen, Frsize              uint32
	_                                   uint32
	_                                   [6]uint32
}

type direntHeader struct {
	Ino, Off      uint64
	Namelen, Type uint32
}

// FUSE over io_uring (fs/fuse/dev_uring.c).
const (
	FUSE_IO_URING_CMD_REGISTER         = 1
	FUSE_IO_URING_CMD_COMMIT_AND_FETCH = 2

	fuseURingInOutHeaderSize = 128
	fuseURingOpInOutSize     = 128
)

// uringEntInOut is struct fuse_uring_ent_in_out.
type uringEntInOut struct {
	Flags     uint64
	CommitID  uint64 // the request's unique: name it in COMMIT_AND_FETCH
	PayloadSz uint32 // bytes of payload the request carries / the reply carries
	_         uint32
	_         uint64
}

// uringReqHeader is struct fuse_uring_req_header: the first iovec of a
// ring entry.
type uringReqHeader struct {
	InOut        [fuseURingInOutHeaderSize]byte // fuse_in_header in, fuse_out_header out
	OpIn         [fuseURingOpInOutSize]byte     // the opcode's first argument (fuse_read_in ...)
	RingEntInOut uringEntInOut
}

// uringCmdReq is struct fuse_uring_cmd_req, in the SQE's cmd area.
type uringCmdReq struct {
	Flags    uint64
	CommitID uint64
	Qid      uint16
	_        [6]uint8
}

// Sizes the kernel expects; checked at compile time.
var (
	_ [40 - unsafe.Sizeof(InHeader{})]struct{}
	_ [unsafe.Sizeof(InHeader{}) - 40]struct{}
	_ [64 - unsafe.Sizeof(initIn{})]struct{}
	_ [unsafe.Sizeof(initOut{}) - 64]struct{}
	_ [64 - unsafe.Sizeof(initOut{})]struct{}
	_ [88 - unsafe.Sizeof(Attr{})]struct{}
	_ [unsafe.Sizeof(Attr{}) - 88]struct{}
	_ [128 - unsafe.Sizeof(EntryOut{})]struct{}
	_ [104 - unsafe.Sizeof(AttrOut{})]struct{}
	_ [40 - unsafe.Sizeof(ReadIn{})]struct{}
	_ [unsafe.Sizeof(WriteIn{}) - 40]struct{}
	_ [88 - unsafe.Sizeof(SetattrIn{})]struct{}
	_ [unsafe.Sizeof(SetattrIn{}) - 88]struct{}
	_ [80 - unsafe.Sizeof(Kstatfs{})]struct{}
	_ [unsafe.Sizeof(Kstatfs{}) - 80]struct{}
	_ [288 - unsafe.Sizeof(uringReqHeader{})]struct{}
	_ [unsafe.Sizeof(uringReqHeader{}) - 288]struct{}
	_ [24 - unsafe.Sizeof(uringCmdReq{})]struct{}
	_ [32 - unsafe.Sizeof(IoctlIn{})]struct{}
	_ [unsafe.Sizeof(IoctlIn{}) - 32]struct{}
	_ [16 - unsafe.Sizeof(ioctlOut{})]struct{}
)
