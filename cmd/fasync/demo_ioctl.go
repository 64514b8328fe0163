package main

// The demo's ioctl scenes on scullpipe: FIOASYNC as the second way to
// subscribe, and LDD3's buffer-size commands (SPEC I1, I2).

import (
	"context"
	"fmt"

	"github.com/fasync-go/fasync/kernel"
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
