package sigio

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/linux"
)

// deadline bounds every wait in these tests; reaching it is a failure, never
// a reason to carry on.
const deadline = 10 * time.Second

func newWatcher(t testing.TB, opts *Options) *Watcher {
	t.Helper()
	w, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return w
}

func closeFd(t testing.TB, fd int) {
	t.Cleanup(func() { unix.Close(fd) })
}

// pipe returns a non-blocking pipe closed at the end of the test.
func pipe(t testing.TB) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatalf("pipe2: %v", err)
	}
	closeFd(t, p[0])
	closeFd(t, p[1])
	return p[0], p[1]
}

func socketpair(t testing.TB, typ int) (a, b int) {
	t.Helper()
	p, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	closeFd(t, p[0])
	closeFd(t, p[1])
	return p[0], p[1]
}

// openPty opens a pseudo-terminal pair the way posix_openpt, unlockpt and
// ptsname do, with the slave in raw mode so bytes pass unchanged and
// nothing is echoed.
func openPty(t testing.TB) (master, slave int) {
	t.Helper()
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: open /dev/ptmx: %v", err)
	}
	closeFd(t, m)
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetUint32(m, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	s, err := unix.Open(fmt.Sprintf("/dev/pts/%d", n), unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open slave: %v", err)
	}
	closeFd(t, s)
	tio, err := unix.IoctlGetTermios(s, unix.TCGETS)
	if err != nil {
		t.Fatalf("TCGETS: %v", err)
	}
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	tio.Cflag = tio.Cflag&^(unix.CSIZE|unix.PARENB) | unix.CS8
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(s, unix.TCSETS, tio); err != nil {
		t.Fatalf("TCSETS: %v", err)
	}
	return m, s
}

func write(t testing.TB, fd int, p []byte) {
	t.Helper()
	if n, err := unix.Write(fd, p); err != nil || n != len(p) {
		t.Fatalf("write fd %d: %d, %v", fd, n, err)
	}
}

// fill writes into fd until the kernel says EAGAIN.
func fill(t testing.TB, fd int) {
	t.Helper()
	buf := make([]byte, 4096)
	for {
		_, err := unix.Write(fd, buf)
		if err == unix.EAGAIN {
			return
		}
		if err != nil {
			t.Fatalf("fill fd %d: %v", fd, err)
		}
	}
}

// drain reads fd until EAGAIN or end of file and returns the byte count.
func drain(t testing.TB, fd int) int {
	t.Helper()
	buf := make([]byte, 64<<10)
	total := 0
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EAGAIN || n == 0 {
			return total
		}
		if err != nil {
			t.Fatalf("drain fd %d: %v", fd, err)
		}
		total += n
	}
}

// nextSignalled returns the next event for fd that a signal carried,
// skipping Polled events and events for other descriptors.
func nextSignalled(t testing.TB, ch <-chan Event, fd int) Event {
	t.Helper()
	return await(t, ch, func(e Event) bool { return e.Fd == fd && !e.Polled && !e.Resync },
		fmt.Sprintf("a signalled event for fd %d", fd))
}

// await returns the first event on ch that match accepts, failing the test
// if none arrives within the deadline or ch closes.
func await(t testing.TB, ch <-chan Event, match func(Event) bool, what string) Event {
	t.Helper()
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	var skipped []Event
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("events closed while waiting for %s (skipped %v)", what, skipped)
			}
			if match(e) {
				return e
			}
			skipped = append(skipped, e)
		case <-timer.C:
			t.Fatalf("no %s within %v (skipped %v)", what, deadline, skipped)
		}
	}
}

// fdState is everything arming may change on a descriptor.
type fdState struct {
	flags int
	sig   int
	owner linux.FOwnerEx
}

func stateOf(t testing.TB, fd int) fdState {
	t.Helper()
	var s fdState
	var err error
	if s.flags, err = unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err != nil {
		t.Fatalf("F_GETFL fd %d: %v", fd, err)
	}
	if s.sig, err = unix.FcntlInt(uintptr(fd), unix.F_GETSIG, 0); err != nil {
		t.Fatalf("F_GETSIG fd %d: %v", fd, err)
	}
	if s.owner, err = linux.GetOwnEx(fd); err != nil {
		t.Fatalf("F_GETOWN_EX fd %d: %v", fd, err)
	}
	return s
}
