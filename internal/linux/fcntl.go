package linux

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Owner types of F_SETOWN_EX and F_GETOWN_EX
// (include/uapi/asm-generic/fcntl.h); golang.org/x/sys/unix has the
// commands but not these.
const (
	F_OWNER_TID  = 0 // the owner is one thread
	F_OWNER_PID  = 1 // the owner is a process (thread group)
	F_OWNER_PGRP = 2 // the owner is a process group
)

// FOwnerEx is struct f_owner_ex, the argument of F_SETOWN_EX and
// F_GETOWN_EX.
type FOwnerEx struct {
	Type int32
	Pid  int32
}

// GetOwnEx returns fd's owner (fcntl F_GETOWN_EX). An owner that has
// exited reads as pid 0.
func GetOwnEx(fd int) (FOwnerEx, error) {
	var o FOwnerEx
	if _, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), unix.F_GETOWN_EX, uintptr(unsafe.Pointer(&o))); e != 0 {
		return o, e
	}
	return o, nil
}

// SetOwnEx sets fd's owner (fcntl F_SETOWN_EX).
func SetOwnEx(fd int, o FOwnerEx) error {
	if _, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), unix.F_SETOWN_EX, uintptr(unsafe.Pointer(&o))); e != 0 {
		return e
	}
	return nil
}

// GetSig returns fd's F_SETSIG signal (fcntl F_GETSIG); 0 is plain SIGIO.
func GetSig(fd int) (int, error) {
	r, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), unix.F_GETSIG, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// XattrSigio is the extended attribute devfs puts on exported device
// files while its signal bridge runs, and sigio looks for when O_ASYNC
// does not stick (the project's name, not Linux's; devfs exports it as
// devfs.XattrSigio).
const XattrSigio = "user.fasync.sigio"
