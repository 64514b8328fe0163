package devfs_test

import (
	"strings"
	"testing"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/testutil"
)

// B8, B9 through the export, as the README tells it: data written by a
// command that then closes the device is gone once nothing holds it (echo
// hi > dev; a later reader finds nothing), and is kept for a later opener
// while another descriptor holds the device.
func TestDataKeptOnlyWhileHeld(t *testing.T) {
	py := python(t)
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		run(t, "sh", "-c", "echo hi > "+e.dev(0))
		// FUSE sends RELEASE after close(2) has returned.
		testutil.WaitFor(t, "the writer's release", func() bool { return !e.Pipes.Pipe(0).Status().Allocated })
		if got := run(t, py, "testdata/pollclient.py", "nonblock", e.dev(0)); got != "EAGAIN" {
			t.Errorf("B8: a read after the writer's close, nothing holding the device: %q, want EAGAIN (the buffer freed)", got)
		}
		e.hold(t, 0)
		run(t, "sh", "-c", "echo hi > "+e.dev(0))
		if got := run(t, py, "testdata/pollclient.py", "nonblock", e.dev(0)); !strings.HasPrefix(got, "data hi") {
			t.Errorf("B9: a read after the writer's close, another descriptor holding the device: %q, want \"data hi\"", got)
		}
	})
}
