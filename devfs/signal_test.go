package devfs_test

import (
	"errors"
	"os/exec"
	"syscall"
	"testing"

	"github.com/fasync-go/fasync/devfs"
)

// R3, S3: Ctrl-C reaches a reader sleeping on a device. The kernel turns
// the signal into a FUSE interrupt, devfs cancels the model call, and the
// reader returns at once: cat dies of SIGINT, a program with a handler
// sees EINTR, also with SA_RESTART, because FUSE cannot restart a call.
// The interrupted read consumed nothing: data written afterwards is whole.
func TestSIGINTBlockedReader(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		client := cclient(t, "devclient")
		e.hold(t, 0) // B8: keep the buffer for the last check

		t.Run("R3/cat-killed-by-SIGINT", func(t *testing.T) {
			cat := start(t, "cat", e.dev(0))
			e.waitQueued(t, 0, 1)
			cat.cmd.Process.Signal(syscall.SIGINT)
			err := cat.wait() // bounded: a hang fails the test
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT {
				t.Fatalf("cat ended with %v, want death by SIGINT", err)
			}
		})
		for _, mode := range []string{"norestart", "restart"} {
			t.Run("R3,S3/handler-"+mode+"-sees-EINTR", func(t *testing.T) {
				p := start(t, client, "intr", e.dev(0), mode)
				p.expect("blocking")
				e.waitQueued(t, 0, 1)
				p.cmd.Process.Signal(syscall.SIGINT)
				p.expect("read EINTR")
				p.wait()
			})
		}
		t.Run("R3,B3/nothing-lost", func(t *testing.T) {
			run(t, client, "write", e.dev(0), "intact")
			if got := run(t, client, "read", e.dev(0), "nonblock-open"); got != "data intact" {
				t.Fatalf("after interrupted reads: %q", got)
			}
		})
	})
}
