package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fasync-go/fasync/devfs"
)

// staleWait bounds how long fasync mount waits for a fasync mount found
// on DIR to answer or fail.
const staleWait = 5 * time.Second

// prepareMountDir checks that dir can take a mount (SPEC U3) and returns
// it absolute and clean, or the exit status after saying why not: dir
// must be an existing directory, empty unless nonempty is set; a dead
// fasync mount on it (its server died) is unmounted, with a note on out.
func prepareMountDir(out io.Writer, dir string, nonempty bool) (string, int) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fasync mount:", err)
		return "", 1
	}
	if err := clearStaleMount(out, abs); err != nil {
		fmt.Fprintln(os.Stderr, "fasync mount:", err)
		return "", 1
	}
	fi, err := os.Stat(abs)
	if devfs.Disconnected(err) {
		fmt.Fprintf(os.Stderr, "fasync mount: %s is a FUSE mount whose server has gone (%v), and not one of fasync's: remove it with\n\tfusermount3 -u -z %s\n", dir, err, abs)
		return "", 1
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "fasync mount: %v (DIR must be an existing directory)\n", err)
		return "", 2
	}
	if !fi.IsDir() {
		fmt.Fprintf(os.Stderr, "fasync mount: %s is not a directory: FUSE mounts these devices on a directory\n", dir)
		return "", 2
	}
	if nonempty {
		return abs, 0
	}
	if mounted, _ := devfs.Mounted(abs); mounted {
		fmt.Fprintf(os.Stderr, "fasync mount: %s is already a mount point; unmount it first (fusermount3 -u %s), or pass --nonempty to mount on top\n", dir, abs)
		return "", 2
	}
	f, err := os.Open(abs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fasync mount:", err)
		return "", 1
	}
	names, err := f.Readdirnames(4)
	f.Close()
	if err != nil && err != io.EOF {
		fmt.Fprintln(os.Stderr, "fasync mount:", err)
		return "", 1
	}
	if len(names) > 0 {
		if len(names) == 4 {
			names[3] = "..."
		}
		fmt.Fprintf(os.Stderr, "fasync mount: %s is not empty (%s): the mount would hide what is there until it is unmounted; use an empty directory, or pass --nonempty to mount over it\n",
			dir, strings.Join(names, " "))
		return "", 2
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
