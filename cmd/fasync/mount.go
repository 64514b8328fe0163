package main

// fasync mount: scullpipe devices of a model kernel, exported through FUSE
// to every process on the machine (SPEC R3, R4; package devfs).

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

func init() {
	register("mount", "export scullpipe devices to real processes through FUSE (fasync mount DIR)", runMount)
}

const mountUsage = `usage: fasync mount [--devices N] [--size BYTES] [--transport auto|uring|classic] [--sigio auto|on|off] DIR

Mounts scullpipe0 .. scullpipeN-1 and a read-only status file on DIR and
serves them in the foreground. cat, dd, shell redirection and programs using
poll, select or epoll work on them as on LDD3's /dev/scullpipe (blocking
reads, EAGAIN under O_NONBLOCK, Ctrl-C interrupts a blocked reader).
A process that owns one of these files (F_SETOWN, F_SETSIG, O_ASYNC) gets
the signal the device raises, as from LDD3's scullpipe: kernel FUSE has no
fasync, so fasync reads the owner from the client's own open file (this
needs root, or ptrace access to the clients) and queues the signal itself,
with si_code SI_QUEUE. --sigio auto serves without signals, saying why,
when it cannot; on makes that an error; off disables them.

SIGINT or SIGTERM unmounts; while files are still open the mount is detached
lazily and fasync exits when the last one closes (a second signal exits at
once, and clients still using the files get ECONNABORTED).

Requests travel over FUSE's io_uring transport (a ring per CPU; Linux 6.14+
with fuse.enable_uring=Y) or its classic /dev/fuse reads and writes;
--transport auto takes io_uring when the kernel offers it.

Needs /dev/fuse and fusermount3 (apt-get install fuse3).
`

func runMount(args []string) int {
	fl := flag.NewFlagSet("mount", flag.ContinueOnError)
	fl.Usage = func() {
		fmt.Fprint(fl.Output(), mountUsage, "\nflags:\n")
		fl.PrintDefaults()
	}
	devices := fl.Int("devices", scull.DefaultDevices, "number of scullpipe devices")
	size := fl.Int("size", scull.DefaultSize, "buffer size of each device in bytes (B1)")
	transport := fl.String("transport", "auto", "FUSE transport: auto (uring when fuse.enable_uring=Y, else classic), uring or classic")
	sigioMode := fl.String("sigio", "auto", "signals to the owners of client files: auto (when this process may read its clients' descriptors), on or off")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return 2
	}
	if *devices < 1 {
		fmt.Fprintln(os.Stderr, "fasync mount: --devices must be at least 1")
		return 2
	}
	tr, err := devfs.ParseTransport(*transport)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fasync mount: --transport:", err)
		return 2
	}
	sio, err := devfs.ParseSigio(*sigioMode)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fasync mount: --sigio:", err)
		return 2
	}
	if err := devfs.CheckHost(); err != nil {
		fmt.Fprintln(os.Stderr, "fasync mount: cannot mount:", err)
		return 1
	}
	return serveMount(os.Stdout, fl.Arg(0), scull.Config{Devices: *devices, Size: *size}, tr, sio)
}

// serveMount mounts the devices on dir over transport tr and serves them
// until a signal or an outside unmount; it returns the exit status.
func serveMount(out io.Writer, dir string, cfg scull.Config, tr devfs.Transport, sio devfs.Sigio) int {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	pipes, err := scull.Register(k, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fasync mount: %d devices of %d bytes: %v\n", cfg.Devices, cfg.Size, err)
		return 2
	}
	fsys := devfs.New(k, devfs.Options{Status: func() []byte { return []byte(pipes.StatusText()) }, Transport: tr, Sigio: sio,
		Logf: func(format string, args ...any) { fmt.Fprintf(os.Stderr, "fasync mount: "+format+"\n", args...) }})

	// Signals are caught before mounting so none can slip between the
	// mount and the wait.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	m, err := fsys.Mount(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fasync mount:", err)
		return 1
	}
	names := pipes.Names()
	signals := "no signals to owners"
	if m.Sigio() {
		signals = "signals to owners"
	}
	fmt.Fprintf(out, "fasync mount: serving %s .. %s (%d bytes each) and status on %s over the %s transport, %s; SIGINT or SIGTERM unmounts\n",
		names[0], names[len(names)-1], pipes.Pipe(0).Size(), dir, transportName(m.Transport()), signals)

	select {
	case <-m.Done():
		fmt.Fprintf(out, "fasync mount: %s was unmounted from outside\n", dir)
		return exitStatus(m.Err(), m.Close())
	case sig := <-sigs:
		fmt.Fprintf(out, "fasync mount: %v: unmounting %s\n", sig, dir)
	}
	return stopMount(out, m, sigs)
}

// stopMount unmounts (R4): at once when no file is open, otherwise lazily,
// waiting for the last close unless a second signal says stop now.
func stopMount(out io.Writer, m *devfs.Mount, sigs <-chan os.Signal) int {
	err := m.Unmount(false)
	if errors.Is(err, syscall.EBUSY) {
		if err = m.Unmount(true); err == nil {
			fmt.Fprintf(out, "fasync mount: files are still open: detached %s lazily; exiting when the last one is closed (signal again to stop now)\n", m.Dir)
		}
	}
	if err != nil && !errors.Is(err, syscall.EINVAL) { // EINVAL: already unmounted from outside
		fmt.Fprintln(os.Stderr, "fasync mount:", err)
		return 1
	}
	select {
	case <-m.Done():
		return exitStatus(m.Err(), m.Close())
	case sig := <-sigs:
		// Exiting closes /dev/fuse: the kernel aborts the connection
		// and clients still using the files get ECONNABORTED.
		fmt.Fprintf(out, "fasync mount: %v again: stopping with files still open\n", sig)
		return 1
	}
}

func exitStatus(serveErr, closeErr error) int {
	if err := errors.Join(serveErr, closeErr); err != nil {
		fmt.Fprintln(os.Stderr, "fasync mount:", err)
		return 1
	}
	return 0
}

// transportName says which transport a mount uses, as people call it.
func transportName(t devfs.Transport) string {
	if t == devfs.URing {
		return "io_uring"
	}
	return "classic /dev/fuse"
}
