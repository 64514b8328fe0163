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

// ErrNoFUSE is wrapped by CheckHost's error when this machine cannot
// mount FUSE file systems; the message names the missing piece. devfs
// exports it as devfs.ErrNoFUSE.
var ErrNoFUSE = errors.New("FUSE unavailable")

// CheckHost reports nil when /dev/fuse and fusermount3 are present, else
// an error wrapping ErrNoFUSE that names what is missing and how to get
// it. Mount does not check again: its callers check first (devfs.Mount
// does).
func CheckHost() error { return checkHost("/dev/fuse", exec.LookPath) }

// checkHost is CheckHost with the device path and the program lookup as
// parameters, so tests can take either away.
func checkHost(dev string, lookPath func(string) (string, error)) error {
	var missing []string
	if _, err := os.Stat(dev); err != nil {
		missing = append(missing, dev+" (the kernel's FUSE device: modprobe fuse, or pass --device /dev/fuse to the container)")
	}
	if _, err := lookPath("fusermount3"); err != nil {
		missing = append(missing, "fusermount3 (apt-get install fuse3)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %s", ErrNoFUSE, strings.Join(missing, " and "))
	}
	return nil
}

// MountOptions name the file system in /proc/self/mountinfo and say who
// may use it and what happens when the server dies.
type MountOptions struct {
	FSName  string // the "device" column; default "fuseraw"
	Subtype string // shown as fuse.<Subtype>; default "fuseraw"
	// AllowOther lets every user's processes use the file system
	// (allow_other), with the kernel checking the modes the server
	// reports (default_permissions). Without it the kernel lets in only
	// processes running as the mounting user (uid and gid) and checks no
	// mode. fusermount3 grants allow_other to root, and to other users
	// only when /etc/fuse.conf says user_allow_other.
	AllowOther bool
	// AutoUnmount keeps fusermount3 running as a monitor
	// (auto_unmount): it holds its end of the socket the descriptor came
	// over, and when that closes without an unmount (the server process
	// died) and the mount answers ENOTCONN, it detaches it. The server
	// releases the monitor in Close.
	AutoUnmount bool
}

// options is o as fusermount3's -o argument.
func (o MountOptions) options() string {
	opts := "fsname=" + o.FSName + ",subtype=" + o.Subtype
	if o.AllowOther {
		opts += ",allow_other,default_permissions"
	}
	if o.AutoUnmount {
		opts += ",auto_unmount"
	}
	return opts
}

// A monitor is a fusermount3 kept running by auto_unmount, and our end of
// the socket it watches.
type monitor struct {
	cmd  *exec.Cmd
	sock int
}

// stop closes the monitor's socket and waits for fusermount3 to exit: it
// finds the file system unmounted and leaves, or finds it dead
// (ENOTCONN) and detaches it. m may be nil.
func (m *monitor) stop() {
	if m == nil {
		return
	}
	unix.Close(m.sock)
	m.cmd.Wait()
}

// mountFD asks fusermount3 to mount a FUSE file system on dir and returns
// the /dev/fuse descriptor of the new connection, with the monitor when o
// asks for AutoUnmount. fusermount3 opens /dev/fuse, mounts with fd=,
// rootmode= (from dir's type: 40000 for a directory), user_id= and
// group_id= (the caller's) and the options o gives, and passes the
// descriptor back over the socket named by _FUSE_COMMFD as SCM_RIGHTS.
// default_permissions comes only with AllowOther: otherwise the server
// decides.
func mountFD(dir string, o MountOptions) (int, *monitor, error) {
	if o.FSName == "" {
		o.FSName = "fuseraw"
	}
	if o.Subtype == "" {
		o.Subtype = "fuseraw"
	}
	for _, s := range []string{o.FSName, o.Subtype} {
		if strings.ContainsAny(s, ",\\") {
			return -1, nil, fmt.Errorf("fuseraw: mount option %q has a comma or backslash: %w", s, syscall.EINVAL)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return -1, nil, err
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, nil, fmt.Errorf("fuseraw: socketpair: %w", err)
	}
	ours := fds[0]
	theirs := os.NewFile(uintptr(fds[1]), "fusermount-comm")

	var out bytes.Buffer
	cmd := exec.Command("fusermount3", "-o", o.options(), "--", abs)
	cmd.ExtraFiles = []*os.File{theirs} // descriptor 3 in the child
	cmd.Env = append(os.Environ(), "_FUSE_COMMFD=3")
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Start()
	theirs.Close() // the child's copy is its own: a fusermount3 that fails shows as end of file
	if err != nil {
		unix.Close(ours)
		return -1, nil, fmt.Errorf("fuseraw: fusermount3 mount %s: %w", abs, err)
	}
	fd, recvErr := recvFD(ours)
	if recvErr == nil && o.AutoUnmount {
		return fd, &monitor{cmd: cmd, sock: ours}, nil
	}
	unix.Close(ours)
	if err := cmd.Wait(); err != nil {
		if recvErr == nil {
			unix.Close(fd)
		}
		return -1, nil, fmt.Errorf("fuseraw: fusermount3 mount %s: %v: %s", abs, err, strings.TrimSpace(out.String()))
	}
	if recvErr != nil {
		return -1, nil, recvErr
	}
	return fd, nil, nil
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
