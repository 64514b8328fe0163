package main

// fasync demo: LDD3 chapter 6 told on a model kernel. Every "process" is a
// kernel.Task whose code runs on a goroutine; scullpipe devices and Linux
// pipes are the drivers; the trace shows each notification as its owner
// sees it.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fasync-go/fasync/internal/cli"
	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

func init() {
	register("demo", "LDD3 chapter 6 on a model kernel: scullpipe, SIGIO, F_SETSIG, poll, O_NONBLOCK, ioctl, a Linux pipe", runDemo)
}

// demoTimeout bounds the whole story: a bug makes the demo fail, not hang.
const demoTimeout = 30 * time.Second

// pace is how long the story waits before a write that should find its
// target asleep (the poller, the blocked writer). The output is correct
// whatever the scheduling; the pause only makes the trace read in order.
const pace = 20 * time.Millisecond

func runDemo(args []string) int {
	fs := cli.NewFlagSet("demo", "fasync demo [--devices N] [--size BYTES]",
		"Tells LDD3 chapter 6 on a model kernel, traced: scullpipe devices, readers\n"+
			"notified by SIGIO and F_SETSIG, poll, O_NONBLOCK, a blocked writer.")
	devices := fs.Int("devices", scull.DefaultDevices, "number of scullpipe devices (at least 4)")
	size := cli.SizeFlag(fs.FlagSet, "size", scull.DefaultSize, 64, scull.MaxSize, "buffer size of each device")
	if _, status, ok := fs.Parse(args, 0, 0); !ok {
		return status
	}
	if *devices < 4 {
		fmt.Fprintf(os.Stderr, "fasync demo: --devices %d: the story needs at least 4\n", *devices)
		return 2
	}
	if err := demo(os.Stdout, scull.Config{Devices: *devices, Size: int(*size)}); err != nil {
		fmt.Fprintln(os.Stderr, "fasync demo:", err)
		return 1
	}
	return 0
}

// tracer prints timestamped lines, relative to the start of the story, from
// any goroutine (signal handlers run on their task's goroutine).
type tracer struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func (tr *tracer) log(who, format string, args ...any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	ms := float64(time.Since(tr.start).Microseconds()) / 1000
	fmt.Fprintf(tr.w, "[%9.3f ms] %-11s %s\n", ms, who, fmt.Sprintf(format, args...))
}

// scene prints a heading between the parts of the story.
func (tr *tracer) scene(title string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	fmt.Fprintf(tr.w, "\n== %s\n", title)
}

// story is the state the scenes share: the kernel, its devices and the
// writer processes that feed every scene.
type story struct {
	tr       *tracer
	k        *kernel.Kernel
	pipes    *scull.Pipes
	size     int
	wa, wb   *kernel.Task   // writer-a and writer-b
	writeFds map[string]int // "writer-a scullpipe0" -> fd
}

func demo(w io.Writer, cfg scull.Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
	defer cancel()
	k := kernel.New(kernel.Config{})
	defer k.Close()
	ps, err := scull.Register(k, cfg)
	if err != nil {
		return err
	}
	s := &story{tr: &tracer{w: w, start: time.Now()}, k: k, pipes: ps, size: cfg.Size, writeFds: map[string]int{}}
	fmt.Fprintf(w, "fasync demo: LDD3 chapter 6 on a model kernel (%d scullpipe devices, %d-byte buffers)\n",
		ps.Len(), cfg.Size)
	s.tr.log("kernel", "registered %s", strings.Join(ps.Names(), " "))
	s.wa = k.NewTask("writer-a", kernel.Cred{})
	s.wb = k.NewTask("writer-b", kernel.Cred{})
	for _, scene := range []func(context.Context) error{
		s.asynctest, s.setsig, s.poller, s.nonblock, s.group, s.blockedWriter,
		s.fioasync, s.scullSize, s.pipeEOF, s.pipeEPIPE, s.pipeSize,
		s.asynctestSigsuspend, s.signalfdConsumer, s.threadedOwner,
		s.epollLoop,
	} {
		if err := scene(ctx); err != nil {
			return err
		}
	}
	s.tr.scene("device status (like /proc/scullpipe)")
	if err := ps.WriteStatus(w); err != nil {
		return err
	}
	if err := k.Close(); err != nil {
		return err
	}
	s.tr.log("kernel", "closed: every task exited, every file released")
	return nil
}

// write has a writer process write msg to a device, opening it on first
// use (the writers keep their descriptors, as real producers would).
func (s *story) write(ctx context.Context, t *kernel.Task, dev string, msg []byte) (int, error) {
	key := t.Name() + " " + dev
	fd, ok := s.writeFds[key]
	if !ok {
		var err error
		if fd, err = t.Open(ctx, dev, kernel.O_WRONLY); err != nil {
			return 0, err
		}
		s.writeFds[key] = fd
	}
	n, err := t.Write(ctx, fd, msg)
	if err != nil {
		return n, fmt.Errorf("%s: write %s: %w", t.Name(), dev, err)
	}
	s.tr.log(t.Name(), "wrote %d bytes to %s: %q", n, dev, msg[:n])
	return n, nil
}

// handler returns a signal handler that traces what its task received.
func (s *story) handler(then func(info *kernel.SigInfo)) kernel.Sigaction {
	return kernel.Sigaction{Handler: func(t *kernel.Task, info *kernel.SigInfo) {
		s.tr.log(t.Name(), "got %s", describeSignal(info))
		if then != nil {
			then(info)
		}
	}}
}

// arm makes owner (a pid, or -pgid) the owner of t's fd, chooses the
// signal (0 = plain SIGIO) and sets FASYNC, keeping the other flags — the
// three steps of LDD3's asynctest.
func arm(t *kernel.Task, fd, owner, sig int) error {
	if _, err := t.Fcntl(fd, kernel.F_SETOWN, owner); err != nil {
		return fmt.Errorf("F_SETOWN: %w", err)
	}
	if sig != 0 {
		if _, err := t.Fcntl(fd, kernel.F_SETSIG, sig); err != nil {
			return fmt.Errorf("F_SETSIG: %w", err)
		}
	}
	fl, err := t.Fcntl(fd, kernel.F_GETFL, 0)
	if err == nil {
		_, err = t.Fcntl(fd, kernel.F_SETFL, fl|kernel.FASYNC)
	}
	if err != nil {
		return fmt.Errorf("F_SETFL FASYNC: %w", err)
	}
	return nil
}

// drain reads a non-blocking descriptor until EAGAIN, as a notified
// reader must: one signal may stand for several writes.
func drain(ctx context.Context, t *kernel.Task, fd int) ([]byte, error) {
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := t.Read(ctx, fd, buf)
		if errors.Is(err, syscall.EAGAIN) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, buf[:n]...)
	}
}

// pauseLoop runs body each time a handler has run in t's pause(), until
// ctx ends; it is the main loop of LDD3's asynctest. It returns when the
// goroutine has finished.
func pauseLoop(ctx context.Context, t *kernel.Task, body func() error) <-chan error {
	done := make(chan error, 1)
	go func() {
		for {
			err := t.Pause(ctx)
			if !errors.Is(err, syscall.EINTR) {
				if ctx.Err() != nil {
					err = nil // the scene is over
				}
				done <- err
				return
			}
			if err := body(); err != nil {
				done <- err
				return
			}
		}
	}()
	return done
}

// asynctest: a reader that sleeps in pause() and reads only when SIGIO
// says scullpipe0 has data (SPEC M4a, B5).
func (s *story) asynctest(ctx context.Context) error {
	s.tr.scene("1. asynctest: SIGIO handler, F_SETOWN getpid(), F_SETFL|FASYNC; read only when notified")
	t := s.k.NewTask("asynctest", kernel.Cred{})
	if _, err := t.Sigaction(kernel.SIGIO, s.handler(nil)); err != nil {
		return err
	}
	fd, err := t.Open(ctx, "scullpipe0", kernel.O_RDONLY|kernel.O_NONBLOCK)
	if err == nil {
		err = arm(t, fd, t.Pid(), 0)
	}
	if err != nil {
		return fmt.Errorf("asynctest: %w", err)
	}
	s.tr.log(t.Name(), "pid %d: fd %d on scullpipe0, owner pid %d, FASYNC on; pause()", t.Pid(), fd, t.Pid())
	readDone := make(chan struct{}, 1)
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	done := pauseLoop(lctx, t, func() error {
		data, err := drain(lctx, t, fd)
		s.tr.log(t.Name(), "read %d bytes: %q (then EAGAIN: drained; back to pause())", len(data), data)
		readDone <- struct{}{}
		return err
	})
	for i, w := range []*kernel.Task{s.wa, s.wb, s.wa} {
		if _, err := s.write(ctx, w, "scullpipe0", fmt.Appendf(nil, "line %d from %s\n", i+1, w.Name())); err != nil {
			return err
		}
		if _, err := recv(ctx, readDone, "asynctest's read"); err != nil {
			return err
		}
	}
	return s.finish(ctx, stop, done, t.Name())
}

// finish ends a scene's pause loop and reports its error.
func (s *story) finish(ctx context.Context, stop context.CancelFunc, done <-chan error, who string) error {
	stop()
	err, werr := recv(ctx, done, who+" to stop")
	return errors.Join(err, werr)
}

// setsig: a reader of two devices chooses a real-time signal with F_SETSIG,
// so each notification says which descriptor and which band (SPEC A7, A8).
func (s *story) setsig(ctx context.Context) error {
	s.tr.scene("2. F_SETSIG: a real-time signal tells the reader which descriptor and band")
	t := s.k.NewTask("rt-reader", kernel.Cred{})
	fds := make(chan int, 16) // descriptors the handler heard about
	sig := kernel.SIGRTMIN + 1
	if _, err := t.Sigaction(sig, s.handler(func(info *kernel.SigInfo) { fds <- info.Fd })); err != nil {
		return err
	}
	names := map[int]string{}
	for _, dev := range []string{"scullpipe1", "scullpipe2"} {
		fd, err := t.Open(ctx, dev, kernel.O_RDONLY|kernel.O_NONBLOCK)
		if err == nil {
			err = arm(t, fd, t.Pid(), sig)
		}
		if err != nil {
			return fmt.Errorf("rt-reader: %s: %w", dev, err)
		}
		names[fd] = dev
		s.tr.log(t.Name(), "pid %d: fd %d on %s, F_SETSIG %s, FASYNC on", t.Pid(), fd, dev, signalName(sig))
	}
	readDone := make(chan struct{}, 1)
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	done := pauseLoop(lctx, t, func() error {
		for len(fds) > 0 {
			fd := <-fds
			data, err := drain(lctx, t, fd)
			if err != nil {
				return err
			}
			s.tr.log(t.Name(), "read fd %d (%s) only: %q", fd, names[fd], data)
			readDone <- struct{}{}
		}
		return nil
	})
	for _, step := range []struct {
		w   *kernel.Task
		dev string
	}{{s.wa, "scullpipe2"}, {s.wb, "scullpipe1"}} {
		if _, err := s.write(ctx, step.w, step.dev, []byte("for whoever listens on "+step.dev)); err != nil {
			return err
		}
		if _, err := recv(ctx, readDone, "rt-reader's read"); err != nil {
			return err
		}
	}
	if err := s.finish(ctx, stop, done, t.Name()); err != nil {
		return err
	}
	t.Exit()
	s.tr.log(t.Name(), "exits: closing its files takes them off the notification lists (A13, B8)")
	return nil
}

// poller: poll(2) on scullpipe3 times out once, then is woken by a write
// (SPEC M3, B7).
func (s *story) poller(ctx context.Context) error {
	s.tr.scene("3. poll: a timeout, then a wake-up")
	t := s.k.NewTask("poller", kernel.Cred{})
	fd, err := t.Open(ctx, "scullpipe3", kernel.O_RDONLY)
	if err != nil {
		return err
	}
	poll := func(timeout time.Duration) (string, error) {
		s.tr.log(t.Name(), "poll(fd %d scullpipe3, POLLIN|POLLRDNORM, %v) ...", fd, timeout)
		fds := []kernel.PollFd{{Fd: fd, Events: kernel.POLLIN | kernel.POLLRDNORM}}
		start := time.Now()
		n, err := t.Poll(ctx, fds, timeout)
		if err != nil {
			return "", err
		}
		took := since(start)
		if n == 0 {
			return fmt.Sprintf("poll returned 0 after %s: timed out, nothing to read", took), nil
		}
		return fmt.Sprintf("poll returned %d after %s: fd %d revents %s",
			n, took, fd, pollBits(int(fds[0].Revents))), nil
	}
	msg, err := poll(50 * time.Millisecond)
	if err != nil {
		return err
	}
	s.tr.log(t.Name(), "%s", msg)
	res := make(chan error, 1)
	go func() {
		msg, err := poll(2 * time.Second)
		if err == nil {
			s.tr.log(t.Name(), "%s", msg)
		}
		res <- err
	}()
	time.Sleep(pace) // let the poller fall asleep first: the trace then shows the wake-up
	if _, err := s.write(ctx, s.wb, "scullpipe3", []byte("poll me")); err != nil {
		return err
	}
	err, werr := recv(ctx, res, "the poller")
	return errors.Join(err, werr)
}

// nonblock: a reader with O_NONBLOCK opens scullpipe3 after the poller's
// data arrived; the data is still there (B9), and once it is read, the next
// read returns EAGAIN instead of sleeping (SPEC M2, B3).
func (s *story) nonblock(ctx context.Context) error {
	s.tr.scene("4. O_NONBLOCK: data kept across opens, then EAGAIN")
	t := s.k.NewTask("nb-reader", kernel.Cred{})
	fd, err := t.Open(ctx, "scullpipe3", kernel.O_RDONLY|kernel.O_NONBLOCK)
	if err != nil {
		return err
	}
	buf := make([]byte, 100)
	n, err := t.Read(ctx, fd, buf)
	if err != nil {
		return fmt.Errorf("nb-reader: first read: %w", err)
	}
	s.tr.log(t.Name(), "opened scullpipe3 after the write; open kept the data (B9): read %d bytes %q", n, buf[:n])
	_, err = t.Read(ctx, fd, buf)
	if !errors.Is(err, syscall.EAGAIN) {
		return fmt.Errorf("nb-reader: second read returned %v, want EAGAIN", err)
	}
	s.tr.log(t.Name(), "read again: EAGAIN (nothing held, and O_NONBLOCK returns instead of sleeping)")
	return nil
}

// group: F_SETOWN with -pgid makes a whole process group the owner; both
// members get SIGIO (SPEC S4, A9).
func (s *story) group(ctx context.Context) error {
	s.tr.scene("5. a process group as owner: F_SETOWN -pgid")
	leader := s.k.NewTask("grp-leader", kernel.Cred{})
	member := s.k.NewTask("grp-member", kernel.Cred{})
	if err := member.Setpgid(leader.Pgid()); err != nil {
		return err
	}
	heard := make(chan struct{}, 2)
	for _, t := range []*kernel.Task{leader, member} {
		if _, err := t.Sigaction(kernel.SIGIO, s.handler(nil)); err != nil {
			return err
		}
	}
	fd, err := leader.Open(ctx, "scullpipe2", kernel.O_RDONLY|kernel.O_NONBLOCK)
	if err == nil {
		err = arm(leader, fd, -leader.Pgid(), 0)
	}
	if err != nil {
		return fmt.Errorf("grp-leader: %w", err)
	}
	s.tr.log(leader.Name(), "pid %d, grp-member pid %d, both in group %d: fd %d on scullpipe2, F_SETOWN -%d, FASYNC on",
		leader.Pid(), member.Pid(), leader.Pgid(), fd, leader.Pgid())
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	ldone := pauseLoop(lctx, leader, func() error {
		data, err := drain(lctx, leader, fd)
		s.tr.log(leader.Name(), "read %q", data)
		heard <- struct{}{}
		return err
	})
	mdone := pauseLoop(lctx, member, func() error {
		s.tr.log(member.Name(), "has no descriptor of its own; it was told because its group owns the file")
		heard <- struct{}{}
		return nil
	})
	if _, err := s.write(ctx, s.wa, "scullpipe2", []byte("to the whole group")); err != nil {
		return err
	}
	for range 2 {
		if _, err := recv(ctx, heard, "the group's members"); err != nil {
			return err
		}
	}
	return errors.Join(s.finish(ctx, stop, ldone, leader.Name()), s.finish(ctx, stop, mdone, member.Name()))
}

// blockedWriter: a writer fills scullpipe1, blocks on the full buffer, and
// is told POLL_OUT when a reader frees space; its SA_RESTART handler lets
// the interrupted write carry on (SPEC B4, B6, S3).
func (s *story) blockedWriter(ctx context.Context) error {
	s.tr.scene("6. a writer blocked on a full pipe hears POLL_OUT when a reader drains")
	t := s.k.NewTask("bulk-writer", kernel.Cred{})
	heard := make(chan struct{}, 1)
	act := s.handler(func(*kernel.SigInfo) { heard <- struct{}{} })
	act.Flags = kernel.SA_RESTART
	if _, err := t.Sigaction(kernel.SIGIO, act); err != nil {
		return err
	}
	fd, err := t.Open(ctx, "scullpipe1", kernel.O_WRONLY)
	if err == nil {
		// F_SETSIG SIGIO: still SIGIO, but now with descriptor and band.
		err = arm(t, fd, t.Pid(), kernel.SIGIO)
	}
	if err != nil {
		return fmt.Errorf("bulk-writer: %w", err)
	}
	s.tr.log(t.Name(), "pid %d: fd %d on scullpipe1, F_SETSIG SIGIO (to learn the band), FASYNC on", t.Pid(), fd)
	data := []byte(strings.Repeat("x", s.size+500))
	res := make(chan error, 1)
	go func() {
		for p := data; len(p) > 0; {
			start := time.Now()
			n, err := t.Write(ctx, fd, p)
			if err != nil {
				res <- err
				return
			}
			p = p[n:]
			s.tr.log(t.Name(), "write(%d bytes) returned %d after %s (%d left)", len(p)+n, n, since(start), len(p))
		}
		// The reader wakes the writer before it sends POLL_OUT, so the
		// write may finish first; the signal is then delivered at the
		// task's next safe point, which pause() provides.
		select {
		case <-heard:
			res <- nil
		default:
			if err := t.Pause(ctx); !errors.Is(err, syscall.EINTR) {
				res <- fmt.Errorf("bulk-writer: pause for POLL_OUT: %w", err)
				return
			}
			res <- nil
		}
	}()
	// Let the writer fill the buffer and fall asleep on it.
	time.Sleep(pace)
	r := s.k.NewTask("drainer", kernel.Cred{})
	rfd, err := r.Open(ctx, "scullpipe1", kernel.O_RDONLY)
	if err != nil {
		return err
	}
	n, err := r.Read(ctx, rfd, make([]byte, 1000))
	if err != nil {
		return err
	}
	s.tr.log(r.Name(), "read %d bytes from scullpipe1: space freed, writers woken, POLL_OUT sent", n)
	err, werr := recv(ctx, res, "the bulk writer")
	return errors.Join(err, werr)
}
