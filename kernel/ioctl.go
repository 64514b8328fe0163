package kernel

import (
	"context"
	"encoding/binary"
	"errors"
	"syscall"
)

// ioctl(2) in the model (SPEC I1): the kernel answers the generic
// commands itself, as fs/ioctl.c's do_vfs_ioctl does, and hands every
// other command to the driver's Ioctl, Linux's unlocked_ioctl.

// Command numbers are built as Linux's _IOC macros build them
// (asm-generic/ioctl.h): the number in bits 0–7, the type ("magic") in
// 8–15, the argument's size in 16–29, the direction in 30–31.
const (
	IOC_NRBITS   = 8
	IOC_TYPEBITS = 8
	IOC_SIZEBITS = 14
	IOC_DIRBITS  = 2

	IOC_NRSHIFT   = 0
	IOC_TYPESHIFT = IOC_NRSHIFT + IOC_NRBITS
	IOC_SIZESHIFT = IOC_TYPESHIFT + IOC_TYPEBITS
	IOC_DIRSHIFT  = IOC_SIZESHIFT + IOC_SIZEBITS

	// Directions, as seen from the caller: IOC_WRITE copies the argument
	// to the driver, IOC_READ copies the driver's answer back.
	IOC_NONE  = 0
	IOC_WRITE = 1
	IOC_READ  = 2
)

// IOC is _IOC: the command with direction dir, type typ, number nr and an
// argument of size bytes. Each field is masked to its width.
func IOC(dir, typ, nr, size uint) uint {
	return (dir&(1<<IOC_DIRBITS-1))<<IOC_DIRSHIFT |
		(typ&(1<<IOC_TYPEBITS-1))<<IOC_TYPESHIFT |
		(nr&(1<<IOC_NRBITS-1))<<IOC_NRSHIFT |
		(size&(1<<IOC_SIZEBITS-1))<<IOC_SIZESHIFT
}

// IO is _IO: a command with no argument in memory (the argument, if any,
// is the value itself).
func IO(typ, nr uint) uint { return IOC(IOC_NONE, typ, nr, 0) }

// IOR is _IOR: the driver writes size bytes back to the caller. Linux's
// macro takes the argument's type; this takes its size (sizeof).
func IOR(typ, nr, size uint) uint { return IOC(IOC_READ, typ, nr, size) }

// IOW is _IOW: the caller passes size bytes to the driver.
func IOW(typ, nr, size uint) uint { return IOC(IOC_WRITE, typ, nr, size) }

// IOWR is _IOWR: size bytes go to the driver and come back changed.
func IOWR(typ, nr, size uint) uint { return IOC(IOC_READ|IOC_WRITE, typ, nr, size) }

// IOC_DIR is _IOC_DIR: the direction bits of cmd.
func IOC_DIR(cmd uint) uint { return cmd >> IOC_DIRSHIFT & (1<<IOC_DIRBITS - 1) }

// IOC_TYPE is _IOC_TYPE: the type (magic) of cmd.
func IOC_TYPE(cmd uint) uint { return cmd >> IOC_TYPESHIFT & (1<<IOC_TYPEBITS - 1) }

// IOC_NR is _IOC_NR: the number of cmd within its type.
func IOC_NR(cmd uint) uint { return cmd >> IOC_NRSHIFT & (1<<IOC_NRBITS - 1) }

// IOC_SIZE is _IOC_SIZE: the size of cmd's argument in bytes.
func IOC_SIZE(cmd uint) uint { return cmd >> IOC_SIZESHIFT & (1<<IOC_SIZEBITS - 1) }

// The generic commands (asm-generic/ioctls.h). These predate the _IOC
// encoding: their numbers carry no size or direction.
const (
	FIONREAD = 0x541B // int out: bytes ready to read (the driver's, on a device)
	FIONBIO  = 0x5421 // int in: set (non-zero) or clear O_NONBLOCK
	FIONCLEX = 0x5450 // clear the descriptor's close-on-exec flag
	FIOCLEX  = 0x5451 // set the descriptor's close-on-exec flag
	FIOASYNC = 0x5452 // int in: set or clear FASYNC, through the driver's Fasync
	FIOQSIZE = 0x5460 // loff_t out: size of a regular file, directory or symlink
)

// ENOIOCTLCMD is what a driver's Ioctl may return for a command it does
// not know, with Linux's kernel-internal value (515); the kernel turns
// it into ENOTTY, so like ERESTARTSYS it never escapes. Returning ENOTTY
// directly is the same.
const ENOIOCTLCMD = syscall.Errno(515)

// IoctlArg is ioctl's third argument. In C it is one unsigned long that
// a command reads either as a number (LDD3's "tell" and "query"
// commands, every _IO command) or as a pointer to memory the driver
// copies from (IOC_WRITE) and to (IOC_READ). The model carries both: the
// number, and the memory the pointer stands for, which the caller lends
// for the duration of the call.
type IoctlArg struct {
	// Value is the argument as a number.
	Value uintptr
	// Mem is the memory the argument points at: for an _IOC-encoded
	// command normally IOC_SIZE(cmd) bytes, holding the input for
	// IOC_WRITE and receiving the output for IOC_READ; for FIONBIO,
	// FIOASYNC and FIONREAD a C int (4 bytes, native byte order). Memory
	// shorter than what a command reads or writes is a bad address:
	// EFAULT, as copy_from_user and copy_to_user report it.
	Mem []byte
}

// IntArg returns an argument pointing at a C int holding v, for commands
// that read an int (FIONBIO, FIOASYNC) or write one (FIONREAD: read the
// answer back with Int).
func IntArg(v int) IoctlArg {
	a := IoctlArg{Mem: make([]byte, 4)}
	binary.NativeEndian.PutUint32(a.Mem, uint32(int32(v)))
	return a
}

// Int is get_user of a C int: the first 4 bytes of Mem, or EFAULT.
func (a IoctlArg) Int() (int, error) {
	if len(a.Mem) < 4 {
		return 0, EFAULT
	}
	return int(int32(binary.NativeEndian.Uint32(a.Mem))), nil
}

// PutInt is put_user of a C int: v into the first 4 bytes of Mem (v is
// truncated to 32 bits, as C's conversion does), or EFAULT.
func (a IoctlArg) PutInt(v int) error {
	if len(a.Mem) < 4 {
		return EFAULT
	}
	binary.NativeEndian.PutUint32(a.Mem, uint32(int32(v)))
	return nil
}

// Ioctler is implemented by devices with commands of their own (Linux's
// unlocked_ioctl). Ioctl is called by Task.Ioctl for every command the
// kernel does not answer itself (FIOCLEX, FIONCLEX, FIONBIO, FIOASYNC,
// FIOQSIZE), FIONREAD included, with cmd as the system call sees it (a C
// unsigned int). It returns the ioctl's non-negative result (what the
// caller's ioctl returns, as LDD3's "query" commands use it) and writes
// any output into arg.Mem; a command it does not know is ENOTTY (or
// ENOIOCTLCMD), a bad argument EINVAL, memory too short for the command
// EFAULT. Ioctl may sleep under the same rules as Read: ctx is the
// call's, an interruption becomes EINTR or a restart, and
// TaskFromContext(ctx) is the caller. Without Ioctler every command that
// reaches the driver fails with ENOTTY.
type Ioctler interface {
	Ioctl(ctx context.Context, f *File, cmd uint, arg IoctlArg) (int, error)
}

// Ioctl performs ioctl(2) command cmd on descriptor fd with argument arg
// (SPEC I1). The kernel answers, as do_vfs_ioctl does:
//
//	FIOCLEX, FIONCLEX  set or clear the descriptor's FD_CLOEXEC (F_GETFD)
//	FIONBIO   *int non-zero sets O_NONBLOCK, zero clears it (no other flag
//	          changes and the driver's CheckFlags is not consulted)
//	FIOASYNC  *int sets or clears FASYNC through the driver's Fasync, as
//	          F_SETFL does, and only when FASYNC changes; a driver without
//	          Fasyncer gives ENOTTY then (F_SETFL would succeed)
//	FIOQSIZE  ENOTTY: it answers only for regular files, directories and
//	          symbolic links, and a model file is a character device
//
// Every other command goes to the driver's Ioctl (Ioctler), with a call
// context like Read's: it may sleep, a signal gives EINTR or, after an
// SA_RESTART handler, restarts the call. No Ioctler, or a driver that
// does not know the command, gives ENOTTY. It returns the command's
// result, or -1 and EBADF for a descriptor that is not open, EFAULT when
// arg.Mem is too short for the kernel's own commands, or the driver's
// error. cmd is truncated to 32 bits, as the system call's unsigned int.
func (t *Task) Ioctl(ctx context.Context, fd int, cmd uint, arg IoctlArg) (ret int, err error) {
	defer t.safePoint()
	cmd = uint(uint32(cmd))
	if sc := t.sysEnter(sysIoctl, fd, int(cmd), int(arg.Value)); sc != nil {
		defer sc.exit(&ret, &err)
	}
	e, err := t.getEntry(fd)
	if err != nil {
		return -1, err
	}
	f := e.file
	defer f.put()
	switch cmd {
	case FIOCLEX, FIONCLEX:
		t.mu.Lock()
		e.cloexec = cmd == FIOCLEX
		t.mu.Unlock()
		return 0, nil
	case FIONBIO:
		on, err := arg.Int()
		if err != nil {
			return -1, err
		}
		f.setNonblock(on != 0)
		return 0, nil
	case FIOASYNC:
		on, err := arg.Int()
		if err != nil {
			return -1, err
		}
		return errValue(f.fioasync(fd, on != 0))
	case FIOQSIZE:
		return -1, ENOTTY
	}
	if f.ioctler == nil {
		return -1, ENOTTY
	}
	c, err := t.beginCall(ctx, e, false)
	if err != nil {
		return -1, err
	}
	n, err := t.blockingCall(ctx, e, c, func(ctx context.Context) (int, error) {
		return f.ioctler.Ioctl(ctx, f, cmd, arg)
	})
	if err != nil {
		if errors.Is(err, ENOIOCTLCMD) {
			err = ENOTTY
		}
		return -1, err
	}
	return n, nil
}

// fioasync is FIOASYNC on f through descriptor fd (ioctl_fioasync).
func (f *File) fioasync(fd int, on bool) error {
	if on == (f.Flags()&FASYNC != 0) {
		return nil
	}
	if f.fasyncer == nil {
		return ENOTTY
	}
	traceFasync(f, fd, on, "ioctl")
	return f.fasyncer.Fasync(fd, f, on)
}
