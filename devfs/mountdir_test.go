package devfs_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/fusetest"
	"github.com/fasync-go/fasync/kernel"
)

// U5: Mount and MountWith refuse every mount point fasync mount refuses,
// before anything is mounted, with a *MountDirError naming the directory
// and the reason and wrapping Linux's errno; NonEmpty never allows /,
// /proc, /sys, /dev or what lies beneath them (a symbolic link does not
// get around it). None of this needs FUSE.
func TestMountDirRefusals(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	full := filepath.Join(tmp, "full")
	toProc := filepath.Join(tmp, "to-proc")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(full, "kept"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/proc", toProc); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir      string
		nonEmpty bool
		errno    syscall.Errno
		why      string
	}{
		{"", false, syscall.ENOENT, "the path is empty"},
		{"", true, syscall.ENOENT, "the path is empty"},
		{filepath.Join(tmp, "missing"), false, syscall.ENOENT, "no such directory"},
		{file, false, syscall.ENOTDIR, "not a directory"},
		{file, true, syscall.ENOTDIR, "not a directory"},
		{filepath.Join(file, "below"), false, syscall.ENOTDIR, "not a directory"},
		{full, false, syscall.ENOTEMPTY, "not empty (kept)"},
		{"/", true, syscall.EPERM, "would hide every file"},
		{"/proc", false, syscall.EPERM, "/proc, which the server itself reads"},
		{"/proc", true, syscall.EPERM, "/proc, which the server itself reads"},
		{"/proc/self/fdinfo", true, syscall.EPERM, "/proc, which the server itself reads"},
		{toProc, true, syscall.EPERM, "it is /proc, which"},
		{"/sys", true, syscall.EPERM, "/sys, which the server itself reads"},
		{"/sys/fs/fuse/connections", true, syscall.EPERM, "/sys, which the server itself reads"},
		{"/dev", true, syscall.EPERM, "/dev, which the server itself reads"},
		{"/dev/shm", true, syscall.EPERM, "/dev, which the server itself reads"},
	} {
		before := fusetest.MountsAt(t, c.dir)
		_, err := devfs.CheckMountDir(c.dir, c.nonEmpty)
		k := kernel.New(kernel.Config{})
		_, merr := devfs.New(k, devfs.Options{}).MountWith(c.dir, devfs.MountOptions{NonEmpty: c.nonEmpty})
		k.Close()
		for _, e := range []error{err, merr} {
			var refused *devfs.MountDirError
			if !errors.As(e, &refused) || !errors.Is(e, c.errno) || refused.Dir != c.dir ||
				!strings.Contains(e.Error(), c.why) || !strings.Contains(e.Error(), `"`+c.dir+`"`) {
				t.Errorf("U5: %q (nonempty %v): %v; want a *MountDirError naming it, saying %q, wrapping %v",
					c.dir, c.nonEmpty, e, c.why, c.errno)
			}
		}
		if after := fusetest.MountsAt(t, c.dir); after != before {
			t.Errorf("U5: %q (nonempty %v): refused, yet %d mounts became %d", c.dir, c.nonEmpty, before, after)
		}
	}

	got, err := devfs.CheckMountDir(full, true)
	if want, _ := filepath.EvalSymlinks(full); err != nil || got != want {
		t.Errorf("U5: CheckMountDir(%q, nonempty) = %q, %v; want %q", full, got, err, want)
	}
	empty := filepath.Join(tmp, "empty")
	link := filepath.Join(tmp, "to-empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("empty", link); err != nil {
		t.Fatal(err)
	}
	if got, err := devfs.CheckMountDir(link, false); err != nil || got != empty {
		t.Errorf("U5: CheckMountDir(%q) = %q, %v; want %q, the link resolved", link, got, err, empty)
	}
}

// U5: a directory that is already a mount point is refused with EBUSY,
// and allowed with NonEmpty.
func TestMountDirMountPoint(t *testing.T) {
	dir := t.TempDir()
	if err := unix.Mount("fasync-test", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("skipping: mounting a tmpfs to test on needs root (CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmounting the test's tmpfs: %v", err)
		}
	})
	_, err := devfs.CheckMountDir(dir, false)
	var refused *devfs.MountDirError
	if !errors.As(err, &refused) || !errors.Is(err, syscall.EBUSY) || !strings.Contains(err.Error(), "already a mount point") {
		t.Errorf("U5: an empty mount point: %v; want a *MountDirError wrapping EBUSY", err)
	}
	if got, err := devfs.CheckMountDir(dir, true); err != nil || got != dir {
		t.Errorf("U5: a mount point with NonEmpty: %q, %v; want it allowed", got, err)
	}
}

// U5: a file system made by New with a nil kernel does not mount (EINVAL),
// and a refused Mount leaves the file system free to mount elsewhere.
func TestMountRefusalsLeaveNothing(t *testing.T) {
	dir := t.TempDir()
	if _, err := devfs.New(nil, devfs.Options{}).Mount(dir); !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), "nil") {
		t.Errorf("U5: New(nil).Mount: %v; want an error wrapping EINVAL that says the kernel is nil", err)
	}
	if mounted(t, dir) {
		t.Fatal("U5: New(nil).Mount mounted")
	}
	requireFUSE(t)
	k := kernel.New(kernel.Config{})
	defer k.Close()
	fsys := devfs.New(k, devfs.Options{Transport: devfs.Classic})
	if _, err := fsys.Mount("/proc"); !errors.Is(err, syscall.EPERM) {
		t.Fatalf("U5: Mount(/proc): %v; want EPERM", err)
	}
	m, err := fsys.Mount(dir)
	if err != nil {
		t.Fatalf("U5: Mount after a refusal: %v", err)
	}
	if want, _ := filepath.EvalSymlinks(dir); m.Dir != want || !mounted(t, m.Dir) {
		t.Errorf("U5: Mount.Dir %q (mounted %v); want %q, mounted", m.Dir, mounted(t, m.Dir), want)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
