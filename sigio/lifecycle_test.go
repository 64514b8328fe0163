package sigio

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/testutil"
)

// TestHandler: with Options.Handler, events are delivered on the owner
// thread, one at a time; the handler may Unwatch and Watch, and the Polled
// events of a Watch made there come after it returns, never re-entrantly
// (SPEC R1).
func TestHandler(t *testing.T) {
	r1, w1 := pipe(t)
	r2, w2 := pipe(t)
	write(t, w2, []byte("already waiting"))
	var (
		w        *Watcher
		depth    atomic.Int32
		mu       sync.Mutex
		got      []Event
		problems []string
		polled2  = make(chan struct{})
	)
	problem := func(s string) {
		mu.Lock()
		problems = append(problems, s)
		mu.Unlock()
	}
	handler := func(e Event) {
		if depth.Add(1) != 1 {
			problem("handler re-entered")
		}
		defer depth.Add(-1)
		if unix.Gettid() != w.OwnerTID() {
			problem("handler not on the owner thread")
		}
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
		switch {
		case e.Fd == r1 && e.Band == POLL_IN:
			if err := w.Unwatch(r1); err != nil {
				problem("Unwatch in handler: " + err.Error())
			}
			if err := w.Watch(r2); err != nil {
				problem("Watch in handler: " + err.Error())
			}
		case e.Fd == r2 && e.Polled:
			close(polled2)
		}
	}
	w = newWatcher(t, &Options{Handler: handler})
	if w.Events() != nil {
		t.Fatal("Events() is not nil with a Handler")
	}
	if err := w.Watch(r1); err != nil {
		t.Fatal(err)
	}
	write(t, w1, []byte("x"))
	select {
	case <-polled2:
	case <-time.After(deadline):
		t.Fatalf("no polled event for the descriptor watched in the handler")
	}
	if s := stateOf(t, r1); s.flags&unix.O_ASYNC != 0 {
		t.Errorf("r1 still has O_ASYNC after Unwatch in the handler")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	t.Logf("events: %v", got)
}

// TestHandlerClose: Close from the handler takes effect when it returns;
// later calls see ErrClosed and the descriptors are restored (SPEC R1).
func TestHandlerClose(t *testing.T) {
	r, wr := pipe(t)
	before := stateOf(t, r)
	var w *Watcher
	closed := make(chan error, 1)
	var calls atomic.Int32
	w = newWatcher(t, &Options{Handler: func(e Event) {
		if calls.Add(1) == 1 {
			closed <- w.Close()
		}
	}})
	if err := w.Watch(r); err != nil {
		t.Fatal(err)
	}
	write(t, wr, []byte("x"))
	if err := <-closed; err != nil {
		t.Fatalf("Close in handler: %v", err)
	}
	// Close from the handler does not wait; the owner finishes after it.
	select {
	case <-w.done:
	case <-time.After(deadline):
		t.Fatal("owner thread still running after Close in the handler")
	}
	write(t, wr, []byte("y"))
	if err := w.Watch(r); !errors.Is(err, ErrClosed) {
		t.Fatalf("Watch after Close: %v, want ErrClosed", err)
	}
	if after := stateOf(t, r); after != before {
		t.Fatalf("descriptor not restored by Close: %+v, was %+v", after, before)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("handler called %d times, want 1", n)
	}
}

// TestNoEventAfterUnwatch: while a writer hammers a pipe, no event for it
// reaches the handler once Unwatch has returned; signals already queued are
// counted as Stale instead (SPEC R1).
func TestNoEventAfterUnwatch(t *testing.T) {
	r, wr := pipe(t)
	var unwatched, late atomic.Bool
	w := newWatcher(t, &Options{Handler: func(e Event) {
		if e.Fd == r && unwatched.Load() {
			late.Store(true)
		}
	}})
	if err := w.Watch(r); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := unix.Write(wr, []byte{'x'}); err == unix.EAGAIN {
				unix.Read(r, buf)
			}
		}
	}()
	testutil.WaitFor(t, "some events delivered", func() bool { return w.Stats().Events > 100 })
	if err := w.Unwatch(r); err != nil {
		t.Fatal(err)
	}
	unwatched.Store(true)
	close(stop)
	<-done
	w.Close() // the owner has read and dropped everything queued before this
	if late.Load() {
		t.Fatal("an event for the descriptor reached the handler after Unwatch returned")
	}
	t.Logf("stats %+v", w.Stats())
}

// TestFullChannel: a consumer that stops receiving and calls Unwatch and
// Close instead must not deadlock with the owner thread blocked on the full
// Events channel (SPEC R1).
func TestFullChannel(t *testing.T) {
	w, err := New(&Options{QueueLen: 1})
	if err != nil {
		t.Fatal(err)
	}
	r, wr := pipe(t)
	before := stateOf(t, r)
	if err := w.Watch(r); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		write(t, wr, []byte{'x'})
	}
	testutil.WaitFor(t, "channel full", func() bool { return len(w.Events()) == 1 })
	finished := make(chan error)
	go func() {
		if err := w.Unwatch(r); err != nil {
			finished <- err
			return
		}
		finished <- w.Close()
	}()
	select {
	case err := <-finished:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(deadline):
		t.Fatal("Unwatch/Close blocked behind a full Events channel")
	}
	if after := stateOf(t, r); after != before {
		t.Fatalf("descriptor not restored: %+v, was %+v", after, before)
	}
	n := 0
	for range w.Events() { // closed by Close
		n++
	}
	if n != 1 {
		t.Fatalf("%d events left in the channel, want the 1 it held", n)
	}
}

// TestForeignSignal: the watcher's signal sent by tgkill rather than by
// fasync carries no descriptor; it is counted as Foreign, not reported as an
// event for descriptor 0 (SPEC R1).
func TestForeignSignal(t *testing.T) {
	w := newWatcher(t, nil)
	r, wr := pipe(t)
	if err := w.Watch(r); err != nil {
		t.Fatal(err)
	}
	if err := unix.Tgkill(unix.Getpid(), w.OwnerTID(), w.Signal()); err != nil {
		t.Fatal(err)
	}
	// Queued after the tgkill, so read after it.
	write(t, wr, []byte("x"))
	e := await(t, w.Events(), func(Event) bool { return true }, "the pipe's event")
	if e.Fd != r || e.Band != POLL_IN {
		t.Fatalf("first event %v, want POLL_IN for fd %d", e, r)
	}
	if st := w.Stats(); st.Foreign != 1 {
		t.Fatalf("stats %+v, want Foreign 1", st)
	}
}

// TestCloseRestores: Close unwatches everything, closes the channel and
// frees the signal (SPEC R1).
func TestCloseRestores(t *testing.T) {
	w, err := New(&Options{Signal: 60})
	if err != nil {
		t.Fatal(err)
	}
	var fds []int
	var before []fdState
	for range 3 {
		r, _ := pipe(t)
		fds = append(fds, r)
		before = append(before, stateOf(t, r))
		if err := w.Watch(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for i, fd := range fds {
		if s := stateOf(t, fd); s != before[i] {
			t.Errorf("fd %d: %+v after Close, was %+v", fd, s, before[i])
		}
	}
	if _, ok := <-w.Events(); ok {
		t.Error("Events not closed")
	}
	w2, err := New(&Options{Signal: 60})
	if err != nil {
		t.Fatalf("signal not released by Close: %v", err)
	}
	w2.Close()
}
