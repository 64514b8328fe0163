package fuseraw

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
)

// enableURingParam is the fuse module's switch for FUSE over io_uring.
const enableURingParam = "/sys/module/fuse/parameters/enable_uring"

// uringSwitch counts the holders of EnableURing, so the last restore
// puts back what the first one found. Its mutex guards users and was,
// and is held for every read and write of the switch by this package.
var uringSwitch struct {
	sync.Mutex
	users int
	was   string
}

// EnableURing turns fuse.enable_uring on (root only) so that mounts made
// afterwards may use the URing transport, and returns the function that
// puts back what it found once every caller has called its own (tests and
// benchmarks use it; a service should leave the switch to the
// administrator). The error names the parameter when the kernel lacks it
// or it cannot be written.
func EnableURing() (restore func(), err error) {
	// The switch is read under the lock: read before it, a value could
	// be stale by the time the lock is held (the last holder's restore
	// ran in between), and the first holder would then record, and
	// later restore, the wrong one.
	uringSwitch.Lock()
	defer uringSwitch.Unlock()
	old, err := os.ReadFile(enableURingParam)
	if err != nil {
		return nil, fmt.Errorf("fuseraw: kernel without FUSE over io_uring (%s: %v): %w", enableURingParam, err, syscall.EOPNOTSUPP)
	}
	if uringSwitch.users == 0 {
		uringSwitch.was = strings.TrimSpace(string(old))
		if uringSwitch.was != "Y" {
			if err := os.WriteFile(enableURingParam, []byte("Y"), 0); err != nil {
				return nil, fmt.Errorf("fuseraw: cannot turn on fuse.enable_uring (%s, needs root): %w", enableURingParam, err)
			}
		}
	}
	uringSwitch.users++
	var once sync.Once
	return func() {
		once.Do(func() {
			uringSwitch.Lock()
			defer uringSwitch.Unlock()
			if uringSwitch.users--; uringSwitch.users == 0 && uringSwitch.was != "Y" {
				os.WriteFile(enableURingParam, []byte(uringSwitch.was), 0)
			}
		})
	}, nil
}

// URingEnabled reports whether fuse.enable_uring is on; the error names
// the parameter when the kernel lacks it.
func URingEnabled() (bool, error) {
	uringSwitch.Lock()
	defer uringSwitch.Unlock()
	v, err := os.ReadFile(enableURingParam)
	if err != nil {
		return false, fmt.Errorf("fuseraw: kernel without FUSE over io_uring (%s: %v): %w", enableURingParam, err, syscall.EOPNOTSUPP)
	}
	return strings.TrimSpace(string(v)) == "Y", nil
}
