package devfs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

// nobody is the user the other-user clients run as.
const nobody = 65534

// asNobody runs sh -c script as uid and gid 65534 and returns its
// combined output and error.
func asNobody(script string) (string, error) {
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// U4: without AllowOther the kernel refuses every process of another
// user, whatever the modes show; with it they get in and the kernel
// enforces the modes (default_permissions): a 0644 device is writable by
// its owner only.
func TestAllowOther(t *testing.T) {
	requireFUSE(t)
	if os.Getuid() != 0 {
		t.Skip("skipping: needs root to run a client as another user (uid 65534)")
	}
	for _, allow := range []bool{false, true} {
		name := map[bool]string{false: "U4/mounting-user-only", true: "U4/allow-other"}[allow]
		t.Run(name, func(t *testing.T) {
			// A directory every user can reach: t.TempDir's are 0700.
			dir, err := os.MkdirTemp("", "devfs-allow-other-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Remove(dir) })
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			k := kernel.New(kernel.Config{})
			t.Cleanup(func() { k.Close() })
			pipes, err := scull.Register(k, scull.Config{Devices: 1})
			if err != nil {
				t.Fatal(err)
			}
			fsys := devfs.New(k, devfs.Options{DeviceMode: 0o644, Status: pipes.AppendStatus, Transport: devfs.Classic})
			m, err := fsys.MountWith(dir, devfs.MountOptions{AllowOther: allow})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := m.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			})
			status, dev := filepath.Join(dir, "status"), filepath.Join(dir, "scullpipe0")

			out, err := asNobody("cat " + status)
			if allow && err != nil {
				t.Errorf("another user cannot read the 0444 status file with AllowOther: %v: %s", err, out)
			}
			if !allow && (err == nil || !strings.Contains(out, "Permission denied")) {
				t.Errorf("another user read the status file without AllowOther: %v: %s", err, out)
			}
			if allow {
				if out, err := asNobody("echo hi > " + dev); err == nil || !strings.Contains(out, "Permission denied") {
					t.Errorf("another user wrote to a 0644 device: %v: %s (the kernel should check the mode)", err, out)
				}
			}
			if out, err := exec.Command("sh", "-c", "echo hi > "+dev).CombinedOutput(); err != nil {
				t.Errorf("the mounting user cannot write its 0644 device: %v: %s", err, out)
			}
		})
	}
}

// U3: with AutoUnmount the fusermount3 monitor lets go at Close: after a
// clean unmount it leaves the directory alone, after an Abort (a server
// that can no longer answer) it detaches the dead mount. Without fusectl
// the abort case skips before it mounts, and whatever ends a case, no
// mount is left behind.
func TestAutoUnmount(t *testing.T) {
	requireFUSE(t)
	for _, abort := range []bool{false, true} {
		name := map[bool]string{false: "U3/clean-close", true: "U3/dead-mount-detached"}[abort]
		t.Run(name, func(t *testing.T) {
			if abort {
				requireFusectl(t)
			}
			dir := t.TempDir()
			k := kernel.New(kernel.Config{})
			t.Cleanup(func() { k.Close() })
			if _, err := scull.Register(k, scull.Config{}); err != nil {
				t.Fatal(err)
			}
			m, err := devfs.New(k, devfs.Options{Transport: devfs.Classic}).MountWith(dir, devfs.MountOptions{AutoUnmount: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { // before TempDir's removal: nothing stays mounted on it
				devfs.Unmount(dir, true)
				m.Close()
			})
			if abort {
				if err := m.Abort(); err != nil {
					t.Fatalf("abort with fusectl mounted: %v", err)
				}
				<-m.Done()
				if _, err := os.Stat(filepath.Join(dir, "scullpipe0")); err == nil {
					t.Fatal("stat works on an aborted connection")
				}
			}
			if err := m.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if mounted(t, dir) {
				exec.Command("fusermount3", "-uz", dir).Run()
				t.Fatal("still mounted after Close")
			}
		})
	}
}
