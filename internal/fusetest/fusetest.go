// Package fusetest holds what the tests of the FUSE export share across
// packages (devfs's own and the fasync command's).
package fusetest

import (
	"testing"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/fuseraw"
)

// RequireTransport skips t when transport tr cannot be used here: the
// io_uring one needs fuse.enable_uring, which this turns on for the test
// when it can (root) and puts back afterwards.
func RequireTransport(t testing.TB, tr devfs.Transport) {
	t.Helper()
	if tr != devfs.URing {
		return
	}
	restore, err := fuseraw.EnableURing()
	if err != nil {
		t.Skipf("skipping the io_uring transport: fuse.enable_uring cannot be turned on: %v", err)
	}
	t.Cleanup(restore)
	if err := devfs.URingAvailable(); err != nil {
		t.Skipf("skipping the io_uring transport: %v", err)
	}
}
