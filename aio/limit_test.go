package aio

import (
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// C6: beyond the in-flight limit a submission fails with EAGAIN, queues
// nothing, and nothing already queued is lost.
func TestInFlightLimit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		const limit = 8
		e := newEngine(t, WithMaxInFlight(limit))
		pr, pw := pipe(t)
		f, data := tempFile(t, 4096, os.O_RDONLY)

		held := make([]*Request, limit)
		for i := range held {
			held[i] = &Request{Fd: pr, Buf: make([]byte, 1)}
			if err := e.Read(held[i]); err != nil {
				t.Fatalf("request %d under the limit: %v", i, err)
			}
		}
		refused := &Request{Fd: int(f.Fd()), Buf: make([]byte, 10)}
		t.Run("C6/read-beyond-limit", func(t *testing.T) {
			if err := e.Read(refused); err != syscall.EAGAIN {
				t.Fatalf("Read beyond the limit: %v, want EAGAIN", err)
			}
			mustStatus(t, refused, syscall.EINVAL) // never queued
		})
		t.Run("C6/fsync-beyond-limit", func(t *testing.T) {
			w, _ := tempFile(t, 10, os.O_RDWR) // open for writing: Fsync accepts it (C14)
			s := &Request{Fd: int(w.Fd())}
			if err := e.Fsync(unix.O_SYNC, s); err != syscall.EAGAIN {
				t.Fatalf("Fsync beyond the limit: %v, want EAGAIN", err)
			}
		})
		t.Run("C14/listio-beyond-limit-status-EAGAIN", func(t *testing.T) {
			list := []*Request{{Fd: int(f.Fd()), Buf: make([]byte, 1)}, {Fd: int(f.Fd()), Buf: make([]byte, 1)}}
			if err := e.ListIO(t.Context(), LIO_NOWAIT, list, nil); err != syscall.EAGAIN {
				t.Fatalf("ListIO beyond the limit: %v, want EAGAIN", err)
			}
			for _, r := range list {
				mustStatus(t, r, syscall.EAGAIN) // not queued
				if n, err := r.Return(); n != -1 || err != syscall.EAGAIN {
					t.Fatalf("Return of an entry left out = %d, %v; want -1, EAGAIN", n, err)
				}
			}
		})
		t.Run("C6/nothing-lost", func(t *testing.T) {
			if got := e.InFlight(); got != limit {
				t.Fatalf("InFlight = %d after refusals, want %d", got, limit)
			}
			unix.Write(pw, make([]byte, limit))
			waitDoneT(t, held...)
			for _, r := range held {
				mustReturn(t, r, 1)
			}
			// Room again: the refused request goes through now.
			if err := e.Read(refused); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, refused)
			mustReturn(t, refused, 10)
			mustEqual(t, "read", refused.Buf, data[:10])
		})
		t.Run("C6/completed-request-frees-its-place-before-it-shows", func(t *testing.T) {
			// Fill the limit with quick requests: as soon as any reports
			// done, a new submission must fit.
			rs := make([]*Request, limit)
			for i := range rs {
				rs[i] = &Request{Fd: int(f.Fd()), Buf: make([]byte, 1)}
			}
			for round := range 200 {
				for _, r := range rs {
					if err := e.Read(r); err != nil {
						t.Fatalf("round %d: %v", round, err)
					}
				}
				for _, r := range rs {
					waitDoneT(t, r)
					mustReturn(t, r, 1)
				}
			}
		})
	})
}
