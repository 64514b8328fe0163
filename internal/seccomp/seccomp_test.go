package seccomp

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// childEnv marks the test binary run as the child that installs the filter.
const childEnv = "FASYNC_SECCOMP_TEST_CHILD"

// C19: with the filter installed, io_uring_setup fails with EPERM on
// every thread, as under a container's default profile, and other
// system calls still work. The filter is permanent, so a child process
// (this test binary again) installs it.
func TestDenyIOUring(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		if err := DenyIOUring(); err != nil {
			t.Fatalf("DenyIOUring: %v", err)
		}
		done := make(chan error, 8)
		for range 8 { // goroutines on other threads see it too
			go func() {
				var p [120]byte
				_, _, errno := unix.Syscall(sysIOUringSetup, 1, uintptr(unsafe.Pointer(&p)), 0)
				done <- errno
			}()
		}
		for range 8 {
			if err := <-done; !errors.Is(err, syscall.EPERM) {
				t.Fatalf("C19: io_uring_setup under the filter: %v, want EPERM", err)
			}
		}
		if _, err := os.Getwd(); err != nil {
			t.Fatalf("C19: other system calls under the filter: %v", err)
		}
		return
	}
	if auditArch() == 0 {
		t.Skipf("no seccomp filter for this architecture")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDenyIOUring$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
