package uring

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/testutil"
)

// results collects a Loop's completions by user_data.
type results struct {
	mu   sync.Mutex
	res  map[uint64]int32
	cond *sync.Cond
}

func newResults() *results {
	r := &results{res: map[uint64]int32{}}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *results) handle(ud uint64, res int32, _ uint32) {
	r.mu.Lock()
	if _, dup := r.res[ud]; dup {
		panic("completion delivered twice: " + strconv.FormatUint(ud, 10))
	}
	r.res[ud] = res
	r.cond.Broadcast()
	r.mu.Unlock()
}

// wait returns the result for ud, failing t after 10s.
func (r *results) wait(t testing.TB, ud uint64) int32 {
	t.Helper()
	var res int32
	testutil.WaitFor(t, fmt.Sprintf("the completion of user_data %d", ud), func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		var found bool
		res, found = r.res[ud]
		return found
	})
	return res
}

func newLoop(t testing.TB, entries uint32, h Handler) *Loop {
	t.Helper()
	needUring(t)
	l, err := NewLoop(LoopConfig{Entries: entries}, h)
	if err != nil {
		t.Fatalf("NewLoop: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// C1: many goroutines write blocks through one Loop and read them back.
func TestLoopReadWrite(t *testing.T) {
	res := newResults()
	l := newLoop(t, 32, res.handle)
	f := tempFile(t, 256<<10)
	fd := int(f.Fd())
	const bs, writers, each = 4096, 8, 8
	out, in := pageBuf(t, writers*each*bs), pageBuf(t, writers*each*bs)
	for i := range out {
		out[i] = byte(i / bs * 31)
	}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				k := w*each + i
				var sqe [1]SQE
				sqe[0].PrepWrite(fd, out[k*bs:(k+1)*bs], int64(k*bs), uint64(k))
				// 64 writes on a 32-entry Loop: ErrRingFull until
				// earlier writes complete.
				var err error
				for deadline := time.Now().Add(testutil.Patience); time.Now().Before(deadline); runtime.Gosched() {
					if _, err = l.Submit(sqe[:]); !errors.Is(err, ErrRingFull) {
						break
					}
				}
				if err != nil {
					t.Errorf("Submit write %d: %v", k, err)
				}
			}
		}(w)
	}
	wg.Wait()
	for k := 0; k < writers*each; k++ {
		if got := res.wait(t, uint64(k)); got != bs {
			t.Fatalf("write %d: res %d", k, got)
		}
	}
	// Read back in batches: one Submit of 16 SQEs each.
	for base := 0; base < writers*each; base += 16 {
		var sqes [16]SQE
		for i := range sqes {
			k := base + i
			sqes[i].PrepRead(fd, in[k*bs:(k+1)*bs], int64(k*bs), uint64(1000+k))
		}
		if n, err := l.Submit(sqes[:]); n != 16 || err != nil {
			t.Fatalf("Submit batch: %d, %v", n, err)
		}
		for k := base; k < base+16; k++ {
			if got := res.wait(t, uint64(1000+k)); got != bs {
				t.Fatalf("read %d: res %d", k, got)
			}
		}
	}
	if !bytes.Equal(in, out) {
		t.Fatal("data read back differs")
	}
}

// C8: a read blocked on an empty pipe is cancelled: the cancel reports 0
// and the read completes with -ECANCELED. Cancelling it again, or
// cancelling a request that already completed, reports -ENOENT.
func TestLoopCancel(t *testing.T) {
	res := newResults()
	l := newLoop(t, 8, res.handle)
	rfd, wfd := pipe(t)
	buf := pageBuf(t, 4096)
	var sqe [1]SQE
	sqe[0].PrepRead(rfd, buf, -1, 1)
	if _, err := l.Submit(sqe[:]); err != nil {
		t.Fatal(err)
	}
	got, err := l.Cancel(1)
	if err != nil || got != 0 {
		t.Fatalf("C8/pending: Cancel = %d, %v; want 0", got, err)
	}
	if r := res.wait(t, 1); r != -int32(unix.ECANCELED) {
		t.Fatalf("C8/pending: cancelled read res %d, want -ECANCELED", r)
	}
	if got, _ := l.Cancel(1); got != -int32(unix.ENOENT) {
		t.Fatalf("C8/twice: Cancel = %d, want -ENOENT", got)
	}
	// A read that completes is not cancellable afterwards.
	unix.Write(wfd, []byte("hello"))
	sqe[0].PrepRead(rfd, buf, -1, 2)
	l.Submit(sqe[:])
	if r := res.wait(t, 2); r != 5 {
		t.Fatalf("read res %d, want 5", r)
	}
	if got, _ := l.Cancel(2); got != -int32(unix.ENOENT) {
		t.Fatalf("C8/alldone: Cancel = %d, want -ENOENT", got)
	}
}

// C6: beyond Entries requests Submit queues what fits and reports
// ErrRingFull (EAGAIN) for the rest; nothing is lost.
func TestLoopFull(t *testing.T) {
	res := newResults()
	l := newLoop(t, 2, res.handle)
	rfd, wfd := pipe(t)
	buf := pageBuf(t, 3)
	var sqes [3]SQE
	for i := range sqes {
		sqes[i].PrepRead(rfd, buf[i:i+1], -1, uint64(i))
	}
	n, err := l.Submit(sqes[:])
	if n != 2 || !errors.Is(err, ErrRingFull) || !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("Submit of 3 on a 2-entry Loop: %d, %v; want 2, ErrRingFull", n, err)
	}
	if l.InFlight() != 2 {
		t.Fatalf("InFlight %d, want 2", l.InFlight())
	}
	unix.Write(wfd, []byte("ab"))
	a, b := res.wait(t, 0), res.wait(t, 1)
	if a != 1 || b != 1 {
		t.Fatalf("queued reads: res %d, %d; want 1, 1", a, b)
	}
	if n, err := l.Submit(sqes[2:]); n != 1 || err != nil {
		t.Fatalf("Submit after room appeared: %d, %v", n, err)
	}
	unix.Write(wfd, []byte("c"))
	if res.wait(t, 2) != 1 {
		t.Fatal("third read failed")
	}
}

// C13: bad input to NewLoop and Submit is an error, not a panic.
func TestLoopBadInput(t *testing.T) {
	needUring(t)
	h := func(uint64, int32, uint32) {}
	for _, cfg := range []LoopConfig{{Entries: 0}, {Entries: 1 << 20}, {Entries: 4, Flags: IORING_SETUP_SINGLE_ISSUER}, {Entries: 4, Flags: IORING_SETUP_SQPOLL}, {Entries: 4, Flags: IORING_SETUP_SQE128}} {
		if _, err := NewLoop(cfg, h); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("NewLoop(%+v): %v, want EINVAL", cfg, err)
		}
	}
	if _, err := NewLoop(LoopConfig{Entries: 4}, nil); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("NewLoop with nil handler: %v, want EINVAL", err)
	}
	l := newLoop(t, 4, h)
	var sqe [1]SQE
	sqe[0].PrepNop(internalTag | 1)
	if _, err := l.Submit(sqe[:]); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Submit with bit 63 in user_data: %v, want EINVAL", err)
	}
}

// C8: Close with requests in flight cancels them, delivers each
// completion once, returns, and leaves no goroutine or descriptor behind.
func TestLoopCloseInFlight(t *testing.T) {
	needUring(t)
	rfd, _ := pipe(t)
	goroutines, fds := runtime.NumGoroutine(), openFds(t)
	res := newResults()
	l, err := NewLoop(LoopConfig{Entries: 16}, res.handle)
	if err != nil {
		t.Fatal(err)
	}
	buf := pageBuf(t, 16)
	var sqes [16]SQE
	for i := range sqes {
		sqes[i].PrepRead(rfd, buf[i:i+1], -1, uint64(i))
	}
	if n, err := l.Submit(sqes[:]); n != 16 || err != nil {
		t.Fatalf("Submit: %d, %v", n, err)
	}
	closed := make(chan error)
	go func() { closed <- l.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung with reads blocked on a pipe")
	}
	for i := range sqes {
		if r := res.wait(t, uint64(i)); r != -int32(unix.ECANCELED) {
			t.Fatalf("read %d: res %d, want -ECANCELED", i, r)
		}
	}
	if _, err := l.Submit(sqes[:1]); !errors.Is(err, ErrClosed) {
		t.Fatalf("Submit after Close: %v, want ErrClosed", err)
	}
	if _, err := l.Cancel(1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Cancel after Close: %v, want ErrClosed", err)
	}
	if err := l.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v, want ErrClosed", err)
	}
	testutil.WaitFor(t, "the Loops' goroutines to end after Close", func() bool { return runtime.NumGoroutine() <= goroutines })
	if after := openFds(t); after != fds {
		t.Fatalf("open descriptors: %d before, %d after Close", fds, after)
	}
}

// C13: an idle Loop parks in the netpoller and holds no OS thread: 64
// idle Loops add far fewer than 64 threads.
func TestLoopIdleHoldsNoThread(t *testing.T) {
	needUring(t)
	before := threads(t)
	var loops []*Loop
	for i := 0; i < 64; i++ {
		l, err := NewLoop(LoopConfig{Entries: 1}, func(uint64, int32, uint32) {})
		if err != nil {
			t.Fatal(err)
		}
		loops = append(loops, l)
	}
	defer func() {
		for _, l := range loops {
			l.Close()
		}
	}()
	testutil.WaitFor(t, "the idle Loops to park", func() bool {
		for _, l := range loops {
			if l.state.Load() == loopRunning {
				return false
			}
		}
		return true
	})
	if after := threads(t); after-before >= 16 {
		t.Fatalf("64 idle Loops hold %d more threads (%d → %d)", after-before, before, after)
	}
}

func openFds(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func threads(t testing.TB) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	t.Fatal("no Threads line in /proc/self/status")
	return 0
}

// C6: while internal ops (cancellations) use the reserve beyond Entries,
// Submit finds no room, queues nothing and leaves the count alone.
func TestLoopFullWhileCancelling(t *testing.T) {
	res := newResults()
	l := newLoop(t, 1, res.handle)
	rfd, wfd := pipe(t)
	buf := pageBuf(t, 1)
	var sqe [1]SQE
	sqe[0].PrepRead(rfd, buf, -1, 1)
	if n, err := l.Submit(sqe[:]); n != 1 || err != nil {
		t.Fatalf("Submit: %d, %v", n, err)
	}
	l.inflight.Add(1) // stands for a cancellation in flight in the reserve
	sqe[0].PrepRead(rfd, buf, -1, 2)
	n, err := l.Submit(sqe[:])
	l.inflight.Add(-1)
	if n != 0 || !errors.Is(err, ErrRingFull) || l.InFlight() != 1 {
		t.Fatalf("Submit over the limit: %d, %v, InFlight %d; want 0, ErrRingFull, 1", n, err, l.InFlight())
	}
	unix.Write(wfd, []byte("x"))
	if res.wait(t, 1) != 1 {
		t.Fatal("first read failed")
	}
}
