package devfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// A MountDirError says why a directory cannot take a mount (SPEC U5). Err
// is the errno that says it in Linux's words: ENOENT (an empty or missing
// path), ENOTDIR (not a directory), ENOTEMPTY (entries the mount would
// hide), EBUSY (already a mount point), EPERM (a directory the server
// itself needs: /, /proc, /sys, /dev and what lies beneath them) or
// ENOTCONN and ECONNABORTED (a FUSE mount whose server has gone).
type MountDirError struct {
	Dir string // the directory as the caller named it
	Why string // what is wrong with it, and what to do instead
	Err error  // a syscall.Errno
}

func (e *MountDirError) Error() string {
	return fmt.Sprintf("devfs: cannot mount on %q: %s", e.Dir, e.Why)
}

func (e *MountDirError) Unwrap() error { return e.Err }

// systemDirs are the directories under which no mount may go: the server
// reads /proc (the signal bridge), /dev/fuse and /sys/fs/fuse/connections
// (Abort), and a FUSE file system mounted over one of them makes the
// server wait on itself: the mount is then dead for every process on the
// machine. "/" hides them all.
var systemDirs = []string{"/proc", "/sys", "/dev"}

// CheckMountDir reports whether dir can take a mount (SPEC U5), the rule
// Mount and MountWith apply and fasync mount applies before it starts,
// and returns dir absolute, clean and with symbolic links resolved, as
// the kernel names mount points. dir must be an existing directory,
// empty and not itself a mount point, unless nonEmpty allows a mount that
// hides what is there until the unmount; it must not be /, nor /proc,
// /sys, /dev or anything beneath them, whatever nonEmpty says. A refusal
// is a *MountDirError; a failure to look (EACCES, say) is returned as it
// came.
func CheckMountDir(dir string, nonEmpty bool) (string, error) {
	refuse := func(errno syscall.Errno, format string, args ...any) error {
		return &MountDirError{Dir: dir, Why: fmt.Sprintf(format, args...), Err: errno}
	}
	if dir == "" {
		return "", refuse(syscall.ENOENT, "the path is empty (it would mean the current directory): name the mount point")
	}
	abs, err := filepath.Abs(dir)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return "", mountDirStatError(dir, err)
	}
	if abs == "/" {
		return "", refuse(syscall.EPERM, "a mount on / would hide every file of the machine, /proc and /dev/fuse among them, which the server needs")
	}
	for _, sys := range systemDirs {
		where := "it lies under " + sys
		if abs == sys {
			where = "it is " + sys
		}
		if abs == sys || strings.HasPrefix(abs, sys+"/") {
			return "", refuse(syscall.EPERM, "%s, which the server itself reads: a mount there makes it wait on itself and leaves a dead mount for every process", where)
		}
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", mountDirStatError(dir, err)
	}
	if !fi.IsDir() {
		return "", refuse(syscall.ENOTDIR, "not a directory: FUSE mounts these devices on a directory")
	}
	if nonEmpty {
		return abs, nil
	}
	if mounted, _ := Mounted(abs); mounted {
		return "", refuse(syscall.EBUSY, "already a mount point: unmount it first (fusermount3 -u %s), or mount on top with MountOptions.NonEmpty (fasync mount --nonempty)", abs)
	}
	return abs, checkEmpty(dir, abs)
}

// mountDirStatError turns the error of looking dir up into the refusal
// it stands for, or returns it as it came.
func mountDirStatError(dir string, err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err
	}
	switch {
	case errno == syscall.ENOENT:
		return &MountDirError{Dir: dir, Why: "no such directory: the mount point must exist", Err: errno}
	case errno == syscall.ENOTDIR:
		return &MountDirError{Dir: dir, Why: "a component of the path is not a directory", Err: errno}
	case Disconnected(errno):
		return &MountDirError{Dir: dir, Why: fmt.Sprintf("a FUSE mount whose server has gone (%v): remove it with fusermount3 -u -z %s", errno, dir), Err: errno}
	}
	return err
}

// checkEmpty refuses a directory with entries, naming the first few.
func checkEmpty(dir, abs string) error {
	f, err := os.Open(abs)
	if err != nil {
		return err
	}
	names, err := f.Readdirnames(4)
	f.Close()
	if err != nil && err != io.EOF {
		return err
	}
	if len(names) == 0 {
		return nil
	}
	if len(names) == 4 {
		names[3] = "..."
	}
	return &MountDirError{Dir: dir, Err: syscall.ENOTEMPTY,
		Why: fmt.Sprintf("not empty (%s): the mount would hide what is there until it is unmounted; use an empty directory, or mount over it with MountOptions.NonEmpty (fasync mount --nonempty)", strings.Join(names, " "))}
}
