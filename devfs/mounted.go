package devfs

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
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
// server has gone: mountinfo lists it as fuse.fasync, and stat(2) or a
// read of the directory answers ENOTCONN or ECONNABORTED (what an
// aborted io_uring connection answers). The read is needed in the moment
// after the server's death when the kernel has not yet ended the
// connection and stat still answers from its cache; it is bounded by
// patience, beyond which Stale reports an error wrapping ETIMEDOUT: the
// mount neither answers nor has failed. Unmount(dir, true) removes a
// stale mount. dir must be absolute and clean. Stale must not be called
// on a mount this process serves (see the package doc).
func Stale(dir string, patience time.Duration) (bool, error) {
	fstype, err := mountType(dir)
	if err != nil || fstype != "fuse.fasync" {
		return false, err
	}
	if _, err := os.Stat(dir); Disconnected(err) {
		return true, nil
	}
	read := make(chan error, 1)
	go func() {
		f, err := os.Open(dir)
		if err == nil {
			_, err = f.Readdirnames(1)
			f.Close()
		}
		read <- err
	}()
	select {
	case err := <-read:
		return Disconnected(err), nil
	case <-time.After(patience):
		return false, fmt.Errorf("devfs: %s: the fasync mount does not answer within %v: %w", dir, patience, syscall.ETIMEDOUT)
	}
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
