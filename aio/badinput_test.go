package aio

import (
	"errors"
	"math"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Bad input gives the errno SPEC C names, at submission or through the
// request's status, never a panic or a hang.
func TestBadInput(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		rw, _ := tempFile(t, 100, os.O_RDWR)
		ro, _ := tempFile(t, 100, os.O_RDONLY)
		wo, _ := tempFile(t, 100, os.O_WRONLY)
		closed := closedFd(t)
		read, write := e.Read, e.Write
		fsync := func(r *Request) error { return e.Fsync(unix.O_SYNC, r) }
		listio := func(r *Request) error { return e.ListIO(t.Context(), LIO_WAIT, []*Request{r}, nil) }
		buf := func() []byte { return make([]byte, 10) }

		for _, tc := range []struct {
			name      string
			submit    func(*Request) error
			r         *Request
			atSubmit  error // errno from the submission
			asRequest error // errno from Error after completion, when submission succeeded
		}{
			{"C5/negative-offset-read", read, &Request{Fd: int(rw.Fd()), Offset: -1, Buf: buf()}, syscall.EINVAL, nil},
			{"C5/negative-offset-write", write, &Request{Fd: int(rw.Fd()), Offset: -4096, Buf: buf()}, syscall.EINVAL, nil},
			{"C5/offset-overflow", read, &Request{Fd: int(rw.Fd()), Offset: math.MaxInt64 - 5, Buf: buf()}, syscall.EINVAL, nil},
			{"C5/negative-priority", read, &Request{Fd: int(rw.Fd()), Priority: -1, Buf: buf()}, syscall.EINVAL, nil},
			{"C5/priority-above-AIO_PRIO_DELTA_MAX", write, &Request{Fd: int(rw.Fd()), Priority: AIO_PRIO_DELTA_MAX + 1, Buf: buf()}, syscall.EINVAL, nil},
			{"C5/nil-buffer-read", read, &Request{Fd: int(rw.Fd())}, syscall.EINVAL, nil},
			{"C5/nil-buffer-write", write, &Request{Fd: int(rw.Fd())}, syscall.EINVAL, nil},
			{"C5/short-buffer", read, &Request{Fd: int(rw.Fd()), Buf: buf(), Nbytes: 11}, syscall.EINVAL, nil},
			{"C5/negative-Nbytes", write, &Request{Fd: int(rw.Fd()), Buf: buf(), Nbytes: -1}, syscall.EINVAL, nil},
			{"C4/read-closed-fd", read, &Request{Fd: closed, Buf: buf()}, nil, syscall.EBADF},
			{"C4/read-negative-fd", read, &Request{Fd: -1, Buf: buf()}, nil, syscall.EBADF},
			{"C4/write-closed-fd", write, &Request{Fd: closed, Buf: buf()}, nil, syscall.EBADF},
			{"C4/write-read-only-fd", write, &Request{Fd: int(ro.Fd()), Buf: buf()}, nil, syscall.EBADF},
			{"C4/read-write-only-fd", read, &Request{Fd: int(wo.Fd()), Buf: buf()}, nil, syscall.EBADF},
			{"C4/fsync-closed-fd", fsync, &Request{Fd: closed}, syscall.EBADF, nil},
			{"C4/fsync-negative-fd", fsync, &Request{Fd: -1}, syscall.EBADF, nil},
			{"C9/unknown-opcode", listio, &Request{Fd: int(rw.Fd()), Buf: buf(), Opcode: 3}, syscall.EIO, syscall.EINVAL},
			{"C9/listio-negative-offset", listio, &Request{Fd: int(rw.Fd()), Offset: -1, Buf: buf()}, syscall.EIO, syscall.EINVAL},
			{"C9/listio-write-read-only-fd", listio, &Request{Fd: int(ro.Fd()), Buf: buf(), Opcode: LIO_WRITE}, syscall.EIO, syscall.EBADF},
			{"C11/unknown-notification", read, &Request{Fd: int(rw.Fd()), Buf: buf(), Notify: Sigevent{Notify: 3}}, syscall.EINVAL, nil},
			{"C11/signal-out-of-range", read, &Request{Fd: int(rw.Fd()), Buf: buf(), Notify: Sigevent{Signo: 65}}, syscall.EINVAL, nil},
			{"C11/thread-without-func", read, &Request{Fd: int(rw.Fd()), Buf: buf(), Notify: Sigevent{Notify: SIGEV_THREAD}}, syscall.EINVAL, nil},
			{"C11/inline-without-func", read, &Request{Fd: int(rw.Fd()), Buf: buf(), Notify: Sigevent{Notify: SIGEV_INLINE}}, syscall.EINVAL, nil},
			{"C11/chan-without-chan", read, &Request{Fd: int(rw.Fd()), Buf: buf(), Notify: Sigevent{Notify: SIGEV_CHAN}}, syscall.EINVAL, nil},
			{"C11/thread-id-without-thread", read, &Request{Fd: int(rw.Fd()), Buf: buf(), Notify: Sigevent{Notify: SIGEV_THREAD_ID, Signo: 40}}, syscall.EINVAL, nil},
			{"C14/thread-id-beyond-pid_t", read, &Request{Fd: int(rw.Fd()), Buf: buf(), Notify: Sigevent{Notify: SIGEV_THREAD_ID, Signo: 40, ThreadID: 1<<32 + unix.Gettid()}}, syscall.EINVAL, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.submit(tc.r)
				if tc.atSubmit != nil {
					if !errors.Is(err, tc.atSubmit) {
						t.Fatalf("submission: %v, want %v", err, tc.atSubmit)
					}
				} else if err != nil {
					t.Fatalf("submission: %v, want success", err)
				}
				if tc.asRequest == nil {
					mustStatus(t, tc.r, syscall.EINVAL) // never submitted
					return
				}
				waitDoneT(t, tc.r)
				mustStatus(t, tc.r, tc.asRequest)
				if n, err := tc.r.Return(); n != -1 || err != tc.asRequest {
					t.Fatalf("Return = %d, %v; want -1, %v", n, err, tc.asRequest)
				}
			})
		}

		t.Run("C3/Return-twice", func(t *testing.T) {
			r := &Request{Fd: int(rw.Fd()), Buf: buf()}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, r)
			mustReturn(t, r, 10)
			if n, err := r.Return(); n != -1 || err != syscall.EINVAL {
				t.Fatalf("second Return = %d, %v; want -1, EINVAL", n, err)
			}
		})
		t.Run("C2/Error-never-submitted", func(t *testing.T) {
			mustStatus(t, &Request{Fd: int(rw.Fd()), Buf: buf()}, syscall.EINVAL)
		})
		t.Run("C9/invalid-mode", func(t *testing.T) {
			for _, mode := range []int{-1, 2, 100} {
				if err := e.ListIO(t.Context(), mode, nil, nil); !errors.Is(err, syscall.EINVAL) {
					t.Fatalf("ListIO mode %d: %v, want EINVAL", mode, err)
				}
			}
		})
		t.Run("C9/invalid-list-notification", func(t *testing.T) {
			err := e.ListIO(t.Context(), LIO_NOWAIT, nil, &Sigevent{Notify: SIGEV_THREAD})
			if !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("ListIO with a bad notification: %v, want EINVAL", err)
			}
		})
		t.Run("C10/fsync-bad-op", func(t *testing.T) {
			if err := e.Fsync(unix.O_APPEND, &Request{Fd: int(rw.Fd())}); err != syscall.EINVAL {
				t.Fatalf("Fsync(O_APPEND): %v, want EINVAL", err)
			}
		})
		t.Run("C8/cancel-bad-fd", func(t *testing.T) {
			for _, fd := range []int{-1, closed} {
				if _, err := e.Cancel(fd, nil); err != syscall.EBADF {
					t.Fatalf("Cancel(%d): %v, want EBADF", fd, err)
				}
			}
		})
		t.Run("C7/suspend-empty", func(t *testing.T) {
			if err := e.Suspend(t.Context(), []*Request{nil}, 0); !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("Suspend on nothing: %v, want EINVAL", err)
			}
		})
	})
}

// Options out of range are EINVAL from New.
func TestBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Option
	}{
		{"queue-depth-0", WithQueueDepth(0)},
		{"in-flight-negative", WithMaxInFlight(-1)},
		{"workers-0", WithWorkers(0)},
		{"workers-beyond-4096", WithWorkers(maxWorkers + 1)},
		{"workers-huge", WithWorkers(math.MaxInt)},
		{"rings-0", WithRings(0)},
		{"rings-beyond-1024", WithRings(maxRings + 1)},
		{"nil-logger", WithLogger(nil)},
		{"unknown-backend", WithBackend("kqueue")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(tc.opt)
			if !errors.Is(err, syscall.EINVAL) {
				if e != nil {
					e.Close()
				}
				t.Fatalf("New: %v, want EINVAL", err)
			}
		})
	}
}

// A huge queue depth is not a huge allocation: the rings cap their depth
// and the thread pool its default worker count (C14: bad input never
// exhausts or crashes the process).
func TestHugeQueueDepth(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t, WithQueueDepth(math.MaxInt))
		f, _ := tempFile(t, 10, os.O_RDONLY)
		r := &Request{Fd: int(f.Fd()), Buf: make([]byte, 10)}
		if err := e.Read(r); err != nil {
			t.Fatal(err)
		}
		waitDoneT(t, r)
		mustReturn(t, r, 10)
	})
}
