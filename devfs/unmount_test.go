package devfs_test

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/testutil"
	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

// R4: with no file open, Close unmounts and serving ends.
func TestCloseUnmounts(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		run(t, "sh", "-c", "echo x > "+e.dev(0))
		if err := e.M.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if mounted(t, e.Dir) {
			t.Fatal("still mounted after Close")
		}
		<-e.M.Done()
		if err := e.M.Err(); err != nil {
			t.Fatalf("serving ended with %v", err)
		}
	})
}

// R4: while a client holds a file open a plain unmount is EBUSY; Close
// then detaches lazily: the name vanishes at once, the client keeps
// working through its descriptor, and Close returns when it closes.
func TestCloseLazyWhileOpen(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		goAhead, tell, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer tell.Close()
		client := startIn(t, goAhead, "sh", "-c",
			"exec 3<>"+e.dev(0)+"; echo open; read x; echo through >&3; dd bs=8 count=1 status=none <&3; exec 3>&-")
		goAhead.Close()
		client.expect("open")

		if err := e.M.Unmount(false); !errors.Is(err, syscall.EBUSY) {
			t.Fatalf("plain unmount with a file open: %v, want EBUSY", err)
		}
		closed := make(chan error, 1)
		go func() { closed <- e.M.Close() }()
		testutil.WaitFor(t, "the mount to be detached", func() bool { return !mounted(t, e.Dir) })
		select {
		case err := <-closed:
			t.Fatalf("Close returned (%v) while a client still held a file open", err)
		default:
		}

		tell.Write([]byte("go\n"))
		client.expect("through")
		if err := client.wait(); err != nil {
			t.Fatalf("client: %v", err)
		}
		select {
		case err := <-closed:
			if err != nil {
				t.Fatalf("Close: %v", err)
			}
		case <-time.After(patience):
			t.Fatalf("Close did not return within %v of the last close", patience)
		}
	})
}

// R4: a second mount of the same file system is refused, and CheckHost's
// error names what is missing.
func TestMountTwice(t *testing.T) {
	requireFUSE(t)
	k := kernel.New(kernel.Config{})
	defer k.Close()
	if _, err := scull.Register(k, scull.Config{Devices: 1}); err != nil {
		t.Fatal(err)
	}
	fsys := devfs.New(k, devfs.Options{})
	m, err := fsys.Mount(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := fsys.Mount(t.TempDir()); !errors.Is(err, syscall.EBUSY) {
		t.Fatalf("second mount: %v, want EBUSY", err)
	}
}

// R4: Abort ends a connection even with a client asleep in the driver:
// the client fails with ECONNABORTED instead of hanging, and serving ends.
func TestAbort(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		requireFusectl(t)
		e := mountScull(t, tr, 1, 4000)
		cat := start(t, "cat", e.dev(0))
		waitBlocked(t, cat.pid(), sysRead)
		if err := e.M.Abort(); err != nil {
			t.Fatal(err)
		}
		if err := cat.wait(); err == nil {
			t.Fatal("cat exited 0 after the abort, want a failure")
		}
		select {
		case <-e.M.Done():
		case <-time.After(patience):
			t.Fatal("serving did not end after the abort")
		}
	})
}
