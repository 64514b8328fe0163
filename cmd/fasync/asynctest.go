// fasync asynctest: LDD3's asynctest on the real kernel (SPEC B11, R1, R2).
//
// Standard input (or FILE) is made signal-driven with a sigio.Watcher:
// O_ASYNC is set on it (visible in /proc/PID/fdinfo), its owner is the
// watcher's thread and it raises a real-time signal carrying descriptor and
// band. Input is read only in answer to a notification, and each one drains
// everything available (non-blocking reads until EAGAIN), where LDD3's
// version reads at most 4096 bytes per SIGIO and leaves the rest waiting for
// the next one. Data already waiting when the descriptor is armed raises no
// signal; the watcher's readiness check right after arming (a Polled event)
// is the notification for it.
//
// On a device exported by `fasync mount`, which is a FUSE file and never
// shows O_ASYNC, the export's signal bridge sends the signals (SPEC F7):
// `fasync asynctest < MOUNT/scullpipe0` works as on a pipe.
//
// As in LDD3, end of input does not stop the program, since more may come
// (a FIFO can be reopened, a terminal typed into); --exit-on-eof changes
// that. Ctrl-C (SIGINT) or SIGTERM exit 0, after the descriptor's flags,
// owner and signal are restored.
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/fasync-go/fasync/internal/cli"
	"github.com/fasync-go/fasync/sigio"
	"golang.org/x/sys/unix"
)

func init() {
	register("asynctest", "LDD3's asynctest on the real kernel: copy signal-driven input to stdout", runAsynctest)
}

// asynctest is one run of the command.
type asynctest struct {
	in, out   int    // descriptors: the signal-driven input, the output
	name      string // of the input, for messages
	exitOnEOF bool
	verbose   io.Writer // notifications and end of input are reported here, or nil
	stderr    io.Writer
	buf       []byte
}

func runAsynctest(args []string) int {
	fs := cli.NewFlagSet("asynctest", "fasync asynctest [--exit-on-eof] [--signal N] [-v] [FILE]",
		"Copies standard input (or FILE: a FIFO, tty, socket ...) to standard output,\n"+
			"reading only when the kernel signals that input is available.")
	exitOnEOF := fs.Bool("exit-on-eof", false, "exit at end of input (by default keep waiting, as LDD3's asynctest does)")
	sig := fs.Int("signal", 0, fmt.Sprintf("the real-time signal `N`, %d..%d, the input raises (default %d, or the next free)", sigio.MinSignal, sigio.MaxSignal, sigio.DefaultSignal))
	verbose := fs.Bool("v", false, "report each notification and end of input on standard error")
	files, status, ok := fs.Parse(args, 0, 1)
	if !ok {
		return status
	}
	a := &asynctest{in: 0, out: 1, name: "standard input", exitOnEOF: *exitOnEOF, stderr: os.Stderr, buf: make([]byte, 64<<10)}
	if *verbose {
		a.verbose = os.Stderr
	}
	if len(files) == 1 {
		// O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
		fd, err := unix.Open(files[0], unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if err != nil {
			fmt.Fprintf(os.Stderr, "fasync asynctest: %s: %v\n", files[0], err)
			return 1
		}
		defer unix.Close(fd)
		a.in, a.name = fd, files[0]
	}
	return a.run(*sig)
}

// run arms the input and copies on every notification until told to stop.
func (a *asynctest) run(sig int) int {
	restore, err := setNonblock(a.in)
	if err != nil {
		return a.fail(err)
	}
	defer restore()
	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(interrupt)

	w, err := sigio.New(&sigio.Options{Signal: sig})
	if err != nil {
		return a.fail(err)
	}
	defer w.Close() // runs before restore: O_ASYNC, owner and signal first
	if err := w.Watch(a.in); err != nil {
		return a.fail(err)
	}
	a.logf("asynctest: %s (fd %d) is signal-driven: signal %d to thread %d", a.name, a.in, w.Signal(), w.OwnerTID())
	for {
		select {
		case ev := <-w.Events():
			if !ev.Resync && ev.Band == sigio.POLL_OUT {
				// Room to write (a socket or tty, or the readiness
				// check on one): nothing for a reader.
				continue
			}
			n, eof, err := a.drain()
			a.logf("asynctest: notification %v: %d bytes", ev, n)
			if err != nil {
				return a.fail(err)
			}
			if eof {
				if a.exitOnEOF {
					a.logf("asynctest: end of input; exiting (--exit-on-eof)")
					return 0
				}
				a.logf("asynctest: end of input; still running (Ctrl-C to quit)")
			}
		case <-interrupt:
			return 0
		}
	}
}

// drain copies everything the input holds to the output: non-blocking
// reads until EAGAIN or end of input. It reports the bytes copied and
// whether end of input was reached.
func (a *asynctest) drain() (n int, eof bool, err error) {
	for {
		m, err := unix.Read(a.in, a.buf)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return n, false, nil
		case err != nil:
			return n, false, fmt.Errorf("read: %w", err)
		case m == 0:
			return n, true, nil
		}
		if err := writeAll(a.out, a.buf[:m]); err != nil {
			return n, false, err
		}
		n += m
	}
}

// writeAll writes p to fd, waiting in poll(2) whenever fd says EAGAIN: the
// output may share its open file (and so O_NONBLOCK) with the input, as a
// terminal's standard input and output usually do.
func writeAll(fd int, p []byte) error {
	for len(p) > 0 {
		m, err := unix.Write(fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
			if _, err := unix.Poll(pfd, -1); err != nil && err != unix.EINTR {
				return fmt.Errorf("poll: %w", err)
			}
			continue
		case err != nil:
			return fmt.Errorf("write: %w", err)
		}
		p = p[m:]
	}
	return nil
}

// setNonblock sets O_NONBLOCK on fd and returns the function that puts the
// bit back as it was (the open file may be shared with the shell).
func setNonblock(fd int) (restore func(), err error) {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return nil, fmt.Errorf("F_GETFL: %w", err)
	}
	if fl&unix.O_NONBLOCK != 0 {
		return func() {}, nil
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl|unix.O_NONBLOCK); err != nil {
		return nil, fmt.Errorf("F_SETFL O_NONBLOCK: %w", err)
	}
	return func() {
		if cur, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err == nil {
			unix.FcntlInt(uintptr(fd), unix.F_SETFL, cur&^unix.O_NONBLOCK)
		}
	}, nil
}

func (a *asynctest) fail(err error) int {
	fmt.Fprintf(a.stderr, "fasync asynctest: %s: %v\n", a.name, err)
	return 1
}

func (a *asynctest) logf(format string, args ...any) {
	if a.verbose != nil {
		fmt.Fprintf(a.verbose, format+"\n", args...)
	}
}
