package main

// The demo's Linux pipe scenes: the second model driver (package pipe)
// against scullpipe — end of file, EPIPE with SIGPIPE, a capacity in
// pages (SPEC P1).

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/pipe"
)

// pipeEOF: a Linux pipe reads as end of file once its last writer has
// closed, where scullpipe's reader would sleep on; the close itself is a
// POLL_IN for the readers (SPEC P1, B3).
func (s *story) pipeEOF(ctx context.Context) error {
	s.tr.scene("9. a Linux pipe: end of file when the writer closes (scullpipe has none)")
	t := s.k.NewTask("sh", kernel.Cred{})
	sig := kernel.SIGRTMIN + 2
	if _, err := t.Sigaction(sig, s.handler(nil)); err != nil {
		return err
	}
	r, w, err := pipe.Pipe2(t, 0)
	if err == nil {
		err = arm(t, r, t.Pid(), sig)
	}
	if err != nil {
		return fmt.Errorf("sh: pipe2: %w", err)
	}
	s.tr.log(t.Name(), "pipe2(0): read end fd %d (F_SETSIG %s, FASYNC on), write end fd %d", r, signalName(sig), w)
	msg := []byte("last words")
	if _, err := t.Write(ctx, w, msg); err != nil {
		return err
	}
	s.tr.log(t.Name(), "wrote %q to fd %d (the signal above came from that write)", msg, w)
	if err := t.Close(w); err != nil {
		return err
	}
	s.tr.log(t.Name(), "closed fd %d: no writer is left, and the close is a POLL_IN of its own", w)
	buf := make([]byte, 100)
	for range 2 {
		n, err := t.Read(ctx, r, buf)
		if err != nil {
			return fmt.Errorf("sh: read: %w", err)
		}
		if n == 0 {
			s.tr.log(t.Name(), "read fd %d: 0 bytes: end of file, without sleeping", r)
			break
		}
		s.tr.log(t.Name(), "read fd %d: %d bytes %q", r, n, buf[:n])
	}
	return t.Close(r)
}

// pipeEPIPE: a write to a pipe whose reader has gone fails with EPIPE and
// raises SIGPIPE in the writing task itself (SPEC P1, K1).
func (s *story) pipeEPIPE(ctx context.Context) error {
	s.tr.scene("10. a Linux pipe: EPIPE and SIGPIPE when the reader is gone")
	t := s.k.NewTask("producer", kernel.Cred{})
	if _, err := t.Sigaction(kernel.SIGPIPE, s.handler(nil)); err != nil {
		return err
	}
	r, w, err := pipe.Pipe2(t, 0)
	if err != nil {
		return err
	}
	if err := t.Close(r); err != nil {
		return err
	}
	s.tr.log(t.Name(), "pipe2: fds %d and %d; the reader's end %d is closed; writing ...", r, w, r)
	_, err = t.Write(ctx, w, []byte("anyone?"))
	if !errors.Is(err, syscall.EPIPE) {
		return fmt.Errorf("producer: write with no reader returned %v, want EPIPE", err)
	}
	s.tr.log(t.Name(), "write(fd %d) failed with EPIPE; SIGPIPE went to the writer, not to an owner", w)
	return t.Close(w)
}

// pipeSize: a pipe's capacity is 16 pages; F_SETPIPE_SZ rounds a size up
// to a power-of-two number of pages, and cannot shrink the ring below
// what it holds (SPEC P1, K2).
func (s *story) pipeSize(ctx context.Context) error {
	s.tr.scene("11. a Linux pipe's capacity: F_GETPIPE_SZ, F_SETPIPE_SZ")
	t := s.k.NewTask("sizer", kernel.Cred{})
	r, w, err := pipe.Pipe2(t, kernel.O_NONBLOCK)
	if err != nil {
		return err
	}
	fcntl := func(cmd, arg int, name string) (int, error) {
		v, err := t.Fcntl(w, cmd, arg)
		if err != nil {
			s.tr.log(t.Name(), "%s: %s", name, errnoName(err))
		} else {
			s.tr.log(t.Name(), "%s = %d", name, v)
		}
		return v, err
	}
	if _, err := fcntl(kernel.F_GETPIPE_SZ, 0, "F_GETPIPE_SZ"); err != nil {
		return err
	}
	if _, err := fcntl(kernel.F_SETPIPE_SZ, 5000, "F_SETPIPE_SZ(5000), rounded up to 2 pages"); err != nil {
		return err
	}
	held := 0
	for {
		n, err := t.Write(ctx, w, make([]byte, 3000))
		if errors.Is(err, syscall.EAGAIN) {
			break
		}
		if err != nil {
			return err
		}
		held += n
	}
	s.tr.log(t.Name(), "wrote 3000-byte blocks under O_NONBLOCK until EAGAIN: %d bytes held in 2 pages", held)
	if _, err := fcntl(kernel.F_SETPIPE_SZ, 4096, "F_SETPIPE_SZ(4096) below what is held"); !errors.Is(err, syscall.EBUSY) {
		return fmt.Errorf("sizer: shrinking a full pipe returned %v, want EBUSY", err)
	}
	return errors.Join(t.Close(r), t.Close(w))
}

// errnoName spells an errno the way the trace does.
func errnoName(err error) string {
	switch {
	case errors.Is(err, syscall.EBUSY):
		return "EBUSY"
	case errors.Is(err, syscall.EPIPE):
		return "EPIPE"
	case errors.Is(err, syscall.EAGAIN):
		return "EAGAIN"
	case errors.Is(err, syscall.EINVAL):
		return "EINVAL"
	}
	return err.Error()
}
