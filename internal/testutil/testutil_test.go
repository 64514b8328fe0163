package testutil

import (
	"sync/atomic"
	"testing"
)

// WaitFor returns once the condition holds, having asked until then.
func TestWaitFor(t *testing.T) {
	var n atomic.Int32
	WaitFor(t, "the tenth look", func() bool { return n.Add(1) == 10 })
	if got := n.Load(); got != 10 {
		t.Fatalf("cond called %d times, want 10", got)
	}
}
