package devfs

import (
	"fmt"
	"syscall"

	"github.com/fasync-go/fasync/internal/fuseraw"
)

// Transport says how FUSE requests travel between the kernel and devfs
// (Options.Transport).
type Transport int

const (
	// Auto uses FUSE over io_uring when the kernel offers it
	// (fuse.enable_uring=Y), else Classic; also Classic, logged with the
	// reason (Options.Logf), when the io_uring mount fails.
	Auto Transport = iota
	// URing is FUSE over io_uring (Linux 6.14+, CONFIG_FUSE_IO_URING,
	// fuse.enable_uring=Y): a ring per CPU, one io_uring_enter answers a
	// request and fetches the next. Mount fails when it is not offered.
	URing
	// Classic reads requests from /dev/fuse and writes the answers.
	Classic
)

// String names t as ParseTransport and fasync mount --transport spell it.
func (t Transport) String() string {
	switch t {
	case Auto:
		return "auto"
	case URing:
		return "uring"
	case Classic:
		return "classic"
	}
	return fmt.Sprintf("Transport(%d)", int(t))
}

// ParseTransport reads "auto", "uring" or "classic"; anything else is
// EINVAL.
func ParseTransport(s string) (Transport, error) {
	for _, t := range []Transport{Auto, URing, Classic} {
		if s == t.String() {
			return t, nil
		}
	}
	return Auto, fmt.Errorf("devfs: transport %q is not auto, uring or classic: %w", s, syscall.EINVAL)
}

// URingAvailable reports nil when the kernel offers FUSE over io_uring to
// a new mount, else an error saying what is missing and how to turn it
// on.
func URingAvailable() error { return fuseraw.URingAvailable() }

// EnableURing turns fuse.enable_uring on (root only) so that mounts made
// afterwards may use the URing transport, and returns the function that
// puts back what it found once every caller has called its own. It is
// for tests and benchmarks; a service leaves the switch to the
// administrator. The error names the parameter when the kernel lacks it
// or it cannot be written.
func EnableURing() (restore func(), err error) { return fuseraw.EnableURing() }

// resolve picks the transport a mount tries first: Auto becomes URing
// or Classic (mountOver falls back from URing); URing is checked now, so
// its error names the missing piece before anything is mounted.
func (t Transport) resolve() (fuseraw.Transport, error) {
	switch t {
	case Auto:
		if fuseraw.URingAvailable() == nil {
			return fuseraw.URing, nil
		}
		return fuseraw.Classic, nil
	case URing:
		if err := fuseraw.URingAvailable(); err != nil {
			return 0, fmt.Errorf("devfs: transport uring: %w", err)
		}
		return fuseraw.URing, nil
	case Classic:
		return fuseraw.Classic, nil
	}
	return 0, fmt.Errorf("devfs: unknown %v: %w", t, syscall.EINVAL)
}

// transportOf names a fuseraw transport as devfs does.
func transportOf(t fuseraw.Transport) Transport {
	if t == fuseraw.URing {
		return URing
	}
	return Classic
}

// URingEnabled reports whether fuse.enable_uring is on; the error names
// the parameter when the kernel lacks it.
func URingEnabled() (bool, error) { return fuseraw.URingEnabled() }
