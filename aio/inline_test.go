package aio

import (
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// C11 for SIGEV_INLINE: the callback sees its request with the result
// visible, may resubmit it from inside the callback (a chain of reads
// that keeps itself going), is called exactly once per completion, and
// costs no goroutine: steady state allocates nothing, where SIGEV_THREAD
// starts one per completion.
func TestInlineNotification(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		f, data := tempFile(t, 64*4096, os.O_RDONLY)
		fd := int(f.Fd())

		t.Run("C11/inline-resubmits-from-the-callback", func(t *testing.T) {
			const reads = 500
			var calls atomic.Int32
			failed := make(chan error, 1)
			finished := make(chan struct{})
			r := &Request{Fd: fd, Buf: make([]byte, 4096)}
			r.Notify = Sigevent{Notify: SIGEV_INLINE, Func: func(got *Request) {
				off := got.Offset
				n, err := got.Return()
				if got != r || n != 4096 || err != nil || string(got.Buf) != string(data[off:off+4096]) {
					failed <- errors.New("callback: wrong request, result or data")
					return
				}
				if calls.Add(1) == reads {
					close(finished)
					return
				}
				got.Offset = (off + 7*4096) % int64(len(data))
				if err := e.Read(got); err != nil {
					failed <- err
				}
			}}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			select {
			case <-finished:
			case err := <-failed:
				t.Fatal(err)
			case <-time.After(10 * time.Second):
				t.Fatalf("chain stopped after %d reads", calls.Load())
			}
		})

		t.Run("C11/inline-list-notification", func(t *testing.T) {
			list := make([]*Request, 8)
			for i := range list {
				list[i] = &Request{Fd: fd, Offset: int64(i * 4096), Buf: make([]byte, 4096), Opcode: LIO_READ}
			}
			got := make(chan *Request, 2)
			ev := &Sigevent{Notify: SIGEV_INLINE, Func: func(r *Request) { got <- r }}
			if err := e.ListIO(t.Context(), LIO_NOWAIT, list, ev); err != nil {
				t.Fatal(err)
			}
			if r := <-got; r != nil {
				t.Fatalf("list notification with request %p, want nil", r)
			}
			for i, r := range list {
				mustStatus(t, r, nil)
				mustEqual(t, "list entry", r.Buf, data[i*4096:(i+1)*4096])
			}
			select {
			case <-got:
				t.Fatal("list notified twice")
			default:
			}
		})

		t.Run("C11/inline-cancelled-is-notified", func(t *testing.T) {
			// An O_APPEND write held behind one blocked on a full pipe is
			// cancelled for sure; its callback runs (on a goroutine,
			// since a Cancel is under way) and sees ECANCELED.
			pr, pw, n := appendPipe(t)
			w := &Request{Fd: pw, Buf: []byte("x")}
			got := make(chan error, 1)
			s := &Request{Fd: pw, Buf: []byte("y"), Notify: Sigevent{Notify: SIGEV_INLINE, Func: func(r *Request) { got <- r.Error() }}}
			if err := e.Write(w); err != nil {
				t.Fatal(err)
			}
			if err := e.Write(s); err != nil {
				t.Fatal(err)
			}
			if res, err := e.Cancel(pw, s); res != AIO_CANCELED || err != nil {
				t.Fatalf("Cancel of the held write = %d, %v; want AIO_CANCELED", res, err)
			}
			if err := <-got; !errors.Is(err, unix.ECANCELED) {
				t.Fatalf("callback saw %v, want ECANCELED", err)
			}
			drain(t, pr, n+1)
			waitDoneT(t, w)
		})

		t.Run("C1/inline-zero-allocs", func(t *testing.T) {
			if raceEnabled {
				t.Skip("allocation counts are not meaningful under -race")
			}
			done := make(chan struct{}, 1)
			r := &Request{Fd: fd, Buf: make([]byte, 4096)}
			r.Notify = Sigevent{Notify: SIGEV_INLINE, Func: func(*Request) { done <- struct{}{} }}
			allocs := testing.AllocsPerRun(1000, func() {
				if err := e.Read(r); err != nil {
					t.Fatal(err)
				}
				<-done
				if n, err := r.Return(); n != 4096 || err != nil {
					t.Fatalf("Return = %d, %v", n, err)
				}
			})
			if allocs != 0 {
				t.Errorf("Read with SIGEV_INLINE allocates %.2f times per request", allocs)
			}
		})
	})
}
