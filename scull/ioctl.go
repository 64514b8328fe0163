package scull

import (
	"context"
	"math"
	"syscall"

	"github.com/fasync-go/fasync/kernel"
)

// LDD3's ioctl numbers for scullpipe (scull.h): magic 'k', and the
// "tell" and "query" commands for the buffer size, which pass the size
// as the argument's value and as the ioctl's result (I2).
const (
	SCULL_IOC_MAGIC  = 'k'
	SCULL_P_IOCTSIZE = 0x6b0d // _IO(SCULL_IOC_MAGIC, 13): set the buffer size to arg
	SCULL_P_IOCQSIZE = 0x6b0e // _IO(SCULL_IOC_MAGIC, 14): the buffer size, as the result
	SCULL_IOC_MAXNR  = 14
)

// Ioctl is the ioctl file operation (I2), with LDD3's checks: a command
// of another type than SCULL_IOC_MAGIC, or numbered above
// SCULL_IOC_MAXNR, is ENOTTY.
//
//	SCULL_P_IOCTSIZE  sets the buffer size to arg.Value, as SetSize does
//	                  (EINVAL outside [MinSize, MaxSize], EBUSY while the
//	                  device holds data; B1)
//	SCULL_P_IOCQSIZE  returns the buffer size as the ioctl's result
//	FIONREAD          writes the bytes held to the C int arg points at
//
// LDD3's other scull commands (quantum and qset, 0–12) belong to the
// scull memory device, not to scullpipe: ENOTTY. Unlike LDD3, where the
// size is a module parameter read at the next allocation, the size is the
// device's own and changes at once (B1).
func (d *Pipe) Ioctl(ctx context.Context, f *kernel.File, cmd uint, arg kernel.IoctlArg) (int, error) {
	if cmd == kernel.FIONREAD {
		d.mu.Lock()
		n := d.held()
		d.mu.Unlock()
		return 0, arg.PutInt(n)
	}
	if kernel.IOC_TYPE(cmd) != SCULL_IOC_MAGIC || kernel.IOC_NR(cmd) > SCULL_IOC_MAXNR {
		return 0, syscall.ENOTTY
	}
	switch cmd {
	case SCULL_P_IOCTSIZE:
		if arg.Value > math.MaxInt32 {
			return 0, syscall.EINVAL
		}
		return 0, d.SetSize(int(arg.Value))
	case SCULL_P_IOCQSIZE:
		return d.Size(), nil
	}
	return 0, syscall.ENOTTY
}
