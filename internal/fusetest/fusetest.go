// Package fusetest holds what the tests of the FUSE export share across
// packages (devfs's own and the fasync command's). It sits beside
// fuseraw and imports nothing above it.
package fusetest

import (
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
