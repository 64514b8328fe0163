package devfs

import (
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/fasync-go/fasync/internal/fuseraw"
	"github.com/fasync-go/fasync/kernel"
)

// Options configure a file system made by New.
type Options struct {
	// Status, when non-nil, provides the contents of a read-only file
	// named StatusName beside the devices (SPEC B10), a record (a line,
	// say) at a time, as a /proc seq_file does: Status(buf, i) appends
	// record i to buf and returns it, or reports false, buf unchanged,
	// when there is no record i. Records are numbered from 0 without
	// gaps. Each read of the file asks for the records its window covers
	// and no others, so a view of many devices costs nothing while
	// nobody reads it; a reader going through the file in order sees
	// each record as it was when its window reached it. It must not
	// block. scull.Pipes.AppendStatus is one.
	Status func(buf []byte, i int) ([]byte, bool)
	// StatusName names the status file; "" means "status". A device of
	// the same name hides the status file.
	StatusName string
	// DeviceMode holds the permission bits of the device files; 0 means
	// 0666 (like scull's nodes). The kernel enforces them on a mount with
	// MountOptions.AllowOther; otherwise they are only what ls shows.
	DeviceMode os.FileMode
	// Transport chooses how FUSE requests travel (Auto: FUSE over
	// io_uring when the kernel offers it, else the classic /dev/fuse
	// reads and writes).
	Transport Transport
	// Logf, if set, receives what the mount has nobody else to tell: an
	// Auto mount falling back to Classic and why, and transport problems
	// (a ring entry failing). nil means the log package for the former
	// and silence for the latter.
	Logf func(format string, args ...any)
	// Sigio chooses whether the devices' fasync notifications reach the
	// real owners of client files (SPEC F; SigioAuto by default).
	Sigio Sigio
}

// An FS serves one model kernel's device table as a FUSE file system.
// Make one with New and serve it with FS.Mount; an FS is mounted at most
// once.
type FS struct {
	k     *kernel.Kernel
	opts  Options
	start time.Time // timestamps shown for every file
	tasks taskTable
	// bridge carries notifications to real owners (nil: no signals). Set
	// by Mount before serving starts.
	bridge *bridge

	root, status *node // the fixed nodes, also in byID

	// mu guards the node table and mounted. Node ids are handed out on
	// first lookup and never reused, so the kernel's ids stay valid for
	// as long as it keeps them (Forget needs no bookkeeping).
	mu      sync.Mutex
	byName  map[string]*node
	byID    map[uint64]*node
	nextID  uint64
	mounted bool
}

// The fixed nodes.
const (
	rootID   uint64 = fuseraw.FUSE_ROOT_ID
	statusID uint64 = 2
)

// A node is one name in the file system.
type node struct {
	id   uint64
	kind nodeKind
	name string // device name; "" for the root and the status file
}

type nodeKind uint8

const (
	kindRoot nodeKind = iota
	kindStatus
	kindDevice
)

// How long, in seconds, the kernel may cache attributes and names. Names
// are cached briefly so an unregistered device soon disappears from
// lookups.
const (
	attrValid  = 60
	entryValid = 1
)

// New returns a file system exporting the devices registered in k. The
// device table is consulted on every lookup (one map look-up,
// Kernel.Device) and directory open (a copy of its sorted names,
// Kernel.Devices), so devices registered later appear and unregistered
// ones vanish (files already open keep working, as Kernel.Unregister
// promises). k must not be nil: Mount refuses a file system without a
// kernel with an error wrapping EINVAL.
func New(k *kernel.Kernel, opts Options) *FS {
	if opts.StatusName == "" {
		opts.StatusName = "status"
	}
	if opts.DeviceMode == 0 {
		opts.DeviceMode = 0o666
	}
	f := &FS{
		k:      k,
		opts:   opts,
		start:  time.Now(),
		tasks:  taskTable{k: k, byPid: map[int]*taskRef{}},
		byName: map[string]*node{},
		byID:   map[uint64]*node{},
		nextID: statusID + 1,
	}
	f.root = &node{id: rootID, kind: kindRoot}
	f.status = &node{id: statusID, kind: kindStatus}
	f.byID[rootID], f.byID[statusID] = f.root, f.status
	return f
}

// Kernel returns the model kernel whose devices f exports.
func (f *FS) Kernel() *kernel.Kernel { return f.k }

// Tasks returns the number of live model tasks standing for real
// processes that hold files of f open.
func (f *FS) Tasks() int { return f.tasks.len() }

// node returns the node with the kernel's id, or nil.
func (f *FS) node(id uint64) *node {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.byID[id]
}

// lookup resolves a name in the root directory: a registered device, or
// the status file. It reports nil for anything else (ENOENT). Its cost
// does not depend on the number of devices.
func (f *FS) lookup(name string) *node {
	if _, ok := f.k.Device(name); ok {
		return f.deviceNode(name)
	}
	if f.opts.Status != nil && name == f.opts.StatusName {
		return f.status
	}
	return nil
}

// deviceNode returns the node of device name, giving it an id on first
// use.
func (f *FS) deviceNode(name string) *node {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.byName[name]
	if !ok {
		n = &node{id: f.nextID, kind: kindDevice, name: name}
		f.nextID++
		f.byName[name] = n
		f.byID[n.id] = n
	}
	return n
}

// attr describes node n: a directory, or an empty regular file (S_IFREG:
// a character-device or FIFO type would make the kernel treat the file
// as a real device and never call us). Size 0 is honest for a stream, and
// direct I/O makes the kernel ask us anyway.
func (f *FS) attr(n *node, a *fuseraw.Attr) {
	sec, nsec := uint64(f.start.Unix()), uint32(f.start.Nanosecond())
	*a = fuseraw.Attr{
		Ino: n.id, Nlink: 1, Blksize: 4096,
		Atime: sec, Mtime: sec, Ctime: sec,
		AtimeNsec: nsec, MtimeNsec: nsec, CtimeNsec: nsec,
	}
	switch n.kind {
	case kindRoot:
		a.Mode = syscall.S_IFDIR | 0o555 // nothing can be created in it
		a.Nlink = 2
	case kindStatus:
		a.Mode = syscall.S_IFREG | 0o444
	case kindDevice:
		a.Mode = syscall.S_IFREG | uint32(f.opts.DeviceMode.Perm())
	}
}
