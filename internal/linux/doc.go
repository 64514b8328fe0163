// Package linux holds the Linux ABI numbers and small fcntl wrappers that
// the real-kernel packages of the project share: sigio, which arms real
// descriptors, and devfs, whose signal bridge reads owners and sends
// signals on behalf of exported devices. Names and values are Linux's
// (include/uapi/asm-generic/siginfo.h, fcntl.h, poll.h, fs/fcntl.c).
//
// The model kernel (package kernel) imports nothing of the project and
// keeps its own copy of the band table: its tests and this package's pin
// both to Linux's values, and a devfs test checks that the band codes
// the model raises are these.
package linux
