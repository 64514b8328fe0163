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

// F_GETOWNER_UIDS is the fcntl command that reads the real and
// effective user ids F_SETOWN recorded for a file's owner: those of the
// process that set it, which fs/fcntl.c's sigio_perm judges each signal
// by (include/uapi/asm-generic/fcntl.h; Linux 3.6+, with
// CONFIG_CHECKPOINT_RESTORE). golang.org/x/sys/unix does not have it.
const F_GETOWNER_UIDS = 17

// GetOwnerUids returns the real and effective user ids recorded when
// fd's owner was last set (fcntl F_GETOWNER_UIDS), in this process's user
// namespace. A file whose owner was never set reads 0 and 0; clearing the
// owner (F_SETOWN 0) keeps the ids of the latest process that set one.
func GetOwnerUids(fd int) (uid, euid uint32, err error) {
	var ids [2]uint32
	if _, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), F_GETOWNER_UIDS, uintptr(unsafe.Pointer(&ids))); e != 0 {
		return 0, 0, e
	}
	return ids[0], ids[1], nil
}

// KCMP_FILE is kcmp(2)'s type for "the same open file description"
// (include/uapi/linux/kcmp.h); golang.org/x/sys/unix does not have it.
const KCMP_FILE = 0

// XattrSigio is the extended attribute devfs puts on exported device
// files while its signal bridge runs, and sigio looks for when O_ASYNC
// does not stick (the project's name, not Linux's; devfs exports it as
// devfs.XattrSigio).
const XattrSigio = "user.fasync.sigio"
