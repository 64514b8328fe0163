package aio

import (
	"bytes"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/testutil"
)

// reopenAs closes fd and puts a new regular file at its number, as a
// close followed by an open that takes the lowest free number does, and
// returns that file.
func reopenAs(t *testing.T, fd int) *os.File {
	t.Helper()
	other, _ := tempFile(t, 0, os.O_RDWR)
	if err := unix.Close(fd); err != nil {
		t.Fatal(err)
	}
	if err := unix.Dup3(int(other.Fd()), fd, unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	return other
}

// submittedToKernel waits until e's rings have entered n more SQEs than
// before (io_uring), so the kernel has resolved their descriptors; the
// thread pool's requests are pinned at submission.
func submittedToKernel(t *testing.T, e *Engine, before, n uint64) {
	t.Helper()
	if u, ok := e.bk.(*uringBackend); ok {
		testutil.WaitFor(t, "the request to reach the kernel", func() bool { return ringSubmitted(u)-before >= n })
	}
}

func ringSubmitted(u *uringBackend) (n uint64) {
	for _, q := range u.rings {
		n += q.loop.Stats().Submitted
	}
	return n
}

func submittedNow(e *Engine) uint64 {
	if u, ok := e.bk.(*uringBackend); ok {
		return ringSubmitted(u)
	}
	return 0
}

// C1, C12, POSIX close(2): O_APPEND writes held back behind one blocked on a
// full pipe, whose descriptor is then closed and its number reopened on
// another file, still land in the pipe, in order: "as if the close() had
// not yet occurred". The file now at the number gets nothing.
func TestHeldWritesKeepTheirFile(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		r, w, full := appendPipe(t)
		before := submittedNow(e)
		reqs := make([]*Request, 4)
		for i := range reqs {
			reqs[i] = &Request{Fd: w, Buf: bytes.Repeat([]byte{'a' + byte(i)}, 12)}
			if err := e.Write(reqs[i]); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				waitRunning(t, e, reqs[0])
				submittedToKernel(t, e, before, 1)
			}
		}
		other := reopenAs(t, w)
		drain(t, r, full)
		waitDoneT(t, reqs...)
		got := make([]byte, 48)
		if n, err := unix.Read(r, got); n != len(got) || err != nil {
			t.Fatalf("C12: the pipe got %d bytes (%v), want 48", n, err)
		}
		if want := []byte("aaaaaaaaaaaabbbbbbbbbbbbccccccccccccdddddddddddd"); !bytes.Equal(got, want) {
			t.Fatalf("C12: the pipe got %q, want %q", got, want)
		}
		if b := fileContents(t, other); len(b) != 0 {
			t.Fatalf("close(2): %d bytes of held writes landed in the file reopened at the descriptor's number: %q", len(b), b)
		}
	})
}

// C1, close(2): writes to a regular file queued in the thread pool behind a
// worker blocked on an empty pipe, whose descriptor is then closed and
// its number reopened on another file, land in the file they were
// submitted for.
func TestQueuedWritesKeepTheirFile(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t, WithWorkers(1))
		if e.Backend() != "threads" {
			t.Skipf("only the thread pool queues requests for its workers; %s does not", e.Backend())
		}
		pr, pw := pipe(t)
		blocker := &Request{Fd: pr, Buf: make([]byte, 1)}
		if err := e.Read(blocker); err != nil {
			t.Fatal(err)
		}
		waitRunning(t, e, blocker)
		meant, _ := tempFile(t, 0, os.O_RDWR)
		fd, err := unix.Dup(int(meant.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		w := &Request{Fd: fd, Offset: 0, Buf: []byte("meant for the first file")}
		if err := e.Write(w); err != nil {
			t.Fatal(err)
		}
		other := reopenAs(t, fd)
		defer unix.Close(fd)
		syscall.Write(pw, []byte{1})
		waitDoneT(t, blocker, w)
		if n, err := w.Return(); n != len(w.Buf) || err != nil {
			t.Fatalf("queued write = %d, %v", n, err)
		}
		if b := fileContents(t, other); len(b) != 0 {
			t.Fatalf("close(2): the queued write landed in the file reopened at its number: %q", b)
		}
		if b := fileContents(t, meant); string(b) != string(w.Buf) {
			t.Fatalf("close(2): the file the write was meant for holds %q", b)
		}
	})
}
