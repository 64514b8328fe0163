package uring

import (
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// C1: while the loop goroutine waits inside io_uring_enter (a read of a
// quiet pipe keeps a request in the kernel), submitters hand their SQEs to
// the kernel themselves. The wait is made to outlast the test, so every
// NOP below completes only because its submitter submitted it; then the
// pipe read completes too, and Close ends promptly.
func TestLoopSubmitWhileWaitingInKernel(t *testing.T) {
	res := newResults()
	l := newLoop(t, 64, res.handle)
	if !l.inKernel {
		t.Skip("kernel lacks IORING_FEAT_EXT_ARG (Linux 5.11): the Loop never waits in io_uring_enter")
	}
	l.kernelWait = time.Hour // set before the first Submit, which orders it before the loop's read
	rfd, wfd := pipe(t)
	buf := pageBuf(t, 1)
	var sqe [1]SQE
	sqe[0].PrepRead(rfd, buf, -1, 1<<40)
	if _, err := l.Submit(sqe[:]); err != nil {
		t.Fatal(err)
	}
	if !waitFor(10*time.Second, func() bool { return l.state.Load() == loopWaiting }) {
		t.Fatalf("loop did not wait in io_uring_enter with a request in the kernel (state %d)", l.state.Load())
	}
	const workers, each = 4, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var s [1]SQE
			for i := range each {
				ud := uint64(w*each + i + 1)
				s[0].PrepNop(ud)
				if _, err := l.Submit(s[:]); err != nil {
					t.Error(err)
					return
				}
				if r := res.wait(t, ud); r != 0 {
					t.Errorf("NOP %d: res %d", ud, r)
				}
			}
		})
	}
	wg.Wait()
	unix.Write(wfd, []byte("x"))
	if r := res.wait(t, 1<<40); r != 1 {
		t.Fatalf("pipe read: res %d, want 1", r)
	}
	if st := l.Stats(); st.Waits == 0 || st.Reaped != workers*each+1 {
		t.Fatalf("stats %+v: want Waits > 0, Reaped %d", st, workers*each+1)
	}
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close of a loop waiting in io_uring_enter did not return")
	}
}

// C13: a request pending for long does not hold an OS thread: after
// kernelWait the loop leaves io_uring_enter and parks in the netpoller.
// 64 Loops, each with a read of a quiet pipe in flight, add far fewer
// than 64 threads; then every read completes.
func TestLoopPendingHoldsNoThread(t *testing.T) {
	needUring(t)
	before := threads(t)
	res := newResults()
	type loopPipe struct {
		l        *Loop
		rfd, wfd int
	}
	var lps []loopPipe
	buf := pageBuf(t, 64*64)
	for i := range 64 {
		l := newLoop(t, 1, res.handle)
		rfd, wfd := pipe(t)
		var sqe [1]SQE
		sqe[0].PrepRead(rfd, buf[i*64:(i+1)*64], -1, uint64(i+1))
		if _, err := l.Submit(sqe[:]); err != nil {
			t.Fatal(err)
		}
		lps = append(lps, loopPipe{l, rfd, wfd})
	}
	parked := waitFor(10*time.Second, func() bool {
		for _, lp := range lps {
			if lp.l.state.Load() != loopParked {
				return false
			}
		}
		return true
	})
	if !parked {
		t.Fatal("Loops with a pending read did not park in the netpoller")
	}
	if after := threads(t); after-before >= 16 {
		t.Fatalf("64 Loops with pending reads hold %d more threads (%d → %d)", after-before, before, after)
	}
	for i, lp := range lps {
		unix.Write(lp.wfd, []byte("y"))
		if r := res.wait(t, uint64(i+1)); r != 1 {
			t.Fatalf("read %d: res %d, want 1", i+1, r)
		}
	}
}
