package fuseraw

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrNoFUSE is wrapped by CheckHost's and Mount's error when this machine
// cannot mount FUSE file systems; the message names the missing piece.
var ErrNoFUSE = errors.New("fuseraw: FUSE unavailable")

// CheckHost reports nil when /dev/fuse and fusermount3 are present, else
// an error wrapping ErrNoFUSE that names what is missing.
func CheckHost() error {
	var missing []string
	if _, err := os.Stat("/dev/fuse"); err != nil {
		missing = append(missing, "/dev/fuse (modprobe fuse, or pass --device /dev/fuse to the container)")
	}
	if _, err := exec.LookPath("fusermount3"); err != nil {
		missing = append(missing, "fusermount3 (apt-get install fuse3)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %s", ErrNoFUSE, strings.Join(missing, " and "))
	}
	return nil
}

// MountOptions name the file system in /proc/self/mountinfo.
type MountOptions struct {
	FSName  string // the "device" column; default "fuseraw"
	Subtype string // shown as fuse.<Subtype>; default "fuseraw"
}

// mountFD asks fusermount3 to mount a FUSE file system on dir and returns
// the /dev/fuse descriptor of the new connection. fusermount3 opens
// /dev/fuse, mounts with fd=, rootmode= (from dir's type: 40000 for a
// directory), user_id= and group_id= (the caller's) and the options given
// here, and passes the descriptor back over the socket named by
// _FUSE_COMMFD as SCM_RIGHTS. default_permissions is not asked for: the
// server decides.
func mountFD(dir string, o MountOptions) (int, error) {
	if err := CheckHost(); err != nil {
		return -1, err
	}
	if o.FSName == "" {
		o.FSName = "fuseraw"
	}
	if o.Subtype == "" {
		o.Subtype = "fuseraw"
	}
	for _, s := range []string{o.FSName, o.Subtype} {
		if strings.ContainsAny(s, ",\\") {
			return -1, fmt.Errorf("fuseraw: mount option %q has a comma or backslash: %w", s, syscall.EINVAL)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return -1, err
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("fuseraw: socketpair: %w", err)
	}
	ours := fds[0]
	defer unix.Close(ours)
	theirs := os.NewFile(uintptr(fds[1]), "fusermount-comm")
	defer theirs.Close()

	var out bytes.Buffer
	cmd := exec.Command("fusermount3", "-o", "fsname="+o.FSName+",subtype="+o.Subtype, "--", abs)
	cmd.ExtraFiles = []*os.File{theirs} // descriptor 3 in the child
	cmd.Env = append(os.Environ(), "_FUSE_COMMFD=3")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return -1, fmt.Errorf("fuseraw: fusermount3 mount %s: %v: %s", abs, err, strings.TrimSpace(out.String()))
	}
	return recvFD(ours)
}

// recvFD receives one descriptor sent as SCM_RIGHTS on the socket s.
func recvFD(s int) (int, error) {
	buf := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		_, oobn, _, _, err := unix.Recvmsg(s, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, fmt.Errorf("fuseraw: receiving /dev/fuse from fusermount3: %w", err)
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) == 0 {
			return -1, fmt.Errorf("fuseraw: fusermount3 sent no descriptor: %w", syscall.EIO)
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) == 0 {
			return -1, fmt.Errorf("fuseraw: fusermount3 sent no descriptor: %w", syscall.EIO)
		}
		for _, extra := range fds[1:] {
			unix.Close(extra)
		}
		return fds[0], nil
	}
}

// Unmount runs fusermount3 -u on dir; with lazy, -z detaches the mount
// even while files are open (the connection ends when they close).
func Unmount(dir string, lazy bool) error {
	args := []string{"-u"}
	if lazy {
		args = append(args, "-z")
	}
	out, err := exec.Command("fusermount3", append(args, "--", dir)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("fuseraw: fusermount3 %s %s: %v: %s", strings.Join(args, " "), dir, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// connID is the kernel's number for the FUSE connection mounted on dir:
// the minor of the mount's device, as /sys/fs/fuse/connections names it.
// It is read from /proc/self/mountinfo: a stat(2) of dir would wait for
// the server's INIT answer.
func connID(dir string) (uint32, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return 0, err
	}
	info, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return 0, err
	}
	var id uint32
	for _, line := range strings.Split(string(info), "\n") {
		// 36 35 0:52 / /mnt rw,... - fuse.fuseraw fsname rw,...
		f := strings.Fields(line)
		if len(f) < 5 || f[4] != abs {
			continue
		}
		var major, minor uint32
		if n, _ := fmt.Sscanf(f[2], "%d:%d", &major, &minor); n == 2 {
			id = minor // the last mount on dir is the one on top
		}
	}
	if id == 0 {
		return 0, fmt.Errorf("fuseraw: %s not in /proc/self/mountinfo: %w", abs, syscall.ENOENT)
	}
	return id, nil
}

// abortConn writes to /sys/fs/fuse/connections/<id>/abort: the kernel
// fails every request of the connection and later ones with ENOTCONN.
func abortConn(id uint32) error {
	return os.WriteFile(fmt.Sprintf("/sys/fs/fuse/connections/%d/abort", id), []byte("1"), 0)
}
