package testutil

import (
	"sync/atomic"
	"syscall"
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

// CloseInheritedOnExec leaves an inherited descriptor open in this
// process and marks it close-on-exec.
func TestCloseInheritedOnExec(t *testing.T) {
	fd, err := syscall.Open("/dev/null", syscall.O_RDONLY, 0) // no O_CLOEXEC: as inherited
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	CloseInheritedOnExec()
	flags, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	if e != 0 || flags&syscall.FD_CLOEXEC == 0 {
		t.Fatalf("F_GETFD of descriptor %d: %#x %v, want FD_CLOEXEC", fd, flags, e)
	}
}
