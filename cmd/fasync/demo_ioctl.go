package main

// The demo's ioctl scenes on scullpipe: FIOASYNC as the second way to
// subscribe, and LDD3's buffer-size commands (SPEC I1, I2).

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

// fioasync: ioctl(FIOASYNC, 1) puts a file on the driver's notification
// list exactly as F_SETFL|FASYNC does, through the same fasync method
// (SPEC I1, A11).
func (s *story) fioasync(ctx context.Context) error {
	s.tr.scene("7. FIOASYNC: ioctl as the second way to subscribe")
	t := s.k.NewTask("ioctl-reader", kernel.Cred{})
	heard := make(chan struct{}, 1)
	if _, err := t.Sigaction(kernel.SIGIO, s.handler(func(*kernel.SigInfo) { heard <- struct{}{} })); err != nil {
		return err
	}
	fd, err := t.Open(ctx, "scullpipe3", kernel.O_RDONLY|kernel.O_NONBLOCK)
	if err != nil {
		return err
	}
	if _, err := t.Fcntl(fd, kernel.F_SETOWN, t.Pid()); err != nil {
		return err
	}
	if _, err := t.Ioctl(ctx, fd, kernel.FIOASYNC, kernel.IntArg(1)); err != nil {
		return fmt.Errorf("ioctl-reader: FIOASYNC: %w", err)
	}
	fl, _ := t.Fcntl(fd, kernel.F_GETFL, 0)
	s.tr.log(t.Name(), "fd %d on scullpipe3: F_SETOWN %d, ioctl(FIOASYNC, 1); F_GETFL shows FASYNC: %v",
		fd, t.Pid(), fl&kernel.FASYNC != 0)
	if _, err := s.write(ctx, s.wa, "scullpipe3", []byte("via FIOASYNC")); err != nil {
		return err
	}
	// The signal is delivered at the reader's next safe point: its read.
	data, err := drain(ctx, t, fd)
	if err != nil {
		return err
	}
	if _, err := recv(ctx, heard, "ioctl-reader's SIGIO"); err != nil {
		return err
	}
	s.tr.log(t.Name(), "read %q", data)
	if _, err := t.Ioctl(ctx, fd, kernel.FIOASYNC, kernel.IntArg(0)); err != nil {
		return err
	}
	fl, _ = t.Fcntl(fd, kernel.F_GETFL, 0)
	s.tr.log(t.Name(), "ioctl(FIOASYNC, 0): off the list again; F_GETFL shows FASYNC: %v", fl&kernel.FASYNC != 0)
	return t.Close(fd)
}

// scullSize: LDD3's "query" and "tell" ioctls read and change scullpipe's
// buffer size, which cannot change while data is held (SPEC I2, B1).
func (s *story) scullSize(ctx context.Context) error {
	s.tr.scene("8. SCULL_P_IOCQSIZE and SCULL_P_IOCTSIZE: scullpipe's buffer size by ioctl")
	t := s.k.NewTask("configurer", kernel.Cred{})
	fd, err := t.Open(ctx, "scullpipe3", kernel.O_RDWR|kernel.O_NONBLOCK)
	if err != nil {
		return err
	}
	query := func() error {
		size, err := t.Ioctl(ctx, fd, scull.SCULL_P_IOCQSIZE, kernel.IoctlArg{})
		if err == nil {
			s.tr.log(t.Name(), "ioctl(SCULL_P_IOCQSIZE) = %d: the buffer size, as the ioctl's result", size)
		}
		return err
	}
	tell := func(size int) error {
		_, err := t.Ioctl(ctx, fd, scull.SCULL_P_IOCTSIZE, kernel.IoctlArg{Value: uintptr(size)})
		return err
	}
	if err := query(); err != nil {
		return err
	}
	msg := []byte("still unread")
	if _, err := t.Write(ctx, fd, msg); err != nil {
		return err
	}
	// Double the size, or halve it when double is beyond scull's limit.
	resize := 2 * s.size
	if resize > scull.MaxSize {
		resize = s.size / 2
	}
	err = tell(resize)
	if !errors.Is(err, syscall.EBUSY) {
		return fmt.Errorf("configurer: SCULL_P_IOCTSIZE with data held returned %v, want EBUSY", err)
	}
	s.tr.log(t.Name(), "wrote %d bytes; ioctl(SCULL_P_IOCTSIZE, %d): EBUSY, a new buffer would lose them", len(msg), resize)
	if _, err := drain(ctx, t, fd); err != nil {
		return err
	}
	if err := tell(resize); err != nil {
		return fmt.Errorf("configurer: SCULL_P_IOCTSIZE on an empty device: %w", err)
	}
	s.tr.log(t.Name(), "read them back; ioctl(SCULL_P_IOCTSIZE, %d) = 0 on the empty device", resize)
	if err := query(); err != nil {
		return err
	}
	return t.Close(fd)
}
