package devfs

import (
	"errors"
	"os"
	"strings"
	"syscall"
)

// Mounted reports whether dir is a mount point of this process's mount
// namespace, as /proc/self/mountinfo lists it. dir must be absolute and
// clean, as the kernel prints mount points. Callers use it to see whether
// a lazy unmount has finished or a stale mount was left behind.
func Mounted(dir string) (bool, error) {
	fstype, err := mountType(dir)
	return fstype != "", err
}

// Stale reports whether dir is the mount point of a devfs export whose
// server has gone: mountinfo lists it as fuse.fasync and stat(2) answers
// ENOTCONN, or ECONNABORTED (what an aborted io_uring connection
// answers). Unmount(dir, true) removes such a mount. dir must be
// absolute and clean.
func Stale(dir string) (bool, error) {
	if _, err := os.Stat(dir); !Disconnected(err) {
		return false, nil
	}
	fstype, err := mountType(dir)
	return fstype == "fuse.fasync", err
}

// Disconnected reports whether err says a FUSE connection has ended:
// ENOTCONN or ECONNABORTED.
func Disconnected(err error) bool {
	return errors.Is(err, syscall.ENOTCONN) || errors.Is(err, syscall.ECONNABORTED)
}

// mountType returns the file system type of the topmost mount on dir
// ("fuse.fasync"), or "" when dir is not a mount point.
func mountType(dir string) (string, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	fstype := ""
	for _, line := range strings.Split(string(b), "\n") {
		// Field 5 is the mount point; the type follows the "-"
		// separator after the optional fields (proc(5)).
		f := strings.Fields(line)
		if len(f) < 5 || f[4] != dir {
			continue
		}
		for i := 5; i+1 < len(f); i++ {
			if f[i] == "-" {
				fstype = f[i+1] // a later line is a mount on top
				break
			}
		}
	}
	return fstype, nil
}
