package aio

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// C1: Read and Write return once queued; the data lands at the offset.
func TestReadWriteAtOffset(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		f, data := tempFile(t, 1<<16, os.O_RDWR)

		t.Run("C1/read-at-offset", func(t *testing.T) {
			r := &Request{Fd: int(f.Fd()), Offset: 12345, Buf: make([]byte, 4096)}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, r)
			mustStatus(t, r, nil)
			mustReturn(t, r, 4096)
			mustEqual(t, "read", r.Buf, data[12345:12345+4096])
		})

		t.Run("C1/write-at-offset", func(t *testing.T) {
			block := []byte("written by aio at offset 40000")
			r := &Request{Fd: int(f.Fd()), Offset: 40000, Buf: block}
			if err := e.Write(r); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, r)
			mustReturn(t, r, len(block))
			want := append([]byte(nil), data...)
			copy(want[40000:], block)
			mustEqual(t, "file", fileContents(t, f), want)
		})

		t.Run("C1/Nbytes-limits-transfer", func(t *testing.T) {
			r := &Request{Fd: int(f.Fd()), Offset: 0, Buf: make([]byte, 100), Nbytes: 10}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, r)
			mustReturn(t, r, 10)
			mustEqual(t, "read", r.Buf[:10], data[:10])
		})

		t.Run("C1/returns-while-in-progress", func(t *testing.T) {
			// The request cannot complete before the pipe is written: Read
			// returning proves it does not wait for the I/O.
			pr, pw := pipe(t)
			r := &Request{Fd: pr, Buf: make([]byte, 5)}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			mustStatus(t, r, syscall.EINPROGRESS)
			unix.Write(pw, []byte("hello"))
			waitDoneT(t, r)
			mustReturn(t, r, 5)
			mustEqual(t, "pipe read", r.Buf, []byte("hello"))
		})

		t.Run("C1/short-read-at-eof", func(t *testing.T) {
			r := &Request{Fd: int(f.Fd()), Offset: int64(len(data)) - 10, Buf: make([]byte, 100)}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, r)
			mustReturn(t, r, 10)
		})
	})
}

// C2 and C3: the status and result life cycle of one request.
func TestErrorReturnLifeCycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		f, _ := tempFile(t, 8192, os.O_RDONLY)
		pr, pw := pipe(t)

		t.Run("C2/never-submitted-is-EINVAL", func(t *testing.T) {
			mustStatus(t, &Request{}, syscall.EINVAL)
		})
		t.Run("C3/never-submitted-Return-is-EINVAL", func(t *testing.T) {
			if n, err := (&Request{}).Return(); n != -1 || err != syscall.EINVAL {
				t.Fatalf("Return = %d, %v; want -1, EINVAL", n, err)
			}
		})
		t.Run("C2+C3/pending-then-done-then-returned", func(t *testing.T) {
			r := &Request{Fd: pr, Buf: make([]byte, 3)}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			mustStatus(t, r, syscall.EINPROGRESS)
			if n, err := r.Return(); n != -1 || err != syscall.EINPROGRESS {
				t.Fatalf("Return while pending = %d, %v; want -1, EINPROGRESS (never a count)", n, err)
			}
			mustStatus(t, r, syscall.EINPROGRESS) // Return on a pending request changed nothing
			unix.Write(pw, []byte("abc"))
			waitDoneT(t, r)
			mustStatus(t, r, nil)
			mustStatus(t, r, nil) // Error may be asked any number of times
			mustReturn(t, r, 3)
			if n, err := r.Return(); n != -1 || err != syscall.EINVAL {
				t.Fatalf("second Return = %d, %v; want -1, EINVAL", n, err)
			}
			mustStatus(t, r, syscall.EINVAL) // result taken: r is idle again
		})
		t.Run("C2+C3/failure-errno", func(t *testing.T) {
			// A write on a read-only descriptor fails with EBADF (C4).
			r := &Request{Fd: int(f.Fd()), Buf: []byte("x")}
			if err := e.Write(r); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, r)
			mustStatus(t, r, syscall.EBADF)
			if n, err := r.Return(); n != -1 || err != syscall.EBADF {
				t.Fatalf("Return = %d, %v; want -1, EBADF", n, err)
			}
		})
		t.Run("C3/resubmit-after-Return", func(t *testing.T) {
			r := &Request{Fd: int(f.Fd()), Buf: make([]byte, 100)}
			for i := range 3 {
				r.Offset = int64(i * 100)
				if err := e.Read(r); err != nil {
					t.Fatal(err)
				}
				waitDoneT(t, r)
				mustReturn(t, r, 100)
			}
		})
		t.Run("C3/resubmit-in-flight-is-EINVAL", func(t *testing.T) {
			r := &Request{Fd: pr, Buf: make([]byte, 1)}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			if err := e.Read(r); !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("second submission of an in-flight request: %v, want EINVAL", err)
			}
			unix.Write(pw, []byte("z"))
			waitDoneT(t, r)
			mustReturn(t, r, 1)
		})
	})
}

// C4: bad descriptors. This package's choice: Read and Write on a
// descriptor that is not open are accepted and complete with EBADF;
// Fsync and Cancel fail at once with EBADF.
func TestBadDescriptor(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		closed := closedFd(t)
		for _, tc := range []struct {
			name   string
			submit func(*Request) error
		}{
			{"C4/read-closed-fd", e.Read},
			{"C4/write-closed-fd", e.Write},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := &Request{Fd: closed, Buf: make([]byte, 10)}
				if err := tc.submit(r); err != nil {
					t.Fatalf("submission: %v (documented: accepted, EBADF from Error)", err)
				}
				waitDoneT(t, r)
				mustStatus(t, r, syscall.EBADF)
			})
		}
		t.Run("C4/fsync-closed-fd", func(t *testing.T) {
			r := &Request{Fd: closed}
			if err := e.Fsync(unix.O_SYNC, r); err != syscall.EBADF {
				t.Fatalf("Fsync: %v, want EBADF", err)
			}
			mustStatus(t, r, syscall.EINVAL) // never submitted
		})
		t.Run("C4/cancel-closed-fd", func(t *testing.T) {
			if _, err := e.Cancel(closed, nil); err != syscall.EBADF {
				t.Fatalf("Cancel: %v, want EBADF", err)
			}
		})
		t.Run("C4/write-read-only-fd", func(t *testing.T) {
			f, _ := tempFile(t, 10, os.O_RDONLY)
			r := &Request{Fd: int(f.Fd()), Buf: []byte("nope")}
			if err := e.Write(r); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, r)
			mustStatus(t, r, syscall.EBADF)
		})
		t.Run("C4/read-write-only-fd", func(t *testing.T) {
			f, _ := tempFile(t, 10, os.O_WRONLY)
			r := &Request{Fd: int(f.Fd()), Buf: make([]byte, 4)}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, r)
			mustStatus(t, r, syscall.EBADF)
		})
	})
}

// closedFd returns a descriptor number that is not open: one far above
// any in use, so it stays closed even while other tests open files.
func closedFd(t *testing.T) int {
	t.Helper()
	const fd = 1<<20 - 7
	if _, err := unix.FcntlInt(fd, unix.F_GETFD, 0); err != syscall.EBADF {
		t.Fatalf("descriptor %d unexpectedly open (%v)", fd, err)
	}
	return fd
}
