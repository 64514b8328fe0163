package aio

import (
	"os"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/testutil"
)

// C8 with reads off the descriptor lists: a read on a tracker backend is
// on no descriptor list, yet Cancel (one request, or all on the
// descriptor) and Close find it in the backend; writes beside it stay on
// the list for the ordering rules (C10).
func TestReadsAreTrackedByTheBackend(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		t.Run("C8/read-off-the-list-is-cancellable", func(t *testing.T) {
			e := newEngine(t)
			if e.trk == nil {
				t.Skipf("backend %s lists no requests", e.Backend())
			}
			pr, pw := pipe(t)
			rs := []*Request{{Fd: pr, Buf: make([]byte, 1)}, {Fd: pr, Buf: make([]byte, 1)}}
			for _, r := range rs {
				if err := e.Read(r); err != nil {
					t.Fatal(err)
				}
			}
			waitRunning(t, e, rs[0])
			if n := listed(e, pr); n != 0 {
				t.Fatalf("%d reads on the descriptor list, want none", n)
			}
			res, err := e.Cancel(pr, rs[1])
			if err != nil {
				t.Fatal(err)
			}
			checkCancelResult(t, res, rs[1])
			res, err = e.Cancel(pr, nil)
			if err != nil || res == AIO_ALLDONE {
				t.Fatalf("Cancel(fd, nil) with a read in flight = %d, %v", res, err)
			}
			unix.Write(pw, []byte("xy"))
			waitDoneT(t, rs...)
		})

		t.Run("C10/write-stays-on-the-list", func(t *testing.T) {
			e := newEngine(t)
			pr, pw := pipe(t)
			n := fillPipe(t, pw)
			w := &Request{Fd: pw, Buf: []byte("w")}
			if err := e.Write(w); err != nil {
				t.Fatal(err)
			}
			if got := listed(e, pw); got != 1 {
				t.Fatalf("%d requests on the descriptor list, want the write", got)
			}
			drain(t, pr, n)
			waitDoneT(t, w)
			mustReturn(t, w, 1)
		})

		t.Run("C8/close-cancels-queued-reads", func(t *testing.T) {
			e := newEngine(t, WithWorkers(1))
			pr, pw := pipe(t)
			f, _ := tempFile(t, 100, os.O_RDONLY)
			blocker := &Request{Fd: pr, Buf: make([]byte, 1)}
			if err := e.Read(blocker); err != nil {
				t.Fatal(err)
			}
			waitRunning(t, e, blocker)
			queued := &Request{Fd: int(f.Fd()), Buf: make([]byte, 10)}
			if err := e.Read(queued); err != nil {
				t.Fatal(err)
			}
			closed := make(chan error, 1)
			go func() { closed <- e.Close() }()
			if e.Backend() == "threads" {
				testutil.WaitFor(t, "Close to cancel the queued read", func() bool { return queued.Error() == syscall.ECANCELED })
			}
			unix.Write(pw, []byte("x"))
			if err := <-closed; err != nil {
				t.Fatal(err)
			}
			for _, r := range []*Request{blocker, queued} {
				if err := r.Error(); err != nil && err != syscall.ECANCELED {
					t.Fatalf("status after Close: %v", err)
				}
			}
		})
	})
}

// listed counts the requests on fd's descriptor list.
func listed(e *Engine, fd int) int {
	s := e.shard(fd)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	if st := s.fds[fd]; st != nil {
		for q := st.head; q != nil; q = q.fdNext {
			n++
		}
	}
	return n
}

// The slot table of a ring: every slot can be taken, given back in any
// order, and taken again; visit sees exactly the requests holding slots.
func TestRingSlots(t *testing.T) {
	const n = 5
	s := newRingSlots(n)
	reqs := make([]Request, 2*n)
	for round := range 3 {
		for i := range n {
			s.take(&reqs[i])
			if reqs[i].tag == noSlot {
				t.Fatalf("round %d: no slot for request %d of %d", round, i, n)
			}
		}
		seen := 0
		s.visit(-1, nil, func(r *Request) { seen++; r.cancelRefs.Add(-1) })
		if seen != n {
			t.Fatalf("round %d: visit saw %d requests, want %d", round, seen, n)
		}
		for _, i := range []int{3, 0, 4, 1, 2} { // out of order, as completions come
			s.give(&reqs[i])
		}
		s.visit(-1, nil, func(r *Request) { t.Fatalf("round %d: visit saw a request after every slot was given back", round) })
	}
}

// C8 under concurrency for one request: Cancel(fd, r) runs in a loop
// while r's owner resubmits it; every submission completes exactly once
// (data intact or ECANCELED), and Cancel never touches a later life of r
// (the owner would then see a result it did not wait for).
func TestCancelOneRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t, WithWorkers(2))
		f, data := tempFile(t, 1<<16, os.O_RDONLY)
		fd := int(f.Fd())
		ch := make(chan *Request, 1)
		r := &Request{Fd: fd, Offset: 4096, Buf: make([]byte, 512), Notify: Sigevent{Notify: SIGEV_CHAN, Chan: ch}}
		if err := e.Read(r); err != nil { // r.eng is set before the canceller starts
			t.Fatal(err)
		}
		<-ch
		r.Return()
		stop := make(chan struct{})
		var cancels sync.WaitGroup
		cancels.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if res, err := e.Cancel(fd, r); err != nil || res < AIO_CANCELED || res > AIO_ALLDONE {
					t.Errorf("Cancel = %d, %v", res, err)
					return
				}
			}
		})
		for range 500 {
			if err := e.Read(r); err != nil {
				t.Fatalf("Read: %v", err)
			}
			if got := <-ch; got != r {
				t.Fatalf("notified %p, want %p", got, r)
			}
			n, err := r.Return()
			if err != nil && err != syscall.ECANCELED || err == nil && n != 512 {
				t.Fatalf("Return = %d, %v", n, err)
			}
			if err == nil {
				mustEqual(t, "C8/read beside Cancel", r.Buf, data[4096:4096+512])
			}
			select {
			case q := <-ch:
				t.Fatalf("a second notification (%p) for one submission", q)
			default:
			}
		}
		close(stop)
		cancels.Wait()
	})
}
