package main

// The demo's epoll scene: one server watches several scullpipes with
// EPOLLET and drains each ready device until EAGAIN, the discipline that
// edge-triggered epoll asks of its users (SPEC E2–E4).

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/fasync-go/fasync/kernel"
)

// epollLoop: a server task sleeps in epoll_wait over four scullpipes
// opened O_NONBLOCK and registered EPOLLIN|EPOLLET; the writers write to
// some of them; each wake-up reports the devices written since, and the
// server reads each one until EAGAIN, because EPOLLET reports a device
// again only after its next write.
func (s *story) epollLoop(ctx context.Context) error {
	s.tr.scene("15. epoll, edge-triggered, over four scullpipes: drain each ready device until EAGAIN")
	srv := s.k.NewTask("epoll-srv", kernel.Cred{})
	ep, err := srv.EpollCreate1(kernel.EPOLL_CLOEXEC)
	if err != nil {
		return fmt.Errorf("epoll-srv: epoll_create1: %w", err)
	}
	names := s.pipes.Names()[:4]
	fds := make([]int, len(names))
	for i, name := range names {
		if fds[i], err = srv.Open(ctx, name, kernel.O_RDONLY|kernel.O_NONBLOCK); err != nil {
			return err
		}
		if err := s.discard(ctx, srv, fds[i], name); err != nil {
			return err
		}
		ev := kernel.EpollEvent{Events: kernel.EPOLLIN | kernel.EPOLLET, Data: uint64(i)}
		if err := srv.EpollCtl(ep, kernel.EPOLL_CTL_ADD, fds[i], &ev); err != nil {
			return fmt.Errorf("epoll-srv: epoll_ctl ADD %s: %w", name, err)
		}
	}
	s.tr.log(srv.Name(), "epoll_create1: fd %d; EPOLLIN|EPOLLET on %s (O_NONBLOCK)", ep, strings.Join(names, " "))

	batches := []map[int]string{
		{1: "first"},
		{0: "two at once", 3: "and another"},
	}
	total := 0
	for _, batch := range batches {
		for _, msg := range batch {
			total += len(msg)
		}
	}
	consumed := make(chan int)
	served := make(chan error, 1)
	go func() { served <- s.epollServe(ctx, srv, ep, fds, names, total, consumed) }()
	for _, batch := range batches {
		time.Sleep(pace) // let the server fall asleep in epoll_wait first
		want := 0
		for _, i := range []int{0, 1, 2, 3} {
			// A scullpipe write stops where its circular buffer wraps,
			// so a small buffer may take a message in pieces.
			for rest := []byte(batch[i]); len(rest) > 0; {
				n, err := s.write(ctx, s.wa, names[i], rest)
				if err != nil {
					return err
				}
				want += n
				rest = rest[n:]
			}
		}
		for got := 0; got < want; {
			select {
			case n := <-consumed:
				got += n
			case err := <-served:
				if err == nil {
					err = errors.New("stopped before reading everything")
				}
				return fmt.Errorf("epoll-srv: %w", err)
			}
		}
	}
	if err := <-served; err != nil {
		return fmt.Errorf("epoll-srv: %w", err)
	}
	n, err := srv.EpollWait(ctx, ep, make([]kernel.EpollEvent, 4), 0)
	if err != nil {
		return err
	}
	s.tr.log(srv.Name(), "epoll_wait(timeout 0): %d ready: every device was drained, and EPOLLET waits for the next write", n)
	for _, fd := range append(fds, ep) {
		if err := srv.Close(fd); err != nil {
			return err
		}
	}
	return nil
}

// discard reads what earlier scenes left in a device, so that the scene
// starts from empty devices.
func (s *story) discard(ctx context.Context, t *kernel.Task, fd int, name string) error {
	buf := make([]byte, 4096)
	left := 0
	for {
		n, err := t.Read(ctx, fd, buf)
		if errors.Is(err, syscall.EAGAIN) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: read %s: %w", t.Name(), name, err)
		}
		left += n
	}
	if left > 0 {
		s.tr.log(t.Name(), "read and dropped the %d bytes earlier scenes left in %s", left, name)
	}
	return nil
}

// epollServe is the server's loop, until it has read total bytes: each
// wake-up is reported with the devices it found ready, each device read
// until EAGAIN; the bytes read go to consumed.
func (s *story) epollServe(ctx context.Context, srv *kernel.Task, ep int, fds []int, names []string, total int, consumed chan<- int) error {
	events := make([]kernel.EpollEvent, 8)
	buf := make([]byte, 64)
	for read := 0; read < total; {
		n, err := srv.EpollWait(ctx, ep, events, -1)
		if err != nil {
			return fmt.Errorf("epoll_wait: %w", err)
		}
		var ready []string
		for _, ev := range events[:n] {
			ready = append(ready, names[ev.Data])
		}
		s.tr.log(srv.Name(), "epoll_wait woke: %d ready (%s)", n, strings.Join(ready, ", "))
		for _, ev := range events[:n] {
			i := int(ev.Data)
			got := 0
			for {
				m, err := srv.Read(ctx, fds[i], buf)
				if errors.Is(err, syscall.EAGAIN) {
					break
				}
				if err != nil {
					return fmt.Errorf("read %s: %w", names[i], err)
				}
				s.tr.log(srv.Name(), "read %s: %q", names[i], buf[:m])
				got += m
			}
			s.tr.log(srv.Name(), "read %s: EAGAIN, drained", names[i])
			read += got
			consumed <- got
		}
	}
	return nil
}
