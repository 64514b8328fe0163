package uring

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// disabledSysctl is where Linux 6.6+ says whether io_uring may be used:
// 0 enabled, 1 only for CAP_SYS_ADMIN or members of kernel.io_uring_group,
// 2 disabled for everyone.
const disabledSysctl = "/proc/sys/kernel/io_uring_disabled"

// Available reports nil when this process can create an io_uring, or an
// error naming why it cannot: the kernel.io_uring_disabled sysctl and its
// value, EPERM from a seccomp filter or the sysctl, ENOSYS from a kernel
// (or a seccomp filter) without io_uring. The error wraps the errno, so
// errors.Is(err, syscall.EPERM) and the like work.
//
// It probes by creating and closing a one-entry ring, every call: the
// answer can change when an administrator writes the sysctl.
func Available() error {
	sysctl, readErr := os.ReadFile(disabledSysctl)
	if readErr != nil {
		sysctl = nil // kernels before 6.6 have no such sysctl
	}
	var p params
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, 1, uintptr(unsafe.Pointer(&p)), 0)
	if errno == 0 {
		unix.Close(int(fd))
	}
	return availability(strings.TrimSpace(string(sysctl)), errno)
}

// availability turns what the probe saw into Available's answer: the
// sysctl's value ("" when absent) and the errno of io_uring_setup (0 on
// success). It is separate so every combination can be tested.
func availability(sysctl string, errno syscall.Errno) error {
	if errno == 0 {
		return nil
	}
	switch {
	case errno == unix.EPERM && sysctl == "2":
		return fmt.Errorf("uring: io_uring disabled by sysctl kernel.io_uring_disabled=2 (%s): %w", disabledSysctl, errno)
	case errno == unix.EPERM && sysctl == "1":
		return fmt.Errorf("uring: io_uring restricted by sysctl kernel.io_uring_disabled=1 to CAP_SYS_ADMIN and kernel.io_uring_group: %w", errno)
	case errno == unix.EPERM:
		return fmt.Errorf("uring: io_uring_setup refused with EPERM (a seccomp filter, e.g. a container runtime's default profile): %w", errno)
	case errno == unix.ENOSYS:
		return fmt.Errorf("uring: io_uring_setup not implemented (ENOSYS: kernel built without CONFIG_IO_URING, older than 5.1, or a seccomp filter): %w", errno)
	case errno == unix.ENOMEM:
		return fmt.Errorf("uring: io_uring_setup out of locked memory (RLIMIT_MEMLOCK): %w", errno)
	}
	return fmt.Errorf("uring: io_uring_setup failed: %w", errno)
}

// ErrRingFull is returned when a ring has no room for another request: every
// SQE is prepared but not yet consumed, or as many requests are in flight as
// the completion queue can hold. It wraps EAGAIN (try again once requests
// complete).
var ErrRingFull = fmt.Errorf("uring: ring full: %w", syscall.EAGAIN)

// ErrClosed is returned by operations on a closed ring or loop.
var ErrClosed = errors.New("uring: ring closed")
