package uring

import (
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/testutil"
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
		testutil.WaitFor(t, "the loop to submit the batch", func() bool { return l.Stats().Submitted-before.Submitted == n })
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

// C1: while requests go to a device, a request a Handler resubmits is
// entered before the next completion's Handler runs, so the first request
// of a new round reaches the device without waiting for the round's other
// Handlers. A Handler that holds the loop lets a round of pipe-read
// completions pile up to be reaped together.
func TestLoopEntersResubmissionBeforeNextHandler(t *testing.T) {
	const n, gateUD, resubmitted = 8, 99, 100
	rfds, wfds := make([]int, n+1), make([]int, n+1)
	for i := range rfds {
		rfds[i], wfds[i] = pipe(t)
	}
	buf := pageBuf(t, 4096)
	inGate, gate := make(chan struct{}), make(chan struct{})
	var (
		l         *Loop
		mu        sync.Mutex
		atHandler []uint64 // Stats().Submitted as each round-0 Handler starts
		subErr    error
	)
	handle := func(ud uint64, res int32, _ uint32) {
		switch {
		case ud == gateUD:
			close(inGate)
			<-gate
		case ud < n:
			mu.Lock()
			atHandler = append(atHandler, l.Stats().Submitted)
			mu.Unlock()
			var s [1]SQE
			s[0].PrepRead(rfds[ud], buf[(n+1+ud)*64:(n+2+ud)*64], -1, ud+resubmitted)
			if _, err := l.Submit(s[:]); err != nil {
				mu.Lock()
				subErr = err
				mu.Unlock()
			}
		}
	}
	l = newThreadLoop(t, 32, handle)
	var release sync.Once
	t.Cleanup(func() { release.Do(func() { close(gate) }) }) // before Close, which waits for the Handler
	if err := l.Barrier(); err != nil {
		t.Fatal(err)
	}
	base := l.Stats().Submitted

	var sqes [n]SQE
	for i := range sqes {
		sqes[i].PrepRead(rfds[i], buf[i*64:(i+1)*64], -1, uint64(i))
	}
	if k, err := l.Submit(sqes[:]); k != n || err != nil {
		t.Fatalf("Submit: %d, %v", k, err)
	}
	submitRead(t, l, rfds[n], buf[n*64:(n+1)*64], -1, gateUD, 0)
	testutil.WaitFor(t, "the loop to enter the reads", func() bool { return l.Stats().Submitted-base == n+1 })
	unix.Write(wfds[n], []byte("g"))
	select {
	case <-inGate:
	case <-time.After(10 * time.Second):
		t.Fatal("the gate read's Handler did not run")
	}
	for i := range n {
		unix.Write(wfds[i], []byte("z")) // completes while the loop is held
	}
	release.Do(func() { close(gate) })
	testutil.WaitFor(t, "the loop to enter the resubmitted reads", func() bool { return l.Stats().Submitted-base == 2*n+1 })
	mu.Lock()
	defer mu.Unlock()
	if subErr != nil {
		t.Fatalf("Submit from a Handler: %v", subErr)
	}
	if len(atHandler) != n {
		t.Fatalf("%d round-0 Handlers ran, want %d", len(atHandler), n)
	}
	for j, s := range atHandler {
		if got := s - atHandler[0]; got != uint64(j) {
			t.Errorf("Handler %d of the round started with %d more SQEs entered than the first, want %d (each earlier Handler's resubmission entered): %v", j, got, j, atHandler)
			break
		}
	}
}
