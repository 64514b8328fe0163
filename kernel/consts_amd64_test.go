//go:build linux && amd64

package kernel

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestConstsMatchLinux checks that the constants sections I and K add
// have Linux's values on this architecture (SPEC I1, K2, A7).
func TestConstsMatchLinux(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"K2/O_DIRECT", O_DIRECT, unix.O_DIRECT},
		{"K2/O_NOATIME", O_NOATIME, unix.O_NOATIME},
		{"K2/O_NDELAY", O_NDELAY, unix.O_NDELAY},
		{"K2/F_DUPFD_CLOEXEC", F_DUPFD_CLOEXEC, unix.F_DUPFD_CLOEXEC},
		{"K2/F_DUPFD_QUERY", F_DUPFD_QUERY, unix.F_DUPFD_QUERY},
		{"K2/F_CREATED_QUERY", F_CREATED_QUERY, unix.F_CREATED_QUERY},
		{"K2/F_SETPIPE_SZ", F_SETPIPE_SZ, unix.F_SETPIPE_SZ},
		{"K2/F_GETPIPE_SZ", F_GETPIPE_SZ, unix.F_GETPIPE_SZ},
		{"I1/FIONREAD", FIONREAD, unix.TIOCINQ},
		{"A7/SIGILL", SIGILL, int(unix.SIGILL)},
		{"A7/SIGTRAP", SIGTRAP, int(unix.SIGTRAP)},
		{"A7/SIGBUS", SIGBUS, int(unix.SIGBUS)},
		{"A7/SIGFPE", SIGFPE, int(unix.SIGFPE)},
		{"A7/SIGSEGV", SIGSEGV, int(unix.SIGSEGV)},
		{"A7/SIGSYS", SIGSYS, int(unix.SIGSYS)},
		{"A7/SIGABRT", SIGABRT, int(unix.SIGABRT)},
		{"K1/SIGPIPE", SIGPIPE, int(unix.SIGPIPE)},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, Linux has %#x", c.name, c.got, c.want)
		}
	}
}
