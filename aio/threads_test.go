package aio

import (
	"bytes"
	"log/slog"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// C5: the most urgent request waiting for the backend goes first
// (Priority, FIFO among equals): with the one worker, or the one ring of
// depth one, held by a pipe read, queued requests complete in priority
// order on every backend.
func TestPriorityOrder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t, WithWorkers(1), WithRings(1), WithQueueDepth(1))
		pr, pw := pipe(t)
		f, _ := tempFile(t, 100, os.O_RDONLY)
		blocker := &Request{Fd: pr, Buf: make([]byte, 1)}
		if err := e.Read(blocker); err != nil {
			t.Fatal(err)
		}
		waitRunning(t, e, blocker)
		// linuxaio hands the pipe read on to its pool and takes the
		// reads at once; hold its submitter so they wait.
		release := holdSubmission(e)
		ch := make(chan *Request, 8)
		prios := []int{5, 0, AIO_PRIO_DELTA_MAX, 3, 0}
		rs := make([]*Request, len(prios))
		for i, p := range prios {
			rs[i] = &Request{Fd: int(f.Fd()), Buf: make([]byte, 1), Priority: p, Notify: Sigevent{Notify: SIGEV_CHAN, Chan: ch}}
			if err := e.Read(rs[i]); err != nil {
				t.Fatal(err)
			}
		}
		release()
		unix.Write(pw, []byte("x"))
		for _, want := range []*Request{rs[1], rs[4], rs[3], rs[0], rs[2]} {
			if got := <-ch; got != want {
				t.Fatalf("C5/priority-order: completed priority %d, want %d", got.Priority, want.Priority)
			}
		}
		waitDoneT(t, blocker)
	})
}

// C13, C19: automatic selection picks io_uring when it is available, else
// native AIO, else the thread pool, and says why at debug level.
func TestAutoSelection(t *testing.T) {
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e, err := New(WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	want := "threads"
	for _, be := range backendsByRank() {
		if be.available() == nil {
			want = be.name
			break
		}
	}
	if e.Backend() != want {
		t.Fatalf("C13/auto: backend %q, want %q", e.Backend(), want)
	}
	if !bytes.Contains(logBuf.Bytes(), []byte("backend="+want)) {
		t.Fatalf("C13/auto: selection not logged at debug level: %q", logBuf.String())
	}
	if want != "uring" && !bytes.Contains(logBuf.Bytes(), []byte("backend not used")) {
		t.Fatalf("C13/auto: reason for passing io_uring over not logged: %q", logBuf.String())
	}
	// Forcing works either way.
	th, err := New(WithBackend("threads"))
	if err != nil {
		t.Fatal(err)
	}
	defer th.Close()
	if th.Backend() != "threads" {
		t.Fatalf("C13/forced: backend %q", th.Backend())
	}
}
