package main

// The demo's signal scenes: the programs people write to consume SIGIO
// on the model kernel — the race-free asynctest (SIGIO blocked, then
// sigsuspend), a signalfd and sigwaitinfo consumer that learns the
// descriptor and band without a handler, and a threaded server whose
// notifications go to one thread (SPEC S5–S9, T1, T2).

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/pipe"
)

// asynctestSigsuspend is LDD3's asynctest without its race: SIGIO stays
// blocked while the reader looks for input, so a notification landing
// between "nothing to read" and the sleep waits pending, and sigsuspend
// unblocks it and sleeps in one step (SPEC S5, S7).
func (s *story) asynctestSigsuspend(ctx context.Context) error {
	s.tr.scene("12. the race-free asynctest: block SIGIO, look for input, then sigsuspend")
	t := s.k.NewTask("asynctest2", kernel.Cred{})
	defer t.Exit()
	if _, err := t.Sigaction(kernel.SIGIO, s.handler(nil)); err != nil {
		return err
	}
	sigio := kernel.SigsetOf(kernel.SIGIO)
	old, err := t.Sigprocmask(kernel.SIG_BLOCK, &sigio)
	if err != nil {
		return err
	}
	fd, err := t.Open(ctx, "scullpipe3", kernel.O_RDONLY|kernel.O_NONBLOCK)
	if err == nil {
		err = arm(t, fd, t.Pid(), 0)
	}
	if err != nil {
		return fmt.Errorf("asynctest2: %w", err)
	}
	s.tr.log(t.Name(), "pid %d: sigprocmask(SIG_BLOCK, SIGIO); fd %d on scullpipe3, owner pid %d, FASYNC on", t.Pid(), fd, t.Pid())
	if data, err := drain(ctx, t, fd); err != nil || len(data) != 0 {
		return fmt.Errorf("asynctest2: first look: %q, %v", data, err)
	}
	s.tr.log(t.Name(), "read: EAGAIN, nothing yet (LDD3's asynctest would now call pause())")
	if _, err := s.write(ctx, s.wa, "scullpipe3", []byte("between the look and the sleep")); err != nil {
		return err
	}
	if !t.Sigpending().Has(kernel.SIGIO) {
		return errors.New("asynctest2: the SIGIO is not pending")
	}
	s.tr.log(t.Name(), "sigpending() has SIGIO: the notification waits, blocked (pause() would sleep through it)")
	if err := t.Sigsuspend(ctx, old); !errors.Is(err, syscall.EINTR) {
		return fmt.Errorf("asynctest2: sigsuspend: %w", err)
	}
	s.tr.log(t.Name(), "sigsuspend(mask without SIGIO) returned EINTR at once, after the handler; SIGIO blocked again")
	if err := s.drainLog(ctx, t, fd); err != nil {
		return err
	}
	res := make(chan error, 1)
	start := time.Now()
	go func() { res <- t.Sigsuspend(ctx, old) }()
	time.Sleep(pace) // let it fall asleep: the trace then shows the wake-up
	if _, err := s.write(ctx, s.wb, "scullpipe3", []byte("while it slept")); err != nil {
		return err
	}
	serr, err := recv(ctx, res, "sigsuspend")
	if err == nil && !errors.Is(serr, syscall.EINTR) {
		err = fmt.Errorf("asynctest2: sigsuspend: %w", serr)
	}
	if err != nil {
		return err
	}
	s.tr.log(t.Name(), "sigsuspend slept and returned EINTR after %s", since(start))
	return s.drainLog(ctx, t, fd)
}

// drainLog drains fd and traces what it read.
func (s *story) drainLog(ctx context.Context, t *kernel.Task, fd int) error {
	data, err := drain(ctx, t, fd)
	if err != nil {
		return fmt.Errorf("%s: read fd %d: %w", t.Name(), fd, err)
	}
	s.tr.log(t.Name(), "read fd %d: %q (then EAGAIN)", fd, data)
	return nil
}

// signalfdConsumer takes F_SETSIG notifications of two descriptors with no
// handler at all: first as records read from a signalfd, then with
// sigwaitinfo; each names the descriptor and the band (SPEC S8, S9, A8).
func (s *story) signalfdConsumer(ctx context.Context) error {
	s.tr.scene("13. no handler: notifications read from a signalfd, then taken with sigwaitinfo")
	t := s.k.NewTask("sfd-reader", kernel.Cred{})
	defer t.Exit()
	sig := kernel.SIGRTMIN + 3
	set := kernel.SigsetOf(sig)
	if _, err := t.Sigprocmask(kernel.SIG_BLOCK, &set); err != nil {
		return err
	}
	sfd, err := t.Signalfd(-1, set, kernel.SFD_CLOEXEC)
	if err != nil {
		return err
	}
	dev, err := t.Open(ctx, "scullpipe3", kernel.O_RDONLY|kernel.O_NONBLOCK)
	if err == nil {
		err = arm(t, dev, t.Pid(), sig)
	}
	r, w, perr := pipe.Pipe2(t, kernel.O_NONBLOCK)
	if err == nil {
		err = perr
	}
	if err == nil {
		err = arm(t, r, t.Pid(), sig)
	}
	if err != nil {
		return fmt.Errorf("sfd-reader: %w", err)
	}
	names := map[int]string{dev: "scullpipe3", r: "the pipe"}
	s.tr.log(t.Name(), "pid %d: %s blocked; signalfd fd %d for it; fd %d (scullpipe3) and fd %d (a pipe) F_SETSIG %s, FASYNC on",
		t.Pid(), signalName(sig), sfd, dev, r, signalName(sig))
	if _, err := s.write(ctx, s.wa, "scullpipe3", []byte("to the signalfd")); err != nil {
		return err
	}
	if _, err := t.Write(ctx, w, []byte("through the pipe")); err != nil {
		return err
	}
	if err := s.readSignalfd(ctx, t, sfd, names); err != nil {
		return err
	}
	if _, err := s.write(ctx, s.wb, "scullpipe3", []byte("to sigwaitinfo")); err != nil {
		return err
	}
	info, err := t.Sigwaitinfo(ctx, set)
	if err != nil {
		return fmt.Errorf("sfd-reader: sigwaitinfo: %w", err)
	}
	s.tr.log(t.Name(), "sigwaitinfo: %s", describeSignal(&info))
	return s.drainLog(ctx, t, info.Fd)
}

// readSignalfd reads a signalfd with room for four records and, for each
// record, traces it and drains the descriptor it names.
func (s *story) readSignalfd(ctx context.Context, t *kernel.Task, sfd int, names map[int]string) error {
	buf := make([]byte, 4*kernel.SignalfdSiginfoSize)
	n, err := t.Read(ctx, sfd, buf)
	if err != nil {
		return fmt.Errorf("%s: read signalfd: %w", t.Name(), err)
	}
	s.tr.log(t.Name(), "read(signalfd, room for 4) = %d bytes: %d signalfd_siginfo records", n, n/kernel.SignalfdSiginfoSize)
	for off := 0; off < n; off += kernel.SignalfdSiginfoSize {
		rec, err := kernel.ParseSignalfdSiginfo(buf[off : off+kernel.SignalfdSiginfoSize])
		if err != nil {
			return err
		}
		s.tr.log(t.Name(), "  ssi_signo %s ssi_code %s ssi_fd %d (%s) ssi_band 0x%03x",
			signalName(int(rec.Signo)), codeName(int(rec.Code)), rec.Fd, names[int(rec.Fd)], rec.Band)
		if err := s.drainLog(ctx, t, int(rec.Fd)); err != nil {
			return err
		}
	}
	return nil
}

// threadedOwner is a server with two threads: the main thread blocks
// SIGIO and sleeps in a read of its own; F_SETOWN_EX(F_OWNER_TID) aims
// scullpipe3's notifications at the other thread, whose handler reads the
// device (SPEC T1, T2, A9).
func (s *story) threadedOwner(ctx context.Context) error {
	s.tr.scene("14. threads: F_SETOWN_EX(F_OWNER_TID) sends SIGIO to one thread of a server")
	main := s.k.NewTask("server", kernel.Cred{})
	defer main.Exit()
	worker, err := main.NewThread("sigio-thr")
	if err != nil {
		return err
	}
	fd, err := main.Open(ctx, "scullpipe3", kernel.O_RDONLY|kernel.O_NONBLOCK)
	if err != nil {
		return err
	}
	read := make(chan struct{}, 1)
	_, err = main.Sigaction(kernel.SIGIO, kernel.Sigaction{Handler: func(th *kernel.Task, info *kernel.SigInfo) {
		s.tr.log(th.Name(), "got %s on thread %d of pid %d", describeSignal(info), th.Tid(), th.Pid())
		if s.drainLog(ctx, th, info.Fd) == nil {
			read <- struct{}{}
		}
	}})
	sigio := kernel.SigsetOf(kernel.SIGIO)
	if err == nil {
		_, err = main.Sigprocmask(kernel.SIG_BLOCK, &sigio)
	}
	if err == nil {
		err = armThread(main, fd, worker.Tid())
	}
	r, w, perr := pipe.Pipe2(main, 0)
	if err == nil {
		err = perr
	}
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.tr.log(main.Name(), "pid %d: main thread (tid %d) blocks SIGIO and reads a pipe; %s (tid %d) owns fd %d on scullpipe3 by F_SETOWN_EX(F_OWNER_TID, %d)",
		main.Pid(), main.Tid(), worker.Name(), worker.Tid(), fd, worker.Tid())
	mainRead := make(chan result, 1)
	go func() {
		n, err := main.Read(ctx, r, make([]byte, 64))
		mainRead <- result{n, err}
	}()
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	done := pauseLoop(lctx, worker, func() error { return nil })
	if _, err := s.write(ctx, s.wa, "scullpipe3", []byte("for the SIGIO thread")); err != nil {
		return err
	}
	if _, err := recv(ctx, read, "the SIGIO thread's read"); err != nil {
		return err
	}
	select {
	case res := <-mainRead:
		return fmt.Errorf("server: the main thread's read returned %d, %v", res.n, res.err)
	default:
	}
	if _, err := worker.Write(ctx, w, []byte("done")); err != nil {
		return err
	}
	res, err := recv(ctx, mainRead, "the main thread's read")
	if err == nil {
		err = res.err
	}
	if err != nil {
		return fmt.Errorf("server: main thread read: %w", err)
	}
	s.tr.log(main.Name(), "main thread's read of the pipe returned %d bytes, undisturbed: the signal went to tid %d only", res.n, worker.Tid())
	return s.finish(ctx, stop, done, worker.Name())
}

// armThread makes thread tid the owner of t's fd with F_SETOWN_EX
// F_OWNER_TID, F_SETSIG SIGIO (so the signal carries the descriptor) and
// FASYNC on.
func armThread(t *kernel.Task, fd, tid int) error {
	err := t.FcntlOwnerEx(fd, kernel.F_SETOWN_EX, &kernel.FOwnerEx{Type: kernel.F_OWNER_TID, Pid: tid})
	if err == nil {
		_, err = t.Fcntl(fd, kernel.F_SETSIG, kernel.SIGIO)
	}
	if err == nil {
		_, err = t.Fcntl(fd, kernel.F_SETFL, kernel.O_RDONLY|kernel.O_NONBLOCK|kernel.FASYNC)
	}
	return err
}

// result is what a blocking call returned.
type result struct {
	n   int
	err error
}
