package main

// fasync mount: scullpipe devices of a model kernel, exported through FUSE
// to real processes (SPEC R3, R4, U3, U4; package devfs).

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/cli"
	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

func init() {
	register("mount", "export scullpipe devices to real processes through FUSE (fasync mount DIR)", runMount)
}

// maxDevices bounds --devices: scull's own limit. Lookup of a name costs
// the same at any count; the status file and a listing grow with it.
const maxDevices = scull.MaxDevices

const mountAbout = `Mounts scullpipe0 .. scullpipeN-1 and a read-only status file on DIR, an
existing empty directory (never /, nor under /proc, /sys or /dev, which the
server itself uses), and serves them in the foreground. cat, dd, shell
redirection and programs using poll, select or epoll work on them as on
LDD3's /dev/scullpipe (blocking reads, EAGAIN under O_NONBLOCK, Ctrl-C
interrupts a blocked reader). A process that owns one of these files
(F_SETOWN, F_SETSIG, O_ASYNC) gets the signal the device raises, as from
LDD3's scullpipe: kernel FUSE has no fasync, so fasync reads the owner from
the client's own open file (this needs root, or ptrace access to the
clients) and queues the signal itself, with si_code SI_SIGIO. --sigio auto
serves without signals, saying why, when it cannot; on makes that an error;
off disables them.

Who can open the files: by default only processes running as the user who
mounted them; the kernel refuses every other process (root's too, when
another user mounted) whatever the modes show. With --allow-other every
user's processes can, and the kernel enforces the modes: the devices are
rw-rw-rw- (anyone may read and write them), status r--r--r--. Root may
always use --allow-other; other users need user_allow_other in
/etc/fuse.conf.

SIGINT or SIGTERM unmounts; while files are still open the mount is detached
lazily and fasync exits when the last one closes (a second signal exits at
once, and clients still using the files get ECONNABORTED). If fasync dies,
fusermount3, which stays running beside it, unmounts DIR when the kernel
reports the connection closed (ENOTCONN; a dead io_uring connection reports
ECONNABORTED, and fusermount3 leaves that mount). A dead fasync mount found
on DIR ("Transport endpoint is not connected") is unmounted first.

Requests travel over FUSE's io_uring transport (a ring per CPU; Linux 6.14+
with fuse.enable_uring=Y) or its classic /dev/fuse reads and writes;
--transport auto takes io_uring when the kernel offers it.

Needs /dev/fuse and fusermount3 (apt-get install fuse3).`

// A mountConfig is what fasync mount was asked to serve, and how.
type mountConfig struct {
	dir   string
	scull scull.Config
	devfs devfs.Options // Status is filled in by serveMount
	mount devfs.MountOptions
}

func runMount(args []string) int {
	fl := cli.NewFlagSet("mount", "fasync mount [--devices N] [--size BYTES] [--transport auto|uring|classic] [--sigio auto|on|off] [--allow-other] [--nonempty] DIR", mountAbout)
	devices := fl.Int("devices", scull.DefaultDevices, fmt.Sprintf("`N` scullpipe devices, 1 to %d", maxDevices))
	size := cli.SizeFlag(fl.FlagSet, "size", scull.DefaultSize, scull.MinSize, scull.MaxSize, "buffer size of each device (B1)")
	transport := fl.String("transport", "auto", "FUSE transport, `auto|uring|classic`: auto takes uring when fuse.enable_uring=Y, else classic")
	allowOther := fl.Bool("allow-other", false, "let every user's processes open the files, the kernel enforcing their modes (allow_other,default_permissions)")
	nonempty := fl.Bool("nonempty", false, "mount even if DIR has entries (they are hidden until the unmount)")
	sigioMode := fl.String("sigio", "auto", "signals to the owners of client files, `auto|on|off`: auto sends them when this process may read its clients' descriptors")
	pos, status, ok := fl.Parse(args, 1, 1)
	if !ok {
		return status
	}
	if *devices < 1 || *devices > maxDevices {
		fmt.Fprintf(os.Stderr, "fasync mount: --devices %d: want 1 to %d\n", *devices, maxDevices)
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
	dir, status := prepareMountDir(os.Stdout, pos[0], *nonempty)
	if status != 0 {
		return status
	}
	return serveMount(os.Stdout, mountConfig{
		dir:   dir,
		scull: scull.Config{Devices: *devices, Size: int(*size)},
		devfs: devfs.Options{Transport: tr, Sigio: sio},
		mount: devfs.MountOptions{AllowOther: *allowOther, AutoUnmount: true, NonEmpty: *nonempty},
	})
}

// serveMount mounts the devices mc asks for and serves them until a
// signal or an outside unmount; it returns the exit status.
func serveMount(out io.Writer, mc mountConfig) int {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	pipes, err := scull.Register(k, mc.scull)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fasync mount: %d devices of %d bytes: %v\n", mc.scull.Devices, mc.scull.Size, err)
		return 1
	}
	mc.devfs.Status = pipes.AppendStatus
	mc.devfs.Logf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, "fasync mount: "+format+"\n", args...) }
	fsys := devfs.New(k, mc.devfs)
	dir := mc.dir

	// A closed stdout must not kill the server before it unmounts
	// (SPEC U6): with SIGPIPE ignored a write there fails with EPIPE.
	signal.Ignore(syscall.SIGPIPE)
	// Signals are caught before mounting so none can slip between the
	// mount and the wait.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	m, err := fsys.MountWith(dir, mc.mount)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fasync mount:", err)
		return 1
	}
	names := pipes.Names()
	signals := "no signals to owners"
	if m.Sigio() {
		signals = "signals to owners"
	}
	fmt.Fprintf(out, "fasync mount: serving %s .. %s (%d bytes each) and status on %s over the %s transport, for %s, %s; SIGINT or SIGTERM unmounts\n",
		names[0], names[len(names)-1], pipes.Pipe(0).Size(), dir, transportName(m.Transport()), audience(mc.mount.AllowOther), signals)

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

// audience says whose processes may open the files of a mount.
func audience(allowOther bool) string {
	if allowOther {
		return "every user (modes enforced)"
	}
	return fmt.Sprintf("processes running as uid %d only", os.Getuid())
}
