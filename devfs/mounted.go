package devfs

import (
	"os"
	"strings"
)

// Mounted reports whether dir is a mount point of this process's mount
// namespace, as /proc/self/mountinfo lists it. dir must be absolute and
// clean, as the kernel prints mount points. Callers use it to see whether
// a lazy unmount has finished or a stale mount was left behind.
func Mounted(dir string) (bool, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		// Field 5 is the mount point (proc(5)).
		if f := strings.Fields(line); len(f) > 4 && f[4] == dir {
			return true, nil
		}
	}
	return false, nil
}
