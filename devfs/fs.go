package devfs

import (
	"context"
	"os"
	"sync"
	"syscall"
	"time"

	"bazil.org/fuse"
	"bazil.org/fuse/fs"

	"github.com/fasync-go/fasync/kernel"
)

// Options configure a file system made by New.
type Options struct {
	// Status, when non-nil, provides the contents of a read-only file
	// named StatusName beside the devices (SPEC B10). It is called once
	// per open of that file, on its first read, and must not block.
	Status func() []byte
	// StatusName names the status file; "" means "status". A device of
	// the same name hides the status file.
	StatusName string
	// DeviceMode holds the permission bits of the device files; 0 means
	// 0666 (like scull's nodes). Without a DefaultPermissions mount the
	// kernel does not check them; they are what ls shows.
	DeviceMode os.FileMode
}

// An FS serves one model kernel's device table as a FUSE file system. It
// implements bazil.org/fuse/fs.FS. Make one with New and serve it with
// FS.Mount; an FS is served at most once.
type FS struct {
	k     *kernel.Kernel
	opts  Options
	start time.Time // timestamps shown for every file
	tasks taskTable

	// srv is set by FS.Mount before serving starts and never changes after,
	// so handlers read it without a lock.
	srv *fs.Server

	// mu guards nodes, which keeps one node per device name so the
	// server sees the same Node for repeated lookups, and mounted.
	mu      sync.Mutex
	nodes   map[string]*deviceNode
	mounted bool
}

// New returns a file system exporting the devices registered in k. The
// device list is read on every lookup and directory listing, so devices
// registered later appear and unregistered ones vanish (files already
// open keep working, as Kernel.Unregister promises).
func New(k *kernel.Kernel, opts Options) *FS {
	if opts.StatusName == "" {
		opts.StatusName = "status"
	}
	if opts.DeviceMode == 0 {
		opts.DeviceMode = 0o666
	}
	return &FS{
		k:     k,
		opts:  opts,
		start: time.Now(),
		tasks: taskTable{k: k, byPid: map[int]*taskRef{}},
		nodes: map[string]*deviceNode{},
	}
}

// Kernel returns the model kernel whose devices f exports.
func (f *FS) Kernel() *kernel.Kernel { return f.k }

// Root returns the root directory (fs.FS).
func (f *FS) Root() (fs.Node, error) { return rootDir{f}, nil }

// Tasks returns the number of live model tasks standing for real
// processes that hold files of f open.
func (f *FS) Tasks() int { return f.tasks.len() }

// hasDevice reports whether name is in the kernel's device table.
func (f *FS) hasDevice(name string) bool {
	for _, d := range f.k.Devices() {
		if d == name {
			return true
		}
	}
	return false
}

// device returns the node for device name, creating it on first use.
func (f *FS) device(name string) *deviceNode {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.nodes[name]
	if !ok {
		n = &deviceNode{fs: f, name: name}
		f.nodes[name] = n
	}
	return n
}

// notify fires a FUSE poll wake-up. It is called by model wait queues
// (never with a queue lock held) and costs one write to /dev/fuse.
func (f *FS) notify(w fuse.PollWakeup) {
	if f.srv != nil {
		// An error means the kernel forgot the file (released) or the
		// connection is gone: nobody is left to wake.
		_ = f.srv.NotifyPollWakeup(w)
	}
}

// rootDir is the one directory: devices and the status file.
type rootDir struct{ fs *FS }

var (
	_ fs.Node               = rootDir{}
	_ fs.NodeStringLookuper = rootDir{}
	_ fs.HandleReadDirAller = rootDir{}
	_ fs.NodeRemover        = rootDir{}
	_ fs.NodeRenamer        = rootDir{}
	_ fs.NodeLinker         = rootDir{}
	_ fs.NodeSymlinker      = rootDir{}
	_ fs.NodeMknoder        = rootDir{}
	_ fs.NodeSetxattrer     = rootDir{}
	_ fs.NodeRemovexattrer  = rootDir{}
	_ fs.NodeSetattrer      = rootDir{}
)

// Attr reports a read-only-looking directory (r-x for everyone): nothing
// can be created in it.
func (d rootDir) Attr(ctx context.Context, a *fuse.Attr) error {
	a.Inode = 1
	a.Mode = os.ModeDir | 0o555
	a.Nlink = 2
	a.Atime, a.Mtime, a.Ctime = d.fs.start, d.fs.start, d.fs.start
	return nil
}

// Lookup finds a device or the status file; anything else is ENOENT.
func (d rootDir) Lookup(ctx context.Context, name string) (fs.Node, error) {
	if d.fs.hasDevice(name) {
		return d.fs.device(name), nil
	}
	if d.fs.opts.Status != nil && name == d.fs.opts.StatusName {
		return statusNode{d.fs}, nil
	}
	return nil, syscall.ENOENT
}

// ReadDirAll lists the devices, then the status file.
func (d rootDir) ReadDirAll(ctx context.Context) ([]fuse.Dirent, error) {
	names := d.fs.k.Devices()
	ents := make([]fuse.Dirent, 0, len(names)+1)
	seen := false
	for _, n := range names {
		ents = append(ents, fuse.Dirent{Name: n, Type: fuse.DT_File})
		seen = seen || n == d.fs.opts.StatusName
	}
	if d.fs.opts.Status != nil && !seen {
		ents = append(ents, fuse.Dirent{Name: d.fs.opts.StatusName, Type: fuse.DT_File})
	}
	return ents, nil
}

// The directory's contents are the kernel's device table: no name can be
// made, removed or renamed from outside. Create and Mkdir are refused by
// bazil itself (EPERM) because rootDir does not implement them.

// Remove refuses unlink and rmdir.
func (rootDir) Remove(context.Context, *fuse.RemoveRequest) error { return syscall.EPERM }

// Rename refuses rename.
func (rootDir) Rename(context.Context, *fuse.RenameRequest, fs.Node) error { return syscall.EPERM }

// Link refuses hard links.
func (rootDir) Link(context.Context, *fuse.LinkRequest, fs.Node) (fs.Node, error) {
	return nil, syscall.EPERM
}

// Symlink refuses symbolic links.
func (rootDir) Symlink(context.Context, *fuse.SymlinkRequest) (fs.Node, error) {
	return nil, syscall.EPERM
}

// Mknod refuses device and FIFO nodes.
func (rootDir) Mknod(context.Context, *fuse.MknodRequest) (fs.Node, error) {
	return nil, syscall.EPERM
}

// Setxattr refuses extended attributes.
func (rootDir) Setxattr(context.Context, *fuse.SetxattrRequest) error { return syscall.EPERM }

// Removexattr refuses extended attributes.
func (rootDir) Removexattr(context.Context, *fuse.RemovexattrRequest) error {
	return syscall.EPERM
}

// Setattr refuses chmod, chown and utimes on the directory.
func (rootDir) Setattr(context.Context, *fuse.SetattrRequest, *fuse.SetattrResponse) error {
	return syscall.EPERM
}
