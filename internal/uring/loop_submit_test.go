package uring

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// C1: once a batch has gone to a device (here: reads of empty pipes, which
// the kernel parks rather than completing inside the enter), the next
// batch is entered one SQE at a time, and every request still completes;
// page-cached reads, which complete inside the enter, go back to one enter
// per batch.
func TestLoopSplitsDeviceBatches(t *testing.T) {
	res := newResults()
	l := newLoop(t, 32, res.handle)
	const n = 8
	rfds, wfds := make([]int, n), make([]int, n)
	for i := range n {
		rfds[i], wfds[i] = pipe(t)
	}
	buf := pageBuf(t, 2*n*64)
	f := tempFile(t, n*4096)
	fbuf := pageBuf(t, n*4096)

	// batch submits one Submit of n SQEs made by prep, waits for the loop
	// to hand them all to the kernel, and reports how many enters it took.
	batch := func(prep func(s *SQE, i int)) uint64 {
		t.Helper()
		before := l.Stats()
		var sqes [n]SQE
		for i := range sqes {
			prep(&sqes[i], i)
		}
		if k, err := l.Submit(sqes[:]); k != n || err != nil {
			t.Fatalf("Submit: %d, %v", k, err)
		}
		if !waitFor(10*time.Second, func() bool { return l.Stats().Submitted-before.Submitted == n }) {
			t.Fatalf("the loop did not submit the batch: %+v", l.Stats())
		}
		return l.Stats().Enters - before.Enters
	}
	pipeReads := func(round int) func(s *SQE, i int) {
		return func(s *SQE, i int) {
			s.PrepRead(rfds[i], buf[(round*n+i)*64:(round*n+i+1)*64], -1, uint64(round*100+i))
		}
	}
	drain := func(round int) {
		t.Helper()
		for i := range n {
			unix.Write(wfds[i], []byte("z"))
		}
		for i := range n {
			if r := res.wait(t, uint64(round*100+i)); r != 1 {
				t.Fatalf("pipe read %d/%d: res %d, want 1", round, i, r)
			}
		}
	}

	if e := batch(pipeReads(0)); e != 1 {
		t.Errorf("first batch of pipe reads: %d enters, want 1 (nothing known yet)", e)
	}
	drain(0)
	if e := batch(pipeReads(1)); e != n {
		t.Errorf("batch after one that went to a device: %d enters, want %d (one per SQE)", e, n)
	}
	drain(1)
	cached := func(s *SQE, i int) {
		s.PrepRead(int(f.Fd()), fbuf[i*4096:(i+1)*4096], int64(i*4096), uint64(1000+i))
	}
	batch(cached) // one SQE per enter, since the last batch went to a device; completes inside the enters
	for i := range n {
		if r := res.wait(t, uint64(1000+i)); r != 4096 {
			t.Fatalf("cached read %d: res %d", i, r)
		}
	}
	res.mu.Lock()
	for i := range n {
		delete(res.res, uint64(1000+i))
	}
	res.mu.Unlock()
	if e := batch(cached); e != 1 {
		t.Errorf("batch after page-cached reads: %d enters, want 1", e)
	}
	for i := range n {
		if r := res.wait(t, uint64(1000+i)); r != 4096 {
			t.Fatalf("cached read %d: res %d", i, r)
		}
	}
}
