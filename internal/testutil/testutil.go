// Package testutil holds the helpers the tests of every package share.
// It imports nothing of the project, so any package's tests may use it.
package testutil

import (
	"testing"
	"time"
)

// Patience bounds every WaitFor. Reaching it is a failure, never a
// reason to carry on, so it is generous: no test asserts how fast
// anything is.
const Patience = 20 * time.Second

// WaitFor polls cond until it holds, and fails tb (from the test's
// goroutine only, as FailNow requires) when Patience passes first,
// naming what it waited for. The polls start 50 µs apart and back off
// to 2 ms, so a condition that soon holds costs little and one that
// takes long costs no CPU to speak of; the polling paces the checks, it
// synchronises nothing.
func WaitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(Patience)
	for pause := 50 * time.Microsecond; !cond(); pause = min(2*pause, 2*time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", Patience, what)
		}
		time.Sleep(pause)
	}
}
