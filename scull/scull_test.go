package scull

import (
	"syscall"
	"testing"

	"github.com/fasync-go/fasync/kernel"
)

// TestUnregister: after Unregister new opens fail with ENOENT, while a file
// opened before keeps working (B1's device table, B9's kept data).
func TestUnregister(t *testing.T) {
	k, ps := setup(t, Config{Devices: 2})
	task := k.NewTask("t", kernel.Cred{})
	fd := open(t, task, "scullpipe1", kernel.O_RDWR)
	write(t, task, fd, []byte("still here"))
	if err := ps.Unregister(); err != nil {
		t.Fatal(err)
	}
	if d := k.Devices(); len(d) != 0 {
		t.Fatalf("devices after Unregister: %v", d)
	}
	_, err := task.Open(bounded(t), "scullpipe0", kernel.O_RDONLY)
	wantErrno(t, "open after Unregister", err, syscall.ENOENT)
	if got := read(t, task, fd, 100); got != "still here" {
		t.Fatalf("open file after Unregister read %q", got)
	}
	wantErrno(t, "second Unregister", ps.Unregister(), syscall.ENOENT)
}
