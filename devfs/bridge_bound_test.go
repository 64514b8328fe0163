package devfs

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/testutil"
)

// F8: a call that does not return within callPatience is given up on
// (ETIMEDOUT); further calls on that process fail at once (EBUSY) while
// calls on others run; with maxStuck calls asleep every call fails at
// once; a call that returns late hands its result to late (a descriptor
// to close) and frees its place.
func TestBridgeBoundedCalls(t *testing.T) {
	var c bounded
	release := make(chan struct{})
	lateGot := make(chan int, maxStuck)
	sleep := func() (int, error) { <-release; return 7, nil }
	for pid := 1; pid <= maxStuck; pid++ {
		if _, err := boundedCall(&c, pid, sleep, func(v int) { lateGot <- v }); err != unix.ETIMEDOUT {
			t.Fatalf("call on %d that never returns: %v, want ETIMEDOUT", pid, err)
		}
		if pid < maxStuck {
			if _, err := boundedCall(&c, pid, sleep, nil); err != unix.EBUSY {
				t.Fatalf("second call on stuck %d: %v, want EBUSY", pid, err)
			}
			if v, err := boundedCall(&c, 100, func() (int, error) { return 1, nil }, nil); v != 1 || err != nil {
				t.Fatalf("call on another process with %d asleep: %d %v, want 1 nil", pid, v, err)
			}
		}
	}
	if _, err := boundedCall(&c, 100, func() (int, error) { return 1, nil }, nil); err != unix.EBUSY {
		t.Fatalf("call with %d asleep: %v, want EBUSY", maxStuck, err)
	}
	close(release)
	for i := 0; i < maxStuck; i++ {
		if v := <-lateGot; v != 7 {
			t.Fatalf("late result %d, want 7", v)
		}
	}
	testutil.WaitFor(t, "the late calls to free their places", func() bool { return c.asleep() == 0 })
	if v, err := boundedCall(&c, 1, func() (int, error) { return 2, nil }, nil); v != 2 || err != nil {
		t.Fatalf("call once the stuck ones returned: %d %v, want 2 nil", v, err)
	}
}
