package devfs_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/testutil"
	"github.com/fasync-go/fasync/kernel"
)

// The ioctl client, built with gcc once per test binary.
var (
	ioctlClientOnce sync.Once
	ioctlClientPath string
	ioctlClientErr  error
)

// ioctlClient returns the path of testdata/ioctlclient.c built, skipping
// the test without gcc.
func ioctlClient(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("skipping: gcc not found (apt-get install gcc)")
	}
	ioctlClientOnce.Do(func() {
		dir, err := os.MkdirTemp("", "devfs-ioctlclient")
		if err != nil {
			ioctlClientErr = err
			return
		}
		ioctlClientPath = filepath.Join(dir, "ioctlclient")
		out, err := exec.Command("gcc", "-O2", "-Wall", "-o", ioctlClientPath, filepath.Join("testdata", "ioctlclient.c")).CombinedOutput()
		if err != nil {
			ioctlClientErr = fmt.Errorf("gcc ioctlclient.c: %v\n%s", err, out)
		}
	})
	if ioctlClientErr != nil {
		t.Fatal(ioctlClientErr)
	}
	return ioctlClientPath
}

// I3, I2, B1: a C program's ioctls reach scullpipe through FUSE_IOCTL:
// SCULL_P_IOCQSIZE returns the size, SCULL_P_IOCTSIZE changes it (EBUSY
// while data is held, EINVAL for a size below the minimum), unknown
// commands are ENOTTY. The commands the VFS answers for a regular file
// never reach the device: FIONREAD succeeds with the VFS's figure (the
// file size the kernel has seen minus the position, not the bytes held),
// FIOQSIZE reads 0, FIOASYNC is ENOTTY (FUSE has no fasync), FIOCLEX
// and FIONBIO change the client's own descriptor and file.
func TestIoctlScullOverFUSE(t *testing.T) {
	client := ioctlClient(t)
	want := strings.Join([]string{
		"qsize 4000", "tsize 0", "qsize 100", "write 5",
		"tsize-held EBUSY", "qsize 100", "tsize-bad EINVAL",
		"unknown ENOTTY", "unknown-magic ENOTTY", "unknown-ior ENOTTY",
		"fionread 0", "fioqsize 0", "fioqsize-value 0",
		"fioasync ENOTTY", "fioclex 0", "getfd 1", "fionbio 0", "nonblock 0",
		"read 5", "tsize 0", "qsize 200",
	}, "\n")
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		if got := run(t, client, "scull", e.dev(0)); got != want {
			t.Errorf("I3: ioctlclient scull printed\n%s\nwant\n%s", got, want)
		}
	})
}

// zdev is a device with commands of its own, magic 'z', that move data
// both ways (the numbers are ioctlclient.c's).
type zdev struct {
	mu       sync.Mutex
	val      int
	sleepers atomic.Int32
}

var (
	zQuery = kernel.IO('z', 1)
	zSet   = kernel.IOW('z', 2, 4)
	zGet   = kernel.IOR('z', 3, 4)
	zSwap  = kernel.IOWR('z', 4, 4)
	zSleep = kernel.IO('z', 5)
	zBig   = kernel.IOR('z', 7, 8192)
	zValue = kernel.IO('z', 8)
)

func (d *zdev) Ioctl(ctx context.Context, f *kernel.File, cmd uint, arg kernel.IoctlArg) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch cmd {
	case zQuery:
		return d.val, nil
	case zSet:
		v, err := arg.Int()
		d.val = v
		return 0, err
	case zGet:
		return 0, arg.PutInt(d.val)
	case zSwap:
		v, err := arg.Int()
		if err != nil {
			return 0, err
		}
		old := d.val
		d.val = v
		return 0, arg.PutInt(old)
	case zSleep:
		d.mu.Unlock()
		defer d.mu.Lock()
		d.sleepers.Add(1)
		defer d.sleepers.Add(-1)
		var q kernel.WaitQueue
		return 0, q.Wait(ctx, nil, func() bool { return false })
	case zBig:
		if len(arg.Mem) != 8192 {
			return 0, syscall.EFAULT
		}
		for i := range arg.Mem {
			arg.Mem[i] = byte(i)
		}
		return 0, nil
	case zValue:
		return int(arg.Value), nil
	}
	return 0, syscall.ENOTTY
}

// I3: _IOW input, _IOR output (4 bytes and 8 KiB), _IOWR both ways, an
// _IO command's value argument and a result all cross FUSE_IOCTL intact.
func TestIoctlDataOverFUSE(t *testing.T) {
	client := ioctlClient(t)
	want := strings.Join([]string{
		"set 0", "get 0", "get-value 1234", "swap 0", "swap-value 1234",
		"query 7", "big 0", "big-ok 1", "value 77", "unknown ENOTTY",
	}, "\n")
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountDriver(t, tr, "z0", &zdev{})
		if got := run(t, client, "rw", filepath.Join(e.Dir, "z0")); got != want {
			t.Errorf("I3: ioctlclient rw printed\n%s\nwant\n%s", got, want)
		}
	})
}

// I3, S3: an ioctl that sleeps in the driver is interrupted by a caught
// signal: the FUSE interrupt cancels the model call and the client's
// ioctl returns EINTR.
func TestIoctlInterruptOverFUSE(t *testing.T) {
	client := ioctlClient(t)
	const sysIoctl = 16 // x86-64
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		d := &zdev{}
		e := mountDriver(t, tr, "z0", d)
		p := start(t, client, "sleep", filepath.Join(e.Dir, "z0"))
		t.Cleanup(func() {
			// A client whose INTERRUPT was lost waits for an answer even
			// when killed: end the connection before cleanup waits for it.
			select {
			case <-p.done:
			default:
				e.M.Abort()
			}
		})
		p.expect("blocking")
		waitBlocked(t, p.pid(), sysIoctl)
		testutil.WaitFor(t, "the ioctl to sleep in the driver", func() bool { return d.sleepers.Load() == 1 })
		if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		p.expect("sleep EINTR")
		if err := p.wait(); err != nil {
			t.Errorf("ioctlclient sleep: %v", err)
		}
	})
}

// fionreadScript writes 11 bytes to the device, reads 5 back and prints
// FIONREAD's answer, then stats the file (the kernel fetches its
// attributes) and prints FIONREAD's answer again; 6 bytes are held
// throughout.
const fionreadScript = `
import fcntl, os, struct, sys, termios
def fionread(fd):
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NONBLOCK)
os.write(fd, b"hello world")
os.read(fd, 5)
print(fionread(fd), end=" ")
os.fstat(fd)
print(fionread(fd))
`

// I3: FIONREAD on an exported device is the VFS's answer for a regular
// file, i_size minus the position, never the bytes the device holds: the
// end of the last write since the kernel last fetched the attributes,
// and 0 once it has (what devfs's doc and the README say).
func TestFIONREADIsTheFileSize(t *testing.T) {
	py := python(t)
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		if got := run(t, py, "-c", fionreadScript, e.dev(0)); got != "11 0" {
			t.Errorf("I3: FIONREAD with 6 bytes held, after an 11-byte write and after fstat: %q, want \"11 0\"", got)
		}
	})
}
