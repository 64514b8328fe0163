package devfs_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/testutil"
)

// R3, M1, B3, B9: cat sleeps on the empty device, then prints exactly what
// echo wrote through shell ">" redirection (which truncates: accepted as a
// no-op), and sleeps again: there is no end-of-file without writers.
func TestCatBlocksThenPrintsEcho(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		cat := start(t, "cat", e.dev(0))
		waitBlocked(t, cat.pid(), sysRead) // B3: read on empty sleeps

		run(t, "sh", "-c", "echo hello > "+e.dev(0))
		cat.expect("hello")

		run(t, "sh", "-c", "echo world >> "+e.dev(0))
		cat.expect("world")
		// B3: no EOF, cat's next READ waits in the driver (where the
		// cleanup's SIGKILL interrupts it on either transport).
		e.waitQueued(t, 0, 1)
	})
}

// R3, M1, B3, B4: dd writes more than the buffer holds into the device
// while another dd reads it out; both sleep in turn and every byte comes
// through in order.
func TestDDBothWays(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		src := filepath.Join(t.TempDir(), "src")
		dst := filepath.Join(t.TempDir(), "dst")
		data := make([]byte, 256*1024)
		rand.Read(data)
		if err := os.WriteFile(src, data, 0o600); err != nil {
			t.Fatal(err)
		}
		reader := start(t, "dd", "if="+e.dev(0), "of="+dst, "bs=4096", "count=64", "iflag=fullblock", "status=none")
		writer := start(t, "dd", "if="+src, "of="+e.dev(0), "bs=65536", "status=none")
		if err := writer.wait(); err != nil {
			t.Fatalf("dd writer: %v", err)
		}
		if err := reader.wait(); err != nil {
			t.Fatalf("dd reader: %v", err)
		}
		got, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("dd copied %d bytes, want %d identical", len(got), len(data))
		}
	})
}

// R3, B9, B8: while the device is open somewhere, data written by one
// process stays for the next opener (open does not discard it); once the
// last file has closed the buffer is freed, and the data with it.
func TestOpenKeepsData(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		client := cclient(t, "devclient")
		holder := e.hold(t, 0)
		if got := run(t, client, "write", e.dev(0), "kept"); got != "wrote 4" {
			t.Fatalf("write: %q", got)
		}
		if got := run(t, client, "read", e.dev(0), "nonblock-open"); got != "data kept" {
			t.Fatalf("B9: read after reopen: %q", got)
		}
		if got := run(t, client, "write", e.dev(0), "lost"); got != "wrote 4" {
			t.Fatalf("write: %q", got)
		}
		holder.cmd.Process.Kill()
		holder.wait()
		// The kernel sends RELEASE after the last close has returned, and
		// the signal bridge may hold the file for a moment while it looks
		// at its owner: wait for the release before opening again.
		testutil.WaitFor(t, "the last file to be released", func() bool { return statusReaders(e) == 0 })
		if got := runStatus(t, client, "read", e.dev(0), "nonblock-open"); got != "read EAGAIN" {
			t.Fatalf("B8: read after the last close: %q, want EAGAIN (buffer freed)", got)
		}
	})
}

// R3: everything that is not a device read, write, poll or the status
// view is refused cleanly with the errno a program can act on.
func TestRefusals(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 2, 4000)
		status := filepath.Join(e.Dir, "status")
		cases := []struct {
			name string
			op   func() error
			want error // nil: must succeed
		}{
			{"unknown-name/open", func() error { return openRaw(filepath.Join(e.Dir, "nosuch"), os.O_RDONLY) }, syscall.ENOENT},
			{"unknown-name/stat", func() error { _, err := os.Stat(filepath.Join(e.Dir, "scullpipe9")); return err }, syscall.ENOENT},
			{"create", func() error { return openRaw(filepath.Join(e.Dir, "new"), os.O_CREATE|os.O_WRONLY) }, syscall.EPERM},
			{"mkdir", func() error { return os.Mkdir(filepath.Join(e.Dir, "d"), 0o755) }, syscall.EPERM},
			{"mknod-fifo", func() error { return syscall.Mkfifo(filepath.Join(e.Dir, "fifo"), 0o666) }, syscall.EPERM},
			{"unlink", func() error { return os.Remove(e.dev(0)) }, syscall.EPERM},
			{"rename", func() error { return os.Rename(e.dev(0), filepath.Join(e.Dir, "x")) }, syscall.EPERM},
			{"rename-over", func() error { return os.Rename(e.dev(0), e.dev(1)) }, syscall.EPERM},
			{"link", func() error { return os.Link(e.dev(0), filepath.Join(e.Dir, "x")) }, syscall.EPERM},
			{"symlink", func() error { return os.Symlink(e.dev(0), filepath.Join(e.Dir, "x")) }, syscall.EPERM},
			{"setxattr", func() error { return syscall.Setxattr(e.dev(0), "user.x", []byte("1"), 0) }, syscall.EPERM},
			{"removexattr", func() error { return syscall.Removexattr(e.dev(0), "user.x") }, syscall.EPERM},
			{"chmod", func() error { return os.Chmod(e.dev(0), 0o600) }, syscall.EPERM},
			{"chown", func() error { return os.Chown(e.dev(0), 1, 1) }, syscall.EPERM},
			{"truncate-device-to-0", func() error { return os.Truncate(e.dev(0), 0) }, nil},
			{"truncate-device-to-10", func() error { return os.Truncate(e.dev(0), 10) }, syscall.EINVAL},
			{"open-O_TRUNC-device", func() error { return openRaw(e.dev(0), os.O_WRONLY|os.O_TRUNC) }, nil},
			{"status-open-for-write", func() error { return openRaw(status, os.O_WRONLY) }, syscall.EACCES},
			{"status-truncate", func() error { return os.Truncate(status, 0) }, syscall.EACCES},
			{"status-unlink", func() error { return os.Remove(status) }, syscall.EPERM},
			{"fsync-device", func() error { return fsyncRaw(e.dev(0)) }, syscall.EINVAL},
			{"getxattr", func() error { _, err := syscall.Getxattr(e.dev(0), "user.x", nil); return err }, syscall.ENODATA},
		}
		for _, c := range cases {
			t.Run("R3/"+c.name, func(t *testing.T) {
				err := c.op()
				if c.want == nil {
					if err != nil {
						t.Fatalf("got %v, want success", err)
					}
					return
				}
				if !errors.Is(err, c.want) {
					t.Fatalf("got %v, want %v", err, c.want)
				}
			})
		}
	})
}

// R3: the directory lists the devices and the status file, all regular
// files (a character-device or FIFO type would bypass the server).
func TestListing(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 3, 4000)
		// A directory of the mount has no poll operation, so os.ReadDir does
		// not put it in the netpoller (see openRaw).
		ents, err := os.ReadDir(e.Dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, ent := range ents {
			names = append(names, ent.Name())
			if !ent.Type().IsRegular() {
				t.Errorf("%s has type %v, want a regular file", ent.Name(), ent.Type())
			}
		}
		if got, want := strings.Join(names, " "), "scullpipe0 scullpipe1 scullpipe2 status"; got != want {
			t.Fatalf("listing %q, want %q", got, want)
		}
		fi, err := os.Stat(e.dev(1))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != 0o666 {
			t.Errorf("device mode %v, want -rw-rw-rw-", fi.Mode())
		}
	})
}

// B10, R3: the status view is a read-only file; reading it never blocks,
// even while a reader sleeps on a device, and small reads in order see
// every line whole.
func TestStatusFile(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 2, 4000)
		start(t, "cat", e.dev(1))
		e.waitQueued(t, 1, 1)
		run(t, "sh", "-c", "printf abc > "+e.dev(0))

		whole := run(t, "cat", filepath.Join(e.Dir, "status")) // trimmed
		if whole == "" || !strings.Contains(whole, "scullpipe0") || !strings.Contains(whole, "scullpipe1") {
			t.Fatalf("status view does not name the devices:\n%s", whole)
		}
		if want := strings.TrimSpace(e.Pipes.StatusText()); whole != want {
			t.Fatalf("status file differs from the driver's view:\n%s\nwant:\n%s", whole, want)
		}
		// The cat asleep on scullpipe1 waits as a queued read (B10).
		if f := strings.Fields(strings.Split(whole, "\n")[2]); f[0] != "scullpipe1" || f[len(f)-1] != "1" {
			t.Fatalf("B10: status row %q does not count the reader waiting on scullpipe1", f)
		}
		// dd with 7-byte blocks: many reads of one open, each line whole.
		small := run(t, "dd", "if="+filepath.Join(e.Dir, "status"), "bs=7", "status=none")
		if small != whole {
			t.Fatalf("status read in 7-byte pieces differs:\n%s\nwant:\n%s", small, whole)
		}
	})
}

// B10, R3: the status view of thousands of devices is made a read
// window at a time and still reads as one text, from the start or from
// an offset (a seek back starts the records again), and the listing of
// so many names reads whole.
func TestStatusFileLarge(t *testing.T) {
	e := mountScull(t, devfs.Classic, 3000, 4000)
	want := e.Pipes.StatusText()
	status := filepath.Join(e.Dir, "status")
	out := filepath.Join(t.TempDir(), "out")
	// Written to a file: the output is more lines than start collects.
	readOut := func() string {
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// R3: the listing is every device, then the status file.
	if got := run(t, "sh", "-c", "ls -f "+e.Dir+" | wc -l"); got != "3003" { // . .. 3000 status
		t.Fatalf("ls -f lists %s entries, want 3003", got)
	}
	run(t, "dd", "if="+status, "of="+out, "bs=64k", "status=none")
	if got := readOut(); got != want {
		t.Fatalf("dd of status: %d bytes, want %d", len(got), len(want))
	}
	// One open, preads forwards, back and forwards again.
	const py = `import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
with open(sys.argv[2], "wb") as out:
    for off, n in ((40960, 4096), (7, 100), (45056, 50), (200000, 10)):
        out.write(os.pread(fd, n, off))
`
	run(t, "python3", "-c", py, status, out)
	wantPreads := want[40960:40960+4096] + want[7:107] + want[45056:45056+50] + want[200000:200010]
	if got := readOut(); got != wantPreads {
		t.Fatalf("preads of status: got %q..., want %q...", got[:min(len(got), 80)], wantPreads[:80])
	}
}

// R3, F2: kernel FUSE has no fasync. F_SETFL with O_ASYNC succeeds but
// F_GETFL does not show it; the signal bridge goes by the owner instead
// (bridge_test.go).
func TestNoFasyncThroughFUSE(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		if got := run(t, cclient(t, "devclient"), "async", e.dev(0)); got != "setfl 0 getfl-async 0" {
			t.Fatalf("O_ASYNC on an exported file: %q, want F_SETFL 0 and no O_ASYNC in F_GETFL", got)
		}
	})
}

// R3: a model task stands for each real process while it holds files and
// exits with its last file.
func TestTaskPerProcess(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 2, 4000)
		a := start(t, "cat", e.dev(0))
		b := start(t, "sh", "-c", "exec 3<"+e.dev(1)+"; exec cat "+e.dev(0)) // two files, one process
		e.waitQueued(t, 0, 2)
		if n := e.FS.Tasks(); n != 2 {
			t.Fatalf("%d model tasks for 2 processes", n)
		}
		a.cmd.Process.Kill()
		b.cmd.Process.Kill()
		a.wait()
		b.wait()
		testutil.WaitFor(t, "model tasks to exit with their last file", func() bool { return e.FS.Tasks() == 0 })
	})
}

// fsyncRaw opens path without the netpoller (see openRaw), fsyncs it and
// reports fsync's error.
func fsyncRaw(path string) error {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	return unix.Fsync(fd)
}
