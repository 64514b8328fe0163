package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/fasync-go/fasync/devfs"
)

// staleWait bounds how long fasync mount waits for a fasync mount found
// on DIR to answer or fail.
const staleWait = 5 * time.Second

// prepareMountDir checks that dir can take a mount (SPEC U3, U5) and
// returns it as devfs.CheckMountDir does, or the exit status after saying
// why not: 2 for a directory devfs refuses, 1 when it could not look. A
// dead fasync mount on dir (its server died) is unmounted first, with a
// note on out.
func prepareMountDir(out io.Writer, dir string, nonempty bool) (string, int) {
	if dir != "" { // "" is refused below; it must not mean the current directory here either
		abs, err := filepath.Abs(dir)
		if err == nil {
			err = clearStaleMount(out, abs)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "fasync mount:", err)
			return "", 1
		}
	}
	abs, err := devfs.CheckMountDir(dir, nonempty)
	var refused *devfs.MountDirError
	switch {
	case errors.As(err, &refused) && devfs.Disconnected(refused.Err):
		// Not one of fasync's: clearStaleMount would have removed it.
		fmt.Fprintln(os.Stderr, "fasync mount:", err)
		return "", 1
	case errors.As(err, &refused):
		fmt.Fprintln(os.Stderr, "fasync mount:", err)
		return "", 2
	case err != nil:
		fmt.Fprintln(os.Stderr, "fasync mount:", err)
		return "", 1
	}
	return abs, 0
}

// clearStaleMount unmounts a dead fasync mount on dir (devfs.Stale), if
// there is one, and says so on out.
func clearStaleMount(out io.Writer, dir string) error {
	stale, err := devfs.Stale(dir, staleWait)
	if err != nil {
		return fmt.Errorf("%w; if its server is gone, remove it with\n\tfusermount3 -u -z %s", err, dir)
	}
	if !stale {
		return nil
	}
	// EINVAL: not mounted any more; fusermount3's auto_unmount, left
	// by the dead server, got there first.
	if err := devfs.Unmount(dir, true); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("%s holds a dead fasync mount, and unmounting it failed (%v): try\n\tfusermount3 -u -z %s", dir, err, dir)
	}
	fmt.Fprintf(out, "fasync mount: %s held a dead fasync mount (its server had died); unmounted it\n", dir)
	return nil
}
