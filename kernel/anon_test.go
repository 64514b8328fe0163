package kernel

import (
	"context"
	"errors"
	"testing"
)

// anonDev counts its opens and releases, to show what InstallFiles calls.
type anonDev struct{ opens, releases int }

func (d *anonDev) Open(context.Context, *File) error { d.opens++; return nil }
func (d *anonDev) Release(*File) error               { d.releases++; return nil }

// TestInstallFiles: files with no device name, as pipe2 makes them (SPEC
// P1): lowest free descriptors in order, the flags each keeps, FD_CLOEXEC
// from O_CLOEXEC, no Open, Release at the last close, all or nothing.
func TestInstallFiles(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("t", Cred{})
	d := &anonDev{}
	fds, err := task.InstallFiles("anon", d, O_RDONLY|O_NONBLOCK, O_WRONLY|O_DIRECT|O_CLOEXEC)
	if err != nil || len(fds) != 2 || fds[0] != 0 || fds[1] != 1 {
		t.Fatalf("InstallFiles = %v, %v; want [0 1]", fds, err)
	}
	for i, want := range []struct{ fl, fd int }{{O_RDONLY | O_NONBLOCK, 0}, {O_WRONLY | O_DIRECT, FD_CLOEXEC}} {
		if fl := mustFcntl(t, task, fds[i], F_GETFL, 0); fl != want.fl {
			t.Errorf("P1: F_GETFL(%d) = %#x, want %#x", fds[i], fl, want.fl)
		}
		if v := mustFcntl(t, task, fds[i], F_GETFD, 0); v != want.fd {
			t.Errorf("P1: F_GETFD(%d) = %d, want %d", fds[i], v, want.fd)
		}
	}
	if f, _ := task.File(fds[0]); f.Name() != "anon" || f.Driver() != Driver(d) {
		t.Errorf("file named %q, driver %v", f.Name(), f.Driver())
	}
	if _, err := k.NewTask("u", Cred{}).Open(context.Background(), "anon", O_RDONLY); !errors.Is(err, ENOENT) {
		t.Errorf("Open by the files' name = %v, want ENOENT: they are in no device table", err)
	}
	task.Close(fds[0])
	task.Close(fds[1])
	if d.opens != 0 || d.releases != 2 {
		t.Errorf("opens %d, releases %d; want 0 and 2", d.opens, d.releases)
	}
	for _, bad := range [][]int{{O_ACCMODE}, {O_RDONLY | FASYNC}, {O_RDONLY | 0x40}} {
		if _, err := task.InstallFiles("anon", d, bad...); !errors.Is(err, EINVAL) {
			t.Errorf("A14: InstallFiles(%#x) = %v, want EINVAL", bad, err)
		}
	}
	if _, err := task.InstallFiles("anon", nil, O_RDONLY); !errors.Is(err, EINVAL) {
		t.Errorf("A14: InstallFiles(nil) = %v, want EINVAL", err)
	}
	// One slot left, two files asked for: EMFILE, and the slot stays free.
	for i := 0; i < maxFiles-1; i++ {
		if _, err := task.InstallFiles("anon", d, O_RDONLY); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := task.InstallFiles("anon", d, O_RDONLY, O_WRONLY); !errors.Is(err, EMFILE) {
		t.Fatalf("InstallFiles past the limit = %v, want EMFILE", err)
	}
	if fds, err := task.InstallFiles("anon", d, O_RDONLY); err != nil || fds[0] != maxFiles-1 {
		t.Errorf("after EMFILE the last slot gives %v, %v; want [%d]", fds, err, maxFiles-1)
	}
	task.Exit()
	if _, err := task.InstallFiles("anon", d, O_RDONLY); !errors.Is(err, ESRCH) {
		t.Errorf("InstallFiles on an exited task = %v, want ESRCH", err)
	}
}
