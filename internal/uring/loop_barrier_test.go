package uring

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// C1: Barrier returns once the SQEs queued before it are in the kernel,
// without waiting for their completions (a read of an empty pipe stays
// pending across it), and reports ErrClosed after Close.
func TestLoopBarrier(t *testing.T) {
	res := newResults()
	l := newLoop(t, 8, res.handle)
	r, w := pipe(t)
	buf := pageBuf(t, 64)
	submitRead(t, l, r, buf, -1, 7, 0)
	if err := l.Barrier(); err != nil {
		t.Fatalf("Barrier: %v", err)
	}
	if st := l.Stats(); st.Submitted < 2 {
		t.Fatalf("after Barrier the kernel has %d SQEs, want the read and the NOP", st.Submitted)
	}
	if l.InFlight() != 1 {
		t.Fatalf("in flight after Barrier: %d, want the pending read", l.InFlight())
	}
	unix.Write(w, []byte("x"))
	if got := res.wait(t, 7); got != 1 {
		t.Fatalf("read: res %d, want 1", got)
	}
	l.Close()
	done := make(chan error, 1)
	go func() { done <- l.Barrier() }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Barrier after Close: %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Barrier after Close did not return")
	}
}
