package scull

import (
	"syscall"
	"testing"

	"github.com/fasync-go/fasync/kernel"
)

// TestIoctlNumbers checks I2: the commands have LDD3's numbers, magic 'k'
// with 13 and 14, built as _IO builds them.
func TestIoctlNumbers(t *testing.T) {
	if got := kernel.IO(SCULL_IOC_MAGIC, 13); got != SCULL_P_IOCTSIZE {
		t.Errorf("I2: _IO('k', 13) = %#x, SCULL_P_IOCTSIZE = %#x", got, SCULL_P_IOCTSIZE)
	}
	if got := kernel.IO(SCULL_IOC_MAGIC, 14); got != SCULL_P_IOCQSIZE {
		t.Errorf("I2: _IO('k', 14) = %#x, SCULL_P_IOCQSIZE = %#x", got, SCULL_P_IOCQSIZE)
	}
}

// TestIoctlSize checks I2 and B1: SCULL_P_IOCQSIZE returns the size as
// the ioctl's result, SCULL_P_IOCTSIZE sets it from the argument's value
// (EINVAL outside the limits, EBUSY while data is held, the same rules as
// SetSize), and the new size is what the device then holds at most.
func TestIoctlSize(t *testing.T) {
	k, ps := setup(t, Config{Devices: 1, Size: 64})
	task := k.NewTask("t", kernel.Cred{})
	ctx := bounded(t)
	fd := open(t, task, DeviceName(0), kernel.O_RDWR|kernel.O_NONBLOCK)
	if v, err := task.Ioctl(ctx, fd, SCULL_P_IOCQSIZE, kernel.IoctlArg{}); v != 64 || err != nil {
		t.Fatalf("I2: SCULL_P_IOCQSIZE = %d, %v; want 64", v, err)
	}
	if v, err := task.Ioctl(ctx, fd, SCULL_P_IOCTSIZE, kernel.IoctlArg{Value: 10}); v != 0 || err != nil {
		t.Fatalf("I2: SCULL_P_IOCTSIZE 10 = %d, %v", v, err)
	}
	if v, _ := task.Ioctl(ctx, fd, SCULL_P_IOCQSIZE, kernel.IoctlArg{}); v != 10 || ps.Pipe(0).Size() != 10 {
		t.Errorf("I2/B1: size after SCULL_P_IOCTSIZE 10 = %d (Size() %d)", v, ps.Pipe(0).Size())
	}
	if n, _ := task.Write(ctx, fd, make([]byte, 100)); n != 9 {
		t.Errorf("I2/B2: a 10-byte buffer took %d bytes, want 9", n)
	}
	if v, err := task.Ioctl(ctx, fd, SCULL_P_IOCTSIZE, kernel.IoctlArg{Value: 200}); v != -1 || err != syscall.EBUSY {
		t.Errorf("I2/B1: SCULL_P_IOCTSIZE with data held = %d, %v; want -1, EBUSY", v, err)
	}
	for _, bad := range []uintptr{0, 1, MaxSize + 1, 1 << 40, ^uintptr(0)} {
		if _, err := task.Ioctl(ctx, fd, SCULL_P_IOCTSIZE, kernel.IoctlArg{Value: bad}); err != syscall.EINVAL && err != syscall.EBUSY {
			t.Errorf("I2/B1: SCULL_P_IOCTSIZE %d = %v, want EINVAL", bad, err)
		}
	}
	read(t, task, fd, 9)
	if _, err := task.Ioctl(ctx, fd, SCULL_P_IOCTSIZE, kernel.IoctlArg{Value: 1}); err != syscall.EINVAL {
		t.Errorf("I2/B1: SCULL_P_IOCTSIZE 1 on an empty device = %v, want EINVAL", err)
	}
	if _, err := task.Ioctl(ctx, fd, SCULL_P_IOCTSIZE, kernel.IoctlArg{Value: 4000}); err != nil {
		t.Errorf("I2/B1: SCULL_P_IOCTSIZE once drained = %v", err)
	}
	if err := ps.Pipe(0).SetSize(128); err != nil {
		t.Fatal(err)
	}
	if v, _ := task.Ioctl(ctx, fd, SCULL_P_IOCQSIZE, kernel.IoctlArg{}); v != 128 {
		t.Errorf("I2/B1: SCULL_P_IOCQSIZE after SetSize(128) = %d", v)
	}
}

// TestIoctlFionread checks I2: FIONREAD writes the bytes held into the C
// int the argument points at, and unknown commands are ENOTTY.
func TestIoctlFionread(t *testing.T) {
	k, _ := setup(t, Config{Devices: 1, Size: 64})
	task := k.NewTask("t", kernel.Cred{})
	ctx := bounded(t)
	fd := open(t, task, DeviceName(0), kernel.O_RDWR|kernel.O_NONBLOCK)
	held := func() int {
		t.Helper()
		arg := kernel.IntArg(-1)
		if v, err := task.Ioctl(ctx, fd, kernel.FIONREAD, arg); v != 0 || err != nil {
			t.Fatalf("I2: FIONREAD = %d, %v", v, err)
		}
		n, _ := arg.Int()
		return n
	}
	if n := held(); n != 0 {
		t.Errorf("I2: FIONREAD on an empty device = %d", n)
	}
	write(t, task, fd, []byte("hello"))
	if n := held(); n != 5 {
		t.Errorf("I2: FIONREAD after 5 bytes = %d", n)
	}
	read(t, task, fd, 2)
	if n := held(); n != 3 {
		t.Errorf("I2: FIONREAD after reading 2 = %d", n)
	}
	if _, err := task.Ioctl(ctx, fd, kernel.FIONREAD, kernel.IoctlArg{}); err != syscall.EFAULT {
		t.Errorf("I2: FIONREAD without memory = %v, want EFAULT", err)
	}
	for _, cmd := range []uint{
		kernel.IO('k', 0),      // SCULL_IOCRESET: scull's, not scullpipe's
		kernel.IOR('k', 5, 4),  // SCULL_IOCGQUANTUM
		kernel.IO('k', 15),     // above SCULL_IOC_MAXNR
		kernel.IO('j', 13),     // another magic
		kernel.IOR('k', 14, 4), // 14 with another direction and size
		0x5401,                 // TCGETS: not a tty
	} {
		if v, err := task.Ioctl(ctx, fd, cmd, kernel.IoctlArg{}); v != -1 || err != syscall.ENOTTY {
			t.Errorf("I2: ioctl %#x = %d, %v; want -1, ENOTTY", cmd, v, err)
		}
	}
}
