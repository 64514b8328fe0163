package sigio

import (
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/linux"
)

// awaitSIGIO waits for a notification on c.C.
func awaitSIGIO(t *testing.T, c *Classic, what string) {
	t.Helper()
	select {
	case s := <-c.C:
		if s != syscall.SIGIO {
			t.Fatalf("%s: got %v, want SIGIO", what, s)
		}
	case <-time.After(deadline):
		t.Fatalf("%s: no SIGIO within %v", what, deadline)
	}
}

// TestClassic: the seeds' mode: the process owns the descriptor, plain
// SIGIO arrives through os/signal, and Unwatch restores everything
// (SPEC B11, R1).
func TestClassic(t *testing.T) {
	c := NewClassic()
	defer c.Close()
	r, wr := pipe(t)
	before := stateOf(t, r)
	if err := c.Watch(r); err != nil {
		t.Fatal(err)
	}
	want := fdState{flags: before.flags | unix.O_ASYNC, owner: linux.FOwnerEx{Type: F_OWNER_PID, Pid: int32(unix.Getpid())}}
	if s := stateOf(t, r); s != want {
		t.Fatalf("armed %+v, want %+v", s, want)
	}
	if own, _ := unix.FcntlInt(uintptr(r), unix.F_GETOWN, 0); own != unix.Getpid() {
		t.Fatalf("F_GETOWN %d, want getpid %d", own, unix.Getpid())
	}
	for i := range 20 {
		write(t, wr, []byte{'x'})
		awaitSIGIO(t, c, "write")
		if n := drain(t, r); n != 1 {
			t.Fatalf("round %d: read %d bytes, want 1", i, n)
		}
	}
	if err := c.Unwatch(r); err != nil {
		t.Fatal(err)
	}
	if s := stateOf(t, r); s != before {
		t.Fatalf("after Unwatch %+v, was %+v", s, before)
	}
}

// TestClassicInitialAndErrors: data already waiting is announced at Watch;
// misuse gets the same errors as a Watcher (SPEC B11, R2).
func TestClassicInitialAndErrors(t *testing.T) {
	c := NewClassic()
	r, wr := pipe(t)
	write(t, wr, []byte("waiting"))
	if err := c.Watch(r); err != nil {
		t.Fatal(err)
	}
	awaitSIGIO(t, c, "data waiting at Watch")
	if err := c.Watch(r); !errors.Is(err, unix.EEXIST) {
		t.Errorf("R1/watched-twice: %v, want EEXIST", err)
	}
	f := openFd(t, filepath.Join(t.TempDir(), "f"), unix.O_RDWR|unix.O_CREAT)
	if err := c.Watch(f); !errors.Is(err, ErrCannotSignal) {
		t.Errorf("R2/regular-file: %v, want ErrCannotSignal", err)
	}
	if err := c.Unwatch(f); !errors.Is(err, unix.ENOENT) {
		t.Errorf("R1/unwatch-never-watched: %v, want ENOENT", err)
	}
	if err := c.Watch(-1); !errors.Is(err, unix.EBADF) {
		t.Errorf("R1/bad-descriptor: %v, want EBADF", err)
	}
	before := stateOf(t, r)
	before.flags &^= unix.O_ASYNC
	before.owner = linux.FOwnerEx{}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if s := stateOf(t, r); s != before {
		t.Errorf("after Close %+v, want %+v", s, before)
	}
	if err := c.Watch(r); !errors.Is(err, ErrClosed) {
		t.Errorf("R1/after-close: %v, want ErrClosed", err)
	}
}

// TestClassicBesideWatcher: a Watcher's signalfd also dequeues
// process-directed SIGIOs, which belong to os/signal. Every one it takes is
// passed on to the live Classics, so 200 SIGIOs sent to the process give
// 200 notifications, none swallowed (SPEC R1, B11).
func TestClassicBesideWatcher(t *testing.T) {
	w := newWatcher(t, nil)
	c := NewClassic()
	defer c.Close()
	for i := range 200 {
		if err := unix.Kill(unix.Getpid(), unix.SIGIO); err != nil {
			t.Fatal(err)
		}
		awaitSIGIO(t, c, fmt.Sprintf("kill SIGIO %d", i))
	}
	// A SIGIO sent by kill is SI_USER, told apart from the kernel's
	// overflow fallback (SI_KERNEL): passed on, but no Resync.
	st := w.Stats()
	if st.Resyncs != 0 {
		t.Errorf("stats %+v: kill's SIGIO reported as a queue overflow", st)
	}
	t.Logf("SIGIOs taken by the Watcher's signalfd and passed on: %d of 200", st.Foreign)
}
