// Package testutil holds the helpers the tests of every package share.
// It imports nothing of the project, so any package's tests may use it.
package testutil

import (
	"os"
	"strconv"
	"syscall"
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

// CloseInheritedOnExec marks every descriptor above standard error that
// the test binary inherited close-on-exec (the lock file flock(1) holds
// while it runs go test, say), so a process a test starts has its
// standard streams and the files the test passes it, and nothing else:
// its first open gets descriptor 3. A TestMain calls it before m.Run.
func CloseInheritedOnExec() {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd) // the listing's own descriptor, closed by now, is left alone by the kernel (EBADF)
		}
	}
}
