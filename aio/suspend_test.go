package aio

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// C7: Suspend waits for any listed request, with timeout and context.
func TestSuspend(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		f, _ := tempFile(t, 100, os.O_RDONLY)

		t.Run("C7/returns-at-once-when-one-is-done", func(t *testing.T) {
			pr, pw := pipe(t)
			pending := &Request{Fd: pr, Buf: make([]byte, 1)}
			done := &Request{Fd: int(f.Fd()), Buf: make([]byte, 10)}
			if err := e.Read(pending); err != nil {
				t.Fatal(err)
			}
			if err := e.Read(done); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, done)
			// timeout 0 only checks: success proves no waiting was needed.
			if err := e.Suspend(t.Context(), []*Request{nil, pending, done}, 0); err != nil {
				t.Fatalf("Suspend with a completed entry: %v", err)
			}
			unix.Write(pw, []byte("x"))
			waitDoneT(t, pending)
		})

		t.Run("C7/nil-entries-ignored-empty-is-EINVAL", func(t *testing.T) {
			if err := e.Suspend(t.Context(), []*Request{nil, nil}, NoTimeout); !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("Suspend on only nil entries: %v, want EINVAL", err)
			}
			if err := e.Suspend(t.Context(), nil, NoTimeout); !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("Suspend on an empty list: %v, want EINVAL", err)
			}
		})

		t.Run("C7/timeout-gives-EAGAIN", func(t *testing.T) {
			pr, pw := pipe(t)
			r := &Request{Fd: pr, Buf: make([]byte, 1)}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			if err := e.Suspend(t.Context(), []*Request{r}, 0); err != syscall.EAGAIN {
				t.Fatalf("Suspend(timeout 0) on a pending request: %v, want EAGAIN", err)
			}
			if err := e.Suspend(t.Context(), []*Request{r}, 20*time.Millisecond); err != syscall.EAGAIN {
				t.Fatalf("Suspend(20ms) on a pending request: %v, want EAGAIN", err)
			}
			mustStatus(t, r, syscall.EINPROGRESS)
			unix.Write(pw, []byte("x"))
			waitDoneT(t, r)
		})

		t.Run("C7/no-timeout-waits-for-completion", func(t *testing.T) {
			pr, pw := pipe(t)
			rs := []*Request{{Fd: pr, Buf: make([]byte, 1)}, {Fd: pr, Buf: make([]byte, 1)}}
			for _, r := range rs {
				if err := e.Read(r); err != nil {
					t.Fatal(err)
				}
			}
			result := make(chan error, 1)
			go func() { result <- e.Suspend(context.Background(), rs, NoTimeout) }()
			unix.Write(pw, []byte("1"))
			if err := <-result; err != nil {
				t.Fatalf("Suspend: %v", err)
			}
			if rs[0].Error() == syscall.EINPROGRESS && rs[1].Error() == syscall.EINPROGRESS {
				t.Fatal("Suspend returned with every request still in progress")
			}
			unix.Write(pw, []byte("2"))
			waitDoneT(t, rs...)
		})

		t.Run("C7/context-cancellation", func(t *testing.T) {
			pr, pw := pipe(t)
			r := &Request{Fd: pr, Buf: make([]byte, 1)}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			result := make(chan error, 1)
			go func() { result <- e.Suspend(ctx, []*Request{r}, NoTimeout) }()
			cancel()
			err := <-result
			if !errors.Is(err, syscall.EINTR) || !errors.Is(err, context.Canceled) {
				t.Fatalf("Suspend after cancel: %v, want EINTR and context.Canceled", err)
			}
			mustStatus(t, r, syscall.EINPROGRESS)
			unix.Write(pw, []byte("x"))
			waitDoneT(t, r)
		})

		t.Run("C7/never-submitted-is-not-in-progress", func(t *testing.T) {
			if err := e.Suspend(t.Context(), []*Request{{}}, NoTimeout); err != nil {
				t.Fatalf("Suspend on a never-submitted request: %v, want nil at once", err)
			}
		})
	})
}

// C7, C9: a nil context is no error and no panic: Suspend and ListIO wait
// as with context.Background.
func TestNilContext(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		f, data := tempFile(t, 8192, os.O_RDONLY)
		r := &Request{Fd: int(f.Fd()), Buf: make([]byte, 4096)}
		if err := e.Read(r); err != nil {
			t.Fatal(err)
		}
		//lint:ignore SA1012 a nil context is the input under test
		if err := e.Suspend(nil, []*Request{r}, NoTimeout); err != nil {
			t.Fatalf("C7/nil-ctx: Suspend = %v", err)
		}
		mustReturn(t, r, 4096)
		list := []*Request{{Fd: int(f.Fd()), Offset: 4096, Buf: make([]byte, 4096), Opcode: LIO_READ}}
		//lint:ignore SA1012 as above
		if err := e.ListIO(nil, LIO_WAIT, list, nil); err != nil {
			t.Fatalf("C9/nil-ctx: ListIO = %v", err)
		}
		mustReturn(t, list[0], 4096)
		mustEqual(t, "C9/nil-ctx data", list[0].Buf, data[4096:])
	})
}
