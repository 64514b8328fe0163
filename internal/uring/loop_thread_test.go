package uring

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/fasync-go/fasync/internal/testutil"
	"golang.org/x/sys/unix"
)

// newThreadLoop is newLoop with LoopConfig.Thread, skipping where the
// kernel lacks DEFER_TASKRUN (before 6.1).
func newThreadLoop(t *testing.T, entries uint32, h Handler) *Loop {
	t.Helper()
	needUring(t)
	l, err := NewLoop(LoopConfig{Entries: entries, Thread: true}, h)
	if err != nil {
		t.Fatalf("NewLoop(Thread): %v", err)
	}
	t.Cleanup(func() { l.Close() })
	if _, ok := l.mode.(*threadMode); !ok {
		t.Skipf("kernel without IORING_SETUP_DEFER_TASKRUN (flags %#x): Thread works as a plain Loop", l.ring.Flags())
	}
	return l
}

// C1 on a Loop with a thread: the ring is SINGLE_ISSUER | DEFER_TASKRUN;
// a request the kernel finishes later (a pipe read) completes once another
// goroutine writes, through the completion work the kernel defers to the
// loop's thread; page-cached reads complete; SQEs submitted from other
// goroutines while the loop waits are taken; Close cancels what is left.
func TestLoopThread(t *testing.T) {
	res := newResults()
	l := newThreadLoop(t, 16, res.handle)
	if f := l.ring.Flags(); f&(IORING_SETUP_SINGLE_ISSUER|IORING_SETUP_DEFER_TASKRUN) != IORING_SETUP_SINGLE_ISSUER|IORING_SETUP_DEFER_TASKRUN {
		t.Fatalf("ring flags %#x lack SINGLE_ISSUER|DEFER_TASKRUN", f)
	}
	r, w := pipe(t)
	buf := pageBuf(t, 2*4096)
	submitRead(t, l, r, buf[:64], -1, 1, 0)
	if err := l.Barrier(); err != nil { // the read is in the kernel, the loop waits
		t.Fatal(err)
	}
	unix.Write(w, []byte("deferred"))
	if got := res.wait(t, 1); got != 8 || string(buf[:8]) != "deferred" {
		t.Fatalf("pipe read: res %d, %q", got, buf[:8])
	}

	f := tempFile(t, 4096)
	submitRead(t, l, int(f.Fd()), buf[4096:], 0, 2, 0)
	if got := res.wait(t, 2); got != 4096 {
		t.Fatalf("cached read: res %d", got)
	}

	submitRead(t, l, r, buf[:64], -1, 3, 0)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := res.wait(t, 3); got != -int32(unix.ECANCELED) {
		t.Fatalf("read pending at Close: res %d, want -ECANCELED", got)
	}
}

// C1: on a Loop with a thread the kernel takes io_uring_register only from
// that thread; Do runs the registration there, and refuses after Close.
func TestLoopThreadDo(t *testing.T) {
	res := newResults()
	l := newThreadLoop(t, 8, res.handle)
	fds := []int32{-1, -1}
	if err := l.ring.RegisterFiles(fds); !errors.Is(err, unix.EEXIST) {
		t.Fatalf("RegisterFiles from a thread other than the issuer: %v, want EEXIST (why Do exists)", err)
	}
	if err := l.Do(func(r *Ring) error { return r.RegisterFiles(fds) }); err != nil {
		t.Fatalf("Do(RegisterFiles): %v", err)
	}
	f := tempFile(t, 4096)
	if err := l.Do(func(r *Ring) error { return r.UpdateFiles(1, []int32{int32(f.Fd())}) }); err != nil {
		t.Fatalf("Do(UpdateFiles): %v", err)
	}
	buf := pageBuf(t, 4096)
	submitRead(t, l, 1, buf, 0, 9, IOSQE_FIXED_FILE)
	if got := res.wait(t, 9); got != 4096 {
		t.Fatalf("read of fixed file 1: res %d", got)
	}
	l.Close()
	if err := l.Do(func(*Ring) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Do after Close: %v, want ErrClosed", err)
	}
}

// C1: Do calls racing Close each return, with their function's result or
// ErrClosed, never hang.
func TestLoopThreadDoRacingClose(t *testing.T) {
	for range 20 {
		l := newThreadLoop(t, 8, newResults().handle)
		errs := make(chan error, 4)
		for range 4 {
			go func() { errs <- l.Do(func(*Ring) error { return nil }) }()
		}
		l.Close()
		for range 4 {
			select {
			case err := <-errs:
				if err != nil && !errors.Is(err, ErrClosed) {
					t.Fatalf("Do: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("a Do racing Close never returned")
			}
		}
	}
}

// C16: a Loop with a thread whose Handler wakes a goroutine (Readied) goes
// through the Go scheduler before it waits in the kernel when the
// process has no P to spare beside its Loops with threads, and only then:
// the woken goroutine would otherwise wait for the loop thread's P until
// sysmon took it back.
func TestLoopThreadReadiedHandsOff(t *testing.T) {
	res := newResults()
	var l *Loop
	l = newThreadLoop(t, 8, func(ud uint64, r int32, flags uint32) {
		l.Readied()
		res.handle(ud, r, flags)
	})
	r1, w1 := pipe(t)
	r2, w2 := pipe(t)
	buf := pageBuf(t, 4096)
	// round completes one read while another stays in the kernel, so the
	// loop waits again right after the Handler's Readied, and reports
	// the handoffs made by then.
	round := func(ud uint64) uint64 {
		t.Helper()
		waits := l.stats.readiedWaits.Load()
		handoffs := l.stats.handoffs.Load()
		submitRead(t, l, r1, buf[:8], -1, ud, 0)
		submitRead(t, l, r2, buf[8:16], -1, ud+1, 0)
		if err := l.Barrier(); err != nil { // both reads wait in the kernel
			t.Fatal(err)
		}
		unix.Write(w1, []byte("readied!"))
		if got := res.wait(t, ud); got != 8 {
			t.Fatalf("pipe read: res %d", got)
		}
		testutil.WaitFor(t, "the loop's wait after the Handler's Readied", func() bool {
			return l.stats.readiedWaits.Load() > waits
		})
		n := l.stats.handoffs.Load() - handoffs
		unix.Write(w2, []byte("readied!"))
		if got := res.wait(t, ud+1); got != 8 {
			t.Fatalf("pipe read: res %d", got)
		}
		return n
	}
	// setProcs sets GOMAXPROCS and has the loop read it again (it keeps
	// the value for yieldEvery).
	setProcs := func(n int) {
		t.Helper()
		runtime.GOMAXPROCS(n)
		if err := l.Do(func(*Ring) error { l.mode.(*threadMode).procs = 0; return nil }); err != nil {
			t.Fatal(err)
		}
	}

	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	setProcs(int(threadLoops.Load()) + 1)
	if n := round(1); n != 0 {
		t.Fatalf("with a P to spare the loop handed its P off %d times, want 0", n)
	}
	setProcs(1) // none to spare
	// At least once: the Readied of the first round's last completion
	// may be the one a wait of this round takes (see Loop.readied).
	if n := round(3); n == 0 {
		t.Fatalf("with no P to spare the loop never handed its P off after its Handler woke a goroutine")
	}
	if h := l.Stats().Handoffs; h == 0 {
		t.Fatalf("LoopStats.Handoffs = 0 after a handoff")
	}
}
