// Package benchfile holds what every benchmark of the tree shares below
// the harness (internal/bench): the data file the AIO benchmarks read, a
// xorshift random source and the process's CPU time. It imports nothing
// of the project, so the tests of aio and internal/uring, which
// internal/bench imports, can use it too.
//
// The data file is a cache: `fasync bench aio` and the go test
// benchmarks of aio and internal/uring share one file, Shared (by
// default fasync-bench.dat in the temporary directory, 1 GiB once the go
// test benchmarks have run), so it is laid out once per machine and kept
// for the next run; `fasync bench aio --clean` removes it. A file the
// benchmarks lay out carries an extended attribute (Mark) saying so, and
// only such a file is grown without being told to: a file they did not
// make is read as it is, written only with leave, and never removed.
package benchfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// CacheName is the data file's name in the temporary directory.
const CacheName = "fasync-bench.dat"

// SharedSize is the size the go test benchmarks use: 1 GiB.
const SharedSize = 1 << 30

// Mark is the extended attribute that names a file the benchmarks laid
// out; its value is the layout's version.
const (
	Mark       = "user.fasync.bench"
	markLayout = "data v1"
)

// Shared returns the path of the benchmarks' data file:
// $FASYNC_BENCH_FILE, or CacheName in the temporary directory.
func Shared() string {
	if name := os.Getenv("FASYNC_BENCH_FILE"); name != "" {
		return name
	}
	return filepath.Join(os.TempDir(), CacheName)
}

// ErrNotRegular is what Prepare reports for a file that is no regular
// file on a disk (a device, a FIFO, a directory, a file of /proc or
// /sys): a benchmark cannot lay it out or seek in it.
var ErrNotRegular = fmt.Errorf("not a regular file: %w", syscall.EINVAL)

// ErrForeign is what Prepare reports for a file the benchmarks did not
// lay out when the use would grow or write it without leave, and what
// Remove reports for such a file.
var ErrForeign = fmt.Errorf("not laid out by fasync: %w", syscall.EPERM)

// A refusal is a Prepare or Remove error of kind ErrNotRegular or
// ErrForeign with a message of its own.
type refusal struct {
	msg  string
	kind error
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return r.kind }

func refuse(kind error, format string, args ...any) error {
	return &refusal{msg: fmt.Sprintf(format, args...), kind: kind}
}

// A Use says what a benchmark will do with the data file.
type Use struct {
	Cache     bool      // read it once, so later reads hit the page cache
	Write     bool      // the benchmark writes to it
	Grow      bool      // leave to lay out a file the benchmarks did not make, up to the size
	Overwrite bool      // leave to write to a file the benchmarks did not make
	Progress  io.Writer // a note when the file is laid out (nil: none)
}

// Prepare makes sure name holds at least size bytes for a benchmark:
// it lays out a missing file (pseudo-random data, marked as the
// benchmarks'), grows one the benchmarks made, and refuses, before
// writing anything, a file that is not a regular one (ErrNotRegular) or
// that it did not make and would have to grow or write to without leave
// (ErrForeign). With u.Cache it reads the first size bytes once so later
// reads hit the page cache, as fio's do on a file it has just laid out.
func Prepare(name string, size int64, u Use) error {
	f, created, err := openData(name)
	if err != nil {
		return err
	}
	defer func() { f.Close() }() // f is reopened to lay a file out
	st, err := f.Stat()
	if err != nil {
		return err
	}
	ours := created || marked(name, f)
	if !ours {
		switch {
		case st.Size() < size && !u.Grow:
			return refuse(ErrForeign, "%s holds %d bytes, fewer than the %d asked, and fasync did not lay it out: pass --grow to lay it out to the size, or name another file",
				name, st.Size(), size)
		case u.Write && !u.Overwrite:
			return refuse(ErrForeign, "%s was not laid out by fasync and a write job would overwrite it: pass --overwrite, or name another file", name)
		}
	}
	if created {
		// Marked first: a layout cut short is still the benchmarks' to finish.
		if err := unix.Fsetxattr(int(f.Fd()), Mark, []byte(markLayout), 0); err != nil && !errors.Is(err, unix.ENOTSUP) {
			return fmt.Errorf("%s: marking it: %w", name, err)
		}
	}
	chunk := make([]byte, 1<<20)
	if st.Size() < size {
		if !created {
			g, err := os.OpenFile(name, os.O_RDWR, 0)
			if err != nil {
				return err
			}
			f.Close()
			f = g
		}
		if u.Progress != nil {
			fmt.Fprintf(u.Progress, "laying out %s (%d bytes)\n", name, size)
		}
		// xorshift: cheap, and incompressible enough for storage.
		rnd := NewRand(0)
		for off := st.Size() - st.Size()%int64(len(chunk)); off < size; off += int64(len(chunk)) {
			rnd.Fill(chunk)
			if _, err := f.WriteAt(chunk[:min(int64(len(chunk)), size-off)], off); err != nil {
				return err
			}
		}
	}
	if u.Cache {
		for off := int64(0); off < size; off += int64(len(chunk)) {
			if _, err := f.ReadAt(chunk[:min(int64(len(chunk)), size-off)], off); err != nil {
				return err
			}
		}
	}
	return nil
}

// openData opens name, creating it if missing, and refuses what is not
// a regular file on a disk before anything is written. created reports
// whether this call made the file; a file it did not make is opened
// read-only (Prepare reopens it to lay it out).
func openData(name string) (f *os.File, created bool, err error) {
	// O_NONBLOCK: opening a FIFO must not wait for a partner.
	f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NONBLOCK, 0o644)
	if err == nil {
		return f, true, nil
	}
	if !errors.Is(err, os.ErrExist) {
		return nil, false, err
	}
	if err := checkRegular(name); err != nil {
		return nil, false, err
	}
	if f, err = os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0); err != nil {
		return nil, false, err
	}
	// The name could have changed between the look and the open.
	if err := checkRegularFile(name, f); err != nil {
		f.Close()
		return nil, false, err
	}
	return f, false, nil
}

// checkRegular refuses a name that is no regular file, following links.
func checkRegular(name string) error {
	st, err := os.Stat(name)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return refuse(ErrNotRegular, "%s is %s, not a regular file", name, describeMode(st.Mode()))
	}
	return nil
}

// checkRegularFile refuses an open file that is no regular file, or one
// on a pseudo file system whose sizes mean nothing (/proc, /sys).
func checkRegularFile(name string, f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return refuse(ErrNotRegular, "%s is %s, not a regular file", name, describeMode(st.Mode()))
	}
	var fs unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &fs); err != nil {
		return err
	}
	switch fs.Type {
	case unix.PROC_SUPER_MAGIC, unix.SYSFS_MAGIC, unix.DEBUGFS_MAGIC, unix.TRACEFS_MAGIC, unix.SECURITYFS_MAGIC, unix.CGROUP2_SUPER_MAGIC:
		return refuse(ErrNotRegular, "%s is a file of a pseudo file system (/proc, /sys), not a regular file on a disk", name)
	}
	return nil
}

func describeMode(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}

// marked reports whether f, opened as name, carries Mark with the
// current layout. On a file system without user extended attributes the
// file Shared names counts as marked: it is the benchmarks' by name.
func marked(name string, f *os.File) bool {
	buf := make([]byte, 64)
	n, err := unix.Fgetxattr(int(f.Fd()), Mark, buf)
	if errors.Is(err, unix.ENOTSUP) {
		return filepath.Clean(name) == filepath.Clean(Shared())
	}
	return err == nil && string(buf[:n]) == markLayout
}

// Ours reports whether name is a regular file the benchmarks laid out.
func Ours(name string) (bool, error) {
	if err := checkRegular(name); err != nil {
		return false, err
	}
	f, err := os.Open(name)
	if err != nil {
		return false, err
	}
	defer f.Close()
	return marked(name, f), nil
}

// Remove deletes name if the benchmarks laid it out, and reports the
// bytes it held; it refuses any other file (ErrForeign, ErrNotRegular).
func Remove(name string) (int64, error) {
	ours, err := Ours(name)
	if err != nil {
		return 0, err
	}
	if !ours {
		return 0, refuse(ErrForeign, "%s was not laid out by fasync: left in place", name)
	}
	st, err := os.Stat(name)
	if err != nil {
		return 0, err
	}
	return st.Size(), os.Remove(name)
}

// OpenShared opens the shared file (Shared) with flag, after laying it
// out to SharedSize bytes if it falls short and, unless flag asks for
// O_DIRECT, reading it once so its pages are cached. The first call of a
// process says on stderr where the file is.
func OpenShared(flag int) (*os.File, error) {
	name := Shared()
	if err := Prepare(name, SharedSize, Use{Cache: flag&syscall.O_DIRECT == 0}); err != nil {
		return nil, fmt.Errorf("bench file: %w", err)
	}
	sharedNote.Do(func() {
		fmt.Fprintf(os.Stderr, "benchmark data file %s, kept for the next run (fasync bench aio --clean removes it)\n", name)
	})
	return os.OpenFile(name, flag, 0)
}

var sharedNote sync.Once

// PageBuffers maps n buffers of size bytes outside the Go heap, each
// starting on a page boundary (a destination aligned to less halves copy
// speed on these CPUs), filled with random bytes; free unmaps them.
func PageBuffers(n int, size int64) (bufs [][]byte, free func(), err error) {
	per := (size + 4095) &^ 4095
	mem, err := unix.Mmap(-1, 0, int(per)*n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
	if err != nil {
		return nil, nil, fmt.Errorf("buffers: %w", err)
	}
	rnd := NewRand(12345)
	rnd.Fill(mem)
	bufs = make([][]byte, n)
	for i := range bufs {
		bufs[i] = mem[int64(i)*per : int64(i)*per+size : int64(i)*per+size]
	}
	return bufs, func() { unix.Munmap(mem) }, nil
}
