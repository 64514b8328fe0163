package aio

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// C10: an fsync completes after every write submitted before it on its
// descriptor, and only O_SYNC and O_DSYNC are accepted.
func TestFsync(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)

		t.Run("C10/waits-for-earlier-blocked-write", func(t *testing.T) {
			// The write blocks on a full terminal, so the fsync behind it
			// must stay in flight until the terminal is drained. (fsync of
			// a terminal then fails with EINVAL: the order is what is
			// checked.)
			pr, pw := pty(t)
			n := fillPipe(t, pw)
			w := &Request{Fd: pw, Buf: []byte("late")}
			s := &Request{Fd: pw}
			if err := e.Write(w); err != nil {
				t.Fatal(err)
			}
			if err := e.Fsync(unix.O_DSYNC, s); err != nil {
				t.Fatal(err)
			}
			if err := e.Suspend(t.Context(), []*Request{s}, 0); err != syscall.EAGAIN {
				t.Fatalf("fsync finished before the write it follows (Suspend: %v)", err)
			}
			drain(t, pr, n)
			waitDoneT(t, s)
			mustStatus(t, w, nil) // the write was done when the fsync was
			mustReturn(t, w, 4)
		})

		t.Run("C10/no-earlier-write", func(t *testing.T) {
			f, _ := tempFile(t, 4096, os.O_RDWR)
			s := &Request{Fd: int(f.Fd())}
			if err := e.Fsync(unix.O_SYNC, s); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, s)
			mustReturn(t, s, 0)
		})

		t.Run("C10/every-earlier-file-write-done-at-completion", func(t *testing.T) {
			f, _ := tempFile(t, 1<<20, os.O_RDWR)
			writes := make([]*Request, 64)
			for i := range writes {
				writes[i] = &Request{Fd: int(f.Fd()), Offset: int64(i * 4096), Buf: bytes.Repeat([]byte{byte(i)}, 4096)}
				if err := e.Write(writes[i]); err != nil {
					t.Fatal(err)
				}
			}
			seen := make(chan []error, 1)
			s := &Request{Fd: int(f.Fd()), Notify: Sigevent{Notify: SIGEV_THREAD, Func: func(*Request) {
				// Runs after the fsync completed: every write must be done.
				st := make([]error, len(writes))
				for i, w := range writes {
					st[i] = w.Error()
				}
				seen <- st
			}}}
			if err := e.Fsync(unix.O_SYNC, s); err != nil {
				t.Fatal(err)
			}
			for i, err := range <-seen {
				if err != nil {
					t.Fatalf("write %d status %v when the fsync completed", i, err)
				}
			}
			mustReturn(t, s, 0)
		})

		t.Run("C10/bad-op-is-EINVAL", func(t *testing.T) {
			f, _ := tempFile(t, 10, os.O_RDWR)
			for _, op := range []int{0, unix.O_RDONLY | unix.O_APPEND, unix.O_SYNC | unix.O_APPEND, -1} {
				r := &Request{Fd: int(f.Fd())}
				if err := e.Fsync(op, r); err != syscall.EINVAL {
					t.Fatalf("Fsync(%#x): %v, want EINVAL", op, err)
				}
				mustStatus(t, r, syscall.EINVAL)
			}
		})
	})
}

// C12: writes to an O_APPEND descriptor land in submission order, however
// many workers or rings run them.
func TestAppendOrder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t, WithWorkers(16))
		name := filepath.Join(t.TempDir(), "log")
		f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		const n = 1000
		var want bytes.Buffer
		rs := make([]*Request, n)
		for i := range rs {
			line := []byte(fmt.Sprintf("record %04d %s\n", i, bytes.Repeat([]byte{'a' + byte(i%26)}, i%50)))
			want.Write(line)
			// Offsets are ignored for O_APPEND: give misleading ones.
			rs[i] = &Request{Fd: int(f.Fd()), Offset: int64(i % 7), Buf: line, Opcode: LIO_WRITE}
		}
		// Half one by one, half in ListIO batches that put many appends
		// in front of the workers at once.
		for i := range n / 2 {
			if err := e.Write(rs[i]); err != nil {
				t.Fatal(err)
			}
		}
		for i := n / 2; i < n; i += 100 {
			if err := e.ListIO(t.Context(), LIO_NOWAIT, rs[i:i+100], nil); err != nil {
				t.Fatal(err)
			}
		}
		waitDoneT(t, rs...)
		for _, r := range rs {
			mustReturn(t, r, len(r.Buf))
		}
		mustEqual(t, "C12/append-order", fileContents(t, f), want.Bytes())
	})
}
