package aio

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/testutil"
)

// newEngineFunc makes an engine on the backend under test, closed when the
// test ends.
type newEngineFunc func(t *testing.T, opts ...Option) *Engine

// forEachBackend runs f as a subtest per registered backend: "threads"
// always, "uring" once aio/uring.go registers it. A backend that cannot
// run here is skipped with its reason, so every SPEC C test covers every
// backend that exists without naming them.
func forEachBackend(t *testing.T, f func(t *testing.T, newEngine newEngineFunc)) {
	t.Helper()
	type variant struct {
		name string
		be   backendEntry
		opts []Option
	}
	var variants []variant
	for _, be := range backendsByRank() {
		variants = append(variants, variant{be.name, be, nil})
		if be.name == "uring" {
			// The whole suite again with a thread per ring (DEFER_TASKRUN).
			variants = append(variants, variant{"uring-ringthreads", be, []Option{WithRingThreads()}})
		}
	}
	for _, v := range variants {
		be := v.be
		t.Run(v.name, func(t *testing.T) {
			if err := be.available(); err != nil {
				t.Skipf("backend %s unavailable here: %v", be.name, err)
			}
			f(t, func(t *testing.T, opts ...Option) *Engine {
				t.Helper()
				e, err := New(append(append([]Option{WithBackend(be.name)}, v.opts...), opts...)...)
				if err != nil {
					t.Fatalf("New(%s): %v", be.name, err)
				}
				t.Cleanup(func() {
					if err := e.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				})
				return e
			})
		})
	}
}

// waitDoneT waits until r completes, failing the test if it never does.
func waitDoneT(t *testing.T, rs ...*Request) {
	t.Helper()
	for _, r := range rs {
		if err := Suspend(t.Context(), []*Request{r}, 10*time.Second); err != nil {
			t.Fatalf("request did not complete: %v", err)
		}
	}
}

// waitRunning waits until the backend has taken r, where the backend can
// tell (a thread-pool worker has picked it up); io_uring hands every
// request to the kernel at once. On linuxaio, r must be one that ends on
// the pool (a transfer on a stream that has to wait).
func waitRunning(t *testing.T, e *Engine, r *Request) {
	t.Helper()
	if e.Backend() == "threads" || e.Backend() == "linuxaio" {
		testutil.WaitFor(t, "a worker to take the request", func() bool { return r.bkState.Load() == tbRunning })
	}
}

// tempFile creates a file of size random bytes in t.TempDir, opened with
// flags, and returns it with its contents.
func tempFile(t *testing.T, size int, flags int) (*os.File, []byte) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	name := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(name, flags, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, data
}

// fileContents reads f's whole file through its name.
func fileContents(t *testing.T, f *os.File) []byte {
	t.Helper()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pipe returns a pipe's read and write descriptors, closed at the end of
// the test. A read of the read end is held in progress until the test
// writes: the deterministic way to keep a request running.
func pipe(t *testing.T) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unix.Close(p[0])
		unix.Close(p[1])
	})
	return p[0], p[1]
}

// appendPipe returns a pipe whose write end is in O_APPEND mode and full:
// a write to it blocks in the backend, and a write submitted after that
// one on the same descriptor is held back by the engine until the first
// completes (C12), the deterministic way to have a request that no
// backend has seen. It also returns the bytes the pipe holds.
func appendPipe(t *testing.T) (r, w, held int) {
	t.Helper()
	r, w = pipe(t)
	held = fillPipe(t, w)
	fl, err := unix.FcntlInt(uintptr(w), unix.F_GETFL, 0)
	if err == nil {
		_, err = unix.FcntlInt(uintptr(w), unix.F_SETFL, fl|unix.O_APPEND)
	}
	if err != nil {
		t.Fatal(err)
	}
	return r, w, held
}

// socketpair returns a connected pair of Unix stream sockets, closed at
// the end of the test.
func socketpair(t *testing.T) [2]int {
	t.Helper()
	sock, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unix.Close(sock[0])
		unix.Close(sock[1])
	})
	return sock
}

// pty returns a pseudo-terminal's master and slave descriptors, closed
// at the end of the test. A write to the slave blocks once its buffer is
// full, until the test reads the master, as on a pipe; unlike a pipe, a
// terminal is accepted by Fsync at submission (SPEC C14).
func pty(t *testing.T) (master, slave int) {
	t.Helper()
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal (/dev/ptmx): %v", err)
	}
	t.Cleanup(func() { unix.Close(m) })
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(m, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := unix.Open(fmt.Sprintf("/dev/pts/%d", n), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(s) })
	return m, s
}

// fillPipe fills the pipe (or terminal) whose write end is w, so the next
// write blocks.
//
// A terminal frees room on its own after a write: the kernel moves the
// written bytes into the other side's line discipline from a work queue,
// after the write has returned. So a terminal is filled again whenever
// room appears within ttySettle of the last EAGAIN, until none does.
func fillPipe(t *testing.T, w int) int {
	t.Helper()
	if err := unix.SetNonblock(w, true); err != nil {
		t.Fatal(err)
	}
	_, terr := unix.IoctlGetTermios(w, unix.TCGETS)
	buf := make([]byte, 65536)
	total := 0
	for {
		n, err := unix.Write(w, buf)
		if err == syscall.EAGAIN {
			if terr != nil || !writableWithin(t, w, ttySettle) {
				break
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if err := unix.SetNonblock(w, false); err != nil {
		t.Fatal(err)
	}
	return total
}

// ttySettle bounds fillPipe's wait for a terminal to free room after it
// reported none: the kernel's work queue runs within microseconds on an
// idle machine.
const ttySettle = 100 * time.Millisecond

// writableWithin reports whether fd becomes writable within d.
func writableWithin(t *testing.T, fd int, d time.Duration) bool {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	for {
		n, err := unix.Poll(fds, int(d.Milliseconds()))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
}

// drain reads n bytes from r.
func drain(t *testing.T, r, n int) {
	t.Helper()
	buf := make([]byte, 65536)
	for n > 0 {
		m, err := unix.Read(r, buf[:min(n, len(buf))])
		if err != nil {
			t.Fatal(err)
		}
		n -= m
	}
}

// mustStatus checks r's status (Error) matches want (nil for success).
func mustStatus(t *testing.T, r *Request, want error) {
	t.Helper()
	got := r.Error()
	if (want == nil) != (got == nil) || (want != nil && got != want) {
		t.Fatalf("Error() = %v, want %v", got, want)
	}
}

// mustReturn checks Return gives n bytes with no error.
func mustReturn(t *testing.T, r *Request, n int) {
	t.Helper()
	got, err := r.Return()
	if err != nil || got != n {
		t.Fatalf("Return() = %d, %v; want %d, nil", got, err, n)
	}
}

func mustEqual(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: contents differ (len %d vs %d)", what, len(got), len(want))
	}
}
