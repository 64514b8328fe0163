// Package fusetest holds what the tests of the FUSE export share across
// packages (devfs's own and the fasync command's). It sits beside
// fuseraw and imports nothing above it.
package fusetest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fasync-go/fasync/internal/fuseraw"
)

// RequireURing skips t when the io_uring transport cannot be used here:
// it needs fuse.enable_uring, which this turns on for the test when it
// can (root) and puts back afterwards.
func RequireURing(t testing.TB) {
	t.Helper()
	restore, err := fuseraw.EnableURing()
	if err != nil {
		t.Skipf("skipping the io_uring transport: fuse.enable_uring cannot be turned on: %v", err)
	}
	t.Cleanup(restore)
	if err := fuseraw.URingAvailable(); err != nil {
		t.Skipf("skipping the io_uring transport: %v", err)
	}
}

// MountsAt returns how many mounts this process sees on dir (a path as
// given: relative, or through a symbolic link): a mount on top of
// another adds one. Other tests on the machine mount and unmount
// elsewhere meanwhile; only dir's count says what a refused mount did.
func MountsAt(t testing.TB, dir string) int {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return 0 // nothing can be mounted on a path that does not resolve
	}
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == abs {
			n++
		}
	}
	return n
}
