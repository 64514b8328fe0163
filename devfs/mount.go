package devfs

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/fuseraw"
)

// ErrNoFUSE is wrapped by CheckHost's and Mount's error when the machine
// cannot mount FUSE file systems; the message names the missing piece.
var ErrNoFUSE = fuseraw.ErrNoFUSE

// CheckHost reports whether this machine can mount a FUSE file system: it
// needs the /dev/fuse device and the fusermount3 helper (Debian and Ubuntu
// package fuse3). The error names what is missing and how to get it.
// Mount checks it, once, before anything else.
func CheckHost() error { return fuseraw.CheckHost() }

// A Mount is a file system made by New, mounted and being served
// (FS.Mount).
type Mount struct {
	// Dir is the mount point.
	Dir string

	fs   *FS
	s    *server
	srv  *fuseraw.Server
	done chan struct{} // closed when serving has ended and every handler has returned
	err  error         // why serving ended, set before done closes

	closeOnce sync.Once
	closeErr  error
}

// MountOptions say who may use a mount and what becomes of it when its
// server dies.
type MountOptions struct {
	// AllowOther lets processes of every user open the files
	// (allow_other), and has the kernel enforce the modes they show
	// (default_permissions): 0666 devices (Options.DeviceMode), a 0444
	// status file. Without it the kernel lets in only processes running
	// as the mounting user (uid and gid), whatever the modes say; every
	// other process gets EACCES, root's too when someone else mounted.
	// As root fusermount3 grants it; for any other user only when
	// /etc/fuse.conf has user_allow_other.
	AllowOther bool
	// AutoUnmount has fusermount3 stay beside the server and detach the
	// mount if the serving process dies, so no dead mount ("Transport
	// endpoint is not connected") is left on dir. fusermount3 detaches
	// only a mount that answers ENOTCONN; a dead io_uring connection
	// answers ECONNABORTED and stays, for Stale to find.
	AutoUnmount bool
	// NonEmpty lets the mount go on a directory that has entries or is
	// a mount point already; they are hidden until the unmount. Without
	// it such a directory is refused (CheckMountDir). No option allows
	// /, /proc, /sys or /dev.
	NonEmpty bool
}

// Mount mounts fsys on the existing empty directory dir and serves it on
// goroutines of its own until the file system is unmounted (by Close,
// Unmount, fusermount3 -u or umount), over the transport Options.Transport
// chooses. dir is checked first as CheckMountDir says (a refusal is a
// *MountDirError), and Mount.Dir is the path CheckMountDir returns. An FS
// made by New with a nil kernel is refused with an error wrapping EINVAL.
// When serving ends, every model task still standing for a process
// exits. An FS can be mounted once.
func (fsys *FS) Mount(dir string) (*Mount, error) { return fsys.MountWith(dir, MountOptions{}) }

// MountWith is Mount with the options mo.
func (fsys *FS) MountWith(dir string, mo MountOptions) (*Mount, error) {
	if fsys.k == nil {
		return nil, fmt.Errorf("devfs: mount %s: the file system has no model kernel (devfs.New was given nil): %w", dir, syscall.EINVAL)
	}
	dir, err := CheckMountDir(dir, mo.NonEmpty)
	if err != nil {
		return nil, err
	}
	if err := CheckHost(); err != nil {
		return nil, err
	}
	tr, err := fsys.opts.Transport.resolve()
	if err != nil {
		return nil, fmt.Errorf("devfs: mount %s: %w", dir, err)
	}
	fsys.mu.Lock()
	taken := fsys.mounted
	fsys.mounted = true
	fsys.mu.Unlock()
	if taken {
		return nil, fmt.Errorf("devfs: mount %s: file system already mounted: %w", dir, syscall.EBUSY)
	}
	if err := fsys.startBridge(dir); err != nil {
		fsys.mu.Lock()
		fsys.mounted = false
		fsys.mu.Unlock()
		return nil, fmt.Errorf("devfs: mount %s: %w", dir, err)
	}
	s, srv, err := fsys.mountOver(dir, tr, mo)
	if err != nil {
		fsys.stopBridge()
		fsys.mu.Lock()
		fsys.mounted = false
		fsys.mu.Unlock()
		return nil, fmt.Errorf("devfs: mount %s: %w", dir, err)
	}
	m := &Mount{Dir: dir, fs: fsys, s: s, srv: srv, done: make(chan struct{})}
	go func() {
		<-srv.Done()
		m.err = srv.Err()
		// Reads queued in drivers and sleeping writes still point into
		// the transport's buffers; srv.Close, which frees them, waits
		// for Close, after shutdown has cancelled and waited for them.
		s.shutdown()
		fsys.stopBridge()
		fsys.tasks.exitAll()
		close(m.done)
	}()
	return m, nil
}

// mountFUSE is fuseraw.Mount; tests wrap it to make a transport fail.
var mountFUSE = fuseraw.Mount

// mountOver mounts a new server of fsys on dir over tr. When Auto chose
// io_uring and that mount fails (io_uring_setup refused, the rings'
// memory not granted), a new server is mounted over the classic
// transport instead, and the io_uring failure is logged once the
// classic mount has worked; when it fails too, the cause is not
// io_uring's (fusermount3 refused the directory, say) and only the
// classic error is returned (SPEC U10). An explicit URing fails.
func (fsys *FS) mountOver(dir string, tr fuseraw.Transport, mo MountOptions) (*server, *fuseraw.Server, error) {
	cfg := fuseraw.Config{
		MountOptions: fuseraw.MountOptions{FSName: "fasync", Subtype: "fasync", AllowOther: mo.AllowOther, AutoUnmount: mo.AutoUnmount},
		Transport:    tr,
		Logf:         fsys.opts.Logf,
	}
	s := newServer(fsys)
	srv, err := mountFUSE(dir, s, cfg)
	if err == nil || tr != fuseraw.URing || fsys.opts.Transport != Auto {
		return s, srv, err
	}
	uringErr := err
	cfg.Transport = fuseraw.Classic
	s = newServer(fsys) // nothing of the failed mount's server is reused
	if srv, err = mountFUSE(dir, s, cfg); err != nil {
		return s, srv, err
	}
	logf := fsys.opts.Logf
	if logf == nil {
		logf = log.Printf
	}
	logf("devfs: mount %s: transport auto: io_uring failed, using classic: %v", dir, uringErr)
	return s, srv, nil
}

// Transport reports the transport the mount uses: URing or Classic.
func (m *Mount) Transport() Transport { return transportOf(m.srv.Transport()) }

// Done is closed when serving has ended: the file system was unmounted
// and, after a lazy unmount, the last open file was closed.
func (m *Mount) Done() <-chan struct{} { return m.done }

// Err returns why serving ended (nil for an unmount); valid after Done.
func (m *Mount) Err() error {
	<-m.done
	return m.err
}

// Unmount detaches the file system. With lazy false it fails with EBUSY
// while files are open; with lazy true (MNT_DETACH, fusermount3 -uz) the
// name disappears at once and serving ends when the last file closes.
func (m *Mount) Unmount(lazy bool) error { return Unmount(m.Dir, lazy) }

// Close stops the export (SPEC R4): it unmounts, detaching lazily when
// files are still open, and returns once serving has ended, that is once
// every client has closed its files. A caller that wants to tell its user
// why it is waiting calls Unmount itself first. Close also frees the
// transport's buffers, which the requests drivers held point into: a
// mount that ended some other way (Abort, an outside unmount) keeps them
// until Close.
func (m *Mount) Close() error {
	m.closeOnce.Do(func() {
		select {
		case <-m.done:
		default:
			err := m.Unmount(false)
			if errors.Is(err, syscall.EBUSY) {
				err = m.Unmount(true)
			}
			if err != nil {
				m.closeErr = err
				return
			}
			<-m.done
		}
		if err := m.srv.Close(); err != nil && m.closeErr == nil {
			m.closeErr = err
		}
	})
	return m.closeErr
}

// Abort ends the connection at once, as `echo 1 >
// /sys/fs/fuse/connections/N/abort` does: every pending and future
// request fails (clients get ECONNABORTED, later ENOTCONN) and serving
// ends even if handlers or clients are stuck. It is the last resort after
// a failed Close; the mount stays until unmounted (lazily, say). It needs
// the fusectl file system mounted on /sys/fs/fuse/connections.
func (m *Mount) Abort() error {
	if err := m.srv.Abort(); err != nil {
		return fmt.Errorf("devfs: abort %s (is fusectl mounted on /sys/fs/fuse/connections?): %w", m.Dir, err)
	}
	return nil
}

// Unmount detaches the FUSE file system mounted on dir, lazily
// (MNT_DETACH) if lazy is set. As root it calls umount2 directly;
// otherwise it runs fusermount3 -u (-uz when lazy). A busy mount is
// reported as an error wrapping EBUSY; a directory that is not mounted as
// one wrapping EINVAL.
func Unmount(dir string, lazy bool) error {
	flags := 0
	if lazy {
		flags = unix.MNT_DETACH
	}
	err := unix.Unmount(dir, flags)
	if err == nil {
		return nil
	}
	if err != unix.EPERM {
		return &os.PathError{Op: "unmount", Path: dir, Err: err}
	}
	args := []string{"-u"}
	if lazy {
		args = []string{"-u", "-z"}
	}
	out, err := exec.Command("fusermount3", append(args, "--", dir)...).CombinedOutput()
	if err == nil {
		return nil
	}
	msg := string(bytes.TrimSpace(out))
	switch {
	case strings.Contains(msg, "busy"):
		return &os.PathError{Op: "unmount", Path: dir, Err: syscall.EBUSY}
	case strings.Contains(msg, "not found in"), strings.Contains(msg, "not mounted"):
		return &os.PathError{Op: "unmount", Path: dir, Err: syscall.EINVAL}
	}
	return fmt.Errorf("unmount %s: fusermount3: %v: %s", dir, err, msg)
}
