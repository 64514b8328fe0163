package uring

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/testutil"
)

// logLines collects what a Loop logs.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (g *logLines) logf(format string, args ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.lines = append(g.lines, fmt.Sprintf(format, args...))
}

func (g *logLines) String() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return strings.Join(g.lines, "\n")
}

// breakRing makes every later io_uring_enter of l fail with errno.
func breakRing(l *Loop, errno unix.Errno) {
	err := error(fmt.Errorf("uring: io_uring_enter: %w", errno))
	l.fault.Store(&err)
}

// C13: a Loop whose ring the kernel refuses with an unexpected errno does
// not panic: it logs, completes what it queued with that errno, refuses
// new work, lets what the kernel already holds complete, and Close
// reports the failure.
func TestLoopFailsOnKernelError(t *testing.T) {
	for _, thread := range []bool{false, true} {
		t.Run(fmt.Sprintf("C13/thread=%t", thread), func(t *testing.T) {
			needUring(t)
			res := newResults()
			var log logLines
			l, err := NewLoop(LoopConfig{Entries: 16, Thread: thread, Logf: log.logf}, res.handle)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			_, withThread := l.mode.(*threadMode)
			r, w := pipe(t)
			buf := pageBuf(t, 4096)
			submitRead(t, l, r, buf[:8], -1, 1, 0) // parked in the kernel
			if err := l.Barrier(); err != nil {
				t.Fatal(err)
			}

			breakRing(l, unix.EBADFD)
			// One batch: the first enter fails both.
			var sqes [2]SQE
			sqes[0].PrepRead(r, buf[8:16], -1, 2)
			sqes[1].PrepRead(r, buf[16:24], -1, 3)
			if n, err := l.Submit(sqes[:]); n != 2 || err != nil {
				t.Fatalf("Submit: %d, %v", n, err)
			}
			for _, ud := range []uint64{2, 3} {
				if got := res.wait(t, ud); got != -int32(unix.EBADFD) {
					t.Fatalf("request %d queued on the broken ring: res %d, want -EBADFD", ud, got)
				}
			}
			if _, err := l.Submit(make([]SQE, 1)); !errors.Is(err, ErrClosed) {
				t.Fatalf("Submit after the failure: %v, want ErrClosed", err)
			}
			if _, err := l.Cancel(1); !errors.Is(err, ErrClosed) {
				t.Fatalf("Cancel after the failure: %v, want ErrClosed", err)
			}
			if !withThread {
				// The read the kernel holds still completes, without an enter.
				unix.Write(w, []byte("after"))
				if got := res.wait(t, 1); got != 5 {
					t.Fatalf("read held by the kernel: res %d, want 5", got)
				}
			}
			testutil.WaitFor(t, "the failed Loop's goroutine to end", func() bool {
				select {
				case <-l.exited:
					return true
				default:
					return false
				}
			})
			if err := l.Close(); !errors.Is(err, unix.EBADFD) {
				t.Fatalf("Close of the failed Loop: %v, want the EBADFD", err)
			}
			if s := log.String(); !strings.Contains(s, "failing its requests with") {
				t.Fatalf("the failure was not logged; log: %q", s)
			}
			if withThread && !strings.Contains(log.String(), "abandoning 1 requests") {
				t.Fatalf("the read held by the kernel was not reported abandoned; log: %q", log.String())
			}
		})
	}
}
