// Package seccomp refuses io_uring to the calling process the way a
// container runtime's default profile does (Docker's and containerd's
// have refused io_uring_setup, io_uring_enter and io_uring_register with
// EPERM since 2023): a seccomp-bpf filter on every thread of the process,
// for good. Benchmarks and tests install it in a child process of their
// own to measure and check what package aio does where io_uring is
// refused (SPEC C19).
package seccomp

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The io_uring system calls: the same numbers on every architecture Go
// supports on Linux (they were added after the tables were unified).
const (
	sysIOUringSetup    = 425
	sysIOUringEnter    = 426
	sysIOUringRegister = 427
)

// auditArch is the AUDIT_ARCH_* value of the running architecture, 0
// where this package does not know it.
func auditArch() uint32 {
	switch runtime.GOARCH {
	case "amd64":
		return unix.AUDIT_ARCH_X86_64
	case "arm64":
		return unix.AUDIT_ARCH_AARCH64
	}
	return 0
}

// filter is the BPF program: on this architecture, the three io_uring
// system calls fail with EPERM; everything else is allowed.
func filter(arch uint32) []unix.SockFilter {
	const (
		ld  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret = unix.BPF_RET | unix.BPF_K
	)
	// struct seccomp_data: nr at offset 0, arch at offset 4.
	return []unix.SockFilter{
		{Code: ld, K: 4},
		{Code: jeq, K: arch, Jt: 0, Jf: 4}, // another architecture: allow
		{Code: ld, K: 0},
		{Code: jeq, K: sysIOUringSetup, Jt: 3},
		{Code: jeq, K: sysIOUringEnter, Jt: 2},
		{Code: jeq, K: sysIOUringRegister, Jt: 1},
		{Code: ret, K: unix.SECCOMP_RET_ALLOW},
		{Code: ret, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
	}
}

// DenyIOUring installs the filter on every thread of the process
// (PR_SET_NO_NEW_PRIVS, then seccomp(SECCOMP_SET_MODE_FILTER) with
// SECCOMP_FILTER_FLAG_TSYNC). It cannot be undone: call it only in a
// process made for it.
func DenyIOUring() error {
	arch := auditArch()
	if arch == 0 {
		return fmt.Errorf("seccomp: no filter for %s: %w", runtime.GOARCH, syscall.ENOSYS)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("seccomp: PR_SET_NO_NEW_PRIVS: %w", err)
	}
	f := filter(arch)
	prog := unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog)))
	switch {
	case errno != 0:
		return fmt.Errorf("seccomp: SECCOMP_SET_MODE_FILTER: %w", errno)
	case r != 0:
		return fmt.Errorf("seccomp: thread %d could not take the filter", r)
	}
	return nil
}
