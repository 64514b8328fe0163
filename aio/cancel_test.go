package aio

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// C8: Cancel of one request or of every request on a descriptor.
func TestCancel(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		t.Run("C8/all-done", func(t *testing.T) {
			e := newEngine(t)
			f, _ := tempFile(t, 100, os.O_RDONLY)
			r := &Request{Fd: int(f.Fd()), Buf: make([]byte, 10)}
			if res, err := e.Cancel(int(f.Fd()), nil); res != AIO_ALLDONE || err != nil {
				t.Fatalf("Cancel with nothing in flight = %d, %v; want AIO_ALLDONE", res, err)
			}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, r)
			if res, err := e.Cancel(int(f.Fd()), r); res != AIO_ALLDONE || err != nil {
				t.Fatalf("Cancel of a completed request = %d, %v; want AIO_ALLDONE", res, err)
			}
			mustReturn(t, r, 10) // left untouched
		})

		t.Run("C8/blocked-pipe-read-is-cancelled", func(t *testing.T) {
			// A read waiting on an empty pipe has started, but no data has
			// moved: every backend stops it.
			e := newEngine(t)
			pr, pw := pipe(t)
			r := &Request{Fd: pr, Buf: make([]byte, 4)}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			waitRunning(t, e, r)
			if res, err := e.Cancel(pr, r); res != AIO_CANCELED || err != nil {
				t.Fatalf("Cancel of a blocked pipe read = %d, %v; want AIO_CANCELED", res, err)
			}
			mustStatus(t, r, syscall.ECANCELED)
			if n, err := r.Return(); n != -1 || err != syscall.ECANCELED {
				t.Fatalf("Return = %d, %v; want -1, ECANCELED", n, err)
			}
			// The pipe is untouched: the next read gets what is written.
			unix.Write(pw, []byte("data"))
			r2 := &Request{Fd: pr, Buf: make([]byte, 4)}
			if err := e.Read(r2); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, r2)
			mustReturn(t, r2, 4)
			mustEqual(t, "read after the cancel", r2.Buf, []byte("data"))
		})

		t.Run("C8/blocked-reads-are-cancelled", func(t *testing.T) {
			// Reads waiting on an empty FIFO, socket and terminal (the
			// thread pool waits for the FIFO and the terminal without
			// RWF_NOWAIT, see stream.go).
			e := newEngine(t)
			sock := socketpair(t)
			fifo := filepath.Join(t.TempDir(), "fifo")
			if err := unix.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			ff, err := unix.Open(fifo, unix.O_RDWR|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(ff) })
			_, tty := pty(t)
			for _, fd := range []int{ff, sock[0], tty} {
				r := &Request{Fd: fd, Buf: make([]byte, 1)}
				if err := e.Read(r); err != nil {
					t.Fatal(err)
				}
				waitRunning(t, e, r)
				if res, err := e.Cancel(fd, r); res != AIO_CANCELED || err != nil {
					t.Fatalf("Cancel of a blocked read on fd %d = %d, %v; want AIO_CANCELED", fd, res, err)
				}
				mustStatus(t, r, syscall.ECANCELED)
			}
		})

		t.Run("C8/blocked-writes-are-cancelled", func(t *testing.T) {
			// Writes waiting on a full pipe and a full socket: each is
			// stopped before any of its data went.
			e := newEngine(t)
			_, pw := pipe(t)
			sock := socketpair(t)
			for _, fd := range []int{pw, sock[0]} {
				fillPipe(t, fd)
				w := &Request{Fd: fd, Buf: []byte("x")}
				if err := e.Write(w); err != nil {
					t.Fatal(err)
				}
				waitRunning(t, e, w)
				if res, err := e.Cancel(fd, nil); res != AIO_CANCELED || err != nil {
					t.Fatalf("Cancel of a blocked write on fd %d = %d, %v; want AIO_CANCELED", fd, res, err)
				}
				mustStatus(t, w, syscall.ECANCELED)
			}
		})

		t.Run("C8/queued-request-on-one-worker", func(t *testing.T) {
			// One worker held by a pipe read: the second request waits in
			// the queue, where the thread pool can still cancel it.
			e := newEngine(t, WithWorkers(1))
			pr, pw := pipe(t)
			f, _ := tempFile(t, 100, os.O_RDONLY)
			blocker := &Request{Fd: pr, Buf: make([]byte, 1)}
			queued := &Request{Fd: int(f.Fd()), Buf: make([]byte, 10)}
			if err := e.Read(blocker); err != nil {
				t.Fatal(err)
			}
			waitRunning(t, e, blocker)
			if err := e.Read(queued); err != nil {
				t.Fatal(err)
			}
			res, err := e.Cancel(int(f.Fd()), queued)
			if err != nil {
				t.Fatal(err)
			}
			checkCancelResult(t, res, queued)
			if e.Backend() == "threads" && res != AIO_CANCELED {
				t.Fatalf("threads: Cancel of a queued request = %d, want AIO_CANCELED", res)
			}
			unix.Write(pw, []byte("x"))
			waitDoneT(t, blocker, queued)
			mustReturn(t, blocker, 1) // the other request is untouched
		})

		t.Run("C8/nil-cancels-every-request-on-fd", func(t *testing.T) {
			e := newEngine(t)
			pr, pw := pipe(t)
			other, opw := pipe(t)
			rs := make([]*Request, 4)
			for i := range rs {
				rs[i] = &Request{Fd: pr, Buf: make([]byte, 1)}
				if err := e.Read(rs[i]); err != nil {
					t.Fatal(err)
				}
			}
			untouched := &Request{Fd: other, Buf: make([]byte, 1)}
			if err := e.Read(untouched); err != nil {
				t.Fatal(err)
			}
			res, err := e.Cancel(pr, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkCancelResult(t, res, rs...)
			mustStatus(t, untouched, syscall.EINPROGRESS)
			unix.Write(opw, []byte("u"))
			waitDoneT(t, untouched)
			mustReturn(t, untouched, 1)
			// Finish whatever was running and could not be stopped: one
			// byte for each, since any of them may take any byte.
			running := 0
			for _, r := range rs {
				if r.Error() == syscall.EINPROGRESS {
					running++
				}
			}
			unix.Write(pw, make([]byte, running))
			waitDoneT(t, rs...)
		})

		t.Run("C8/held-write-is-cancelled-by-the-engine", func(t *testing.T) {
			// An O_APPEND write blocked on a full pipe holds the next one
			// back (C12); Cancel stops the held write without the backend.
			e := newEngine(t)
			pr, pw, n := appendPipe(t)
			w := &Request{Fd: pw, Buf: []byte("blocked")}
			s := &Request{Fd: pw, Buf: []byte("held")}
			if err := e.Write(w); err != nil {
				t.Fatal(err)
			}
			if err := e.Write(s); err != nil {
				t.Fatal(err)
			}
			if res, err := e.Cancel(pw, s); res != AIO_CANCELED || err != nil {
				t.Fatalf("Cancel of a held write = %d, %v; want AIO_CANCELED", res, err)
			}
			mustStatus(t, s, syscall.ECANCELED)
			drain(t, pr, n)
			waitDoneT(t, w)
			mustReturn(t, w, 7)
		})

		t.Run("C8/bad-arguments", func(t *testing.T) {
			e := newEngine(t)
			pr, pw := pipe(t)
			f, _ := tempFile(t, 10, os.O_RDONLY)
			r := &Request{Fd: pr, Buf: make([]byte, 1)}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Cancel(int(f.Fd()), r); !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("Cancel with the wrong descriptor: %v, want EINVAL", err)
			}
			other := newEngine(t)
			if _, err := other.Cancel(pr, r); !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("Cancel on another engine: %v, want EINVAL", err)
			}
			if _, err := e.Cancel(-1, nil); err != syscall.EBADF {
				t.Fatalf("Cancel(-1): %v, want EBADF", err)
			}
			mustStatus(t, r, syscall.EINPROGRESS) // untouched by the failed calls
			unix.Write(pw, []byte("k"))
			waitDoneT(t, r)
			mustReturn(t, r, 1)
		})
	})
}

// checkCancelResult checks that Cancel's result agrees with the targets'
// states as Cancel returned (C8). AIO_CANCELED: every target reports
// ECANCELED. AIO_NOTCANCELED: at least one target was running and was not
// stopped (it is still in progress, or has finished since). AIO_ALLDONE:
// none was pending, so none was cancelled and none is in progress.
func checkCancelResult(t *testing.T, res int, targets ...*Request) {
	t.Helper()
	cancelled, running := 0, 0
	for _, r := range targets {
		switch r.Error() {
		case syscall.ECANCELED:
			cancelled++
		case syscall.EINPROGRESS:
			running++
		}
	}
	switch res {
	case AIO_CANCELED:
		if cancelled != len(targets) {
			t.Fatalf("AIO_CANCELED but only %d of %d targets report ECANCELED", cancelled, len(targets))
		}
	case AIO_NOTCANCELED:
		if cancelled == len(targets) {
			t.Fatalf("AIO_NOTCANCELED but every target was cancelled")
		}
	case AIO_ALLDONE:
		if cancelled != 0 || running != 0 {
			t.Fatalf("AIO_ALLDONE with %d targets cancelled and %d running", cancelled, running)
		}
	default:
		t.Fatalf("Cancel = %d", res)
	}
}
