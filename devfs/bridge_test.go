package devfs_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/fasync-go/fasync/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/linux"
	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

// sigclient starts testdata/sigclient.c with args, waits for its "ready"
// and returns it with the lines it printed before ("owner T", "child P").
// Closing in (or the test's end) makes it exit.
func sigclient(t *testing.T, args ...string) (p *proc, before []string, in *os.File) {
	t.Helper()
	return sigclientWith(t, nil, args...)
}

// sigclientWith is sigclient with extra open files, descriptors 3 and up
// of the client (DEV fd:3 ...).
func sigclientWith(t *testing.T, extra []*os.File, args ...string) (p *proc, before []string, in *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	cmd := exec.Command(cclient(t, "sigclient"), args...)
	cmd.ExtraFiles = extra
	p = startCmd(t, r, cmd)
	r.Close()
	for {
		l := p.next()
		if l == "ready" {
			return p, before, w
		}
		if l == "" {
			t.Fatalf("sigclient %v exited before it was ready", args)
		}
		before = append(before, l)
	}
}

// signalLine is what sigclient prints for a signal with the fields of
// siginfo_t the bridge sets exactly (F1, F3).
func signalLine(sig, fd int, band uint32, pid int) string {
	return fmt.Sprintf("sig=%d code=-5 fd=%d band=%#x pid=%d tid=%d", sig, fd, band, pid, pid)
}

// F7, B5, B11: LDD3's asynctest, in C, with standard input redirected from
// an exported scullpipe, copies every line other processes write, and a
// burst five times the device's buffer, which reaches it in many signals.
func TestBridgeLDD3Asynctest(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		at := start(t, "sh", "-c", "exec "+cclient(t, "asynctest")+" < "+e.dev(0)+" 2>&1")
		at.expect("ready")
		for _, line := range []string{"one", "two", "three"} {
			run(t, "sh", "-c", "echo "+line+" > "+e.dev(0))
			at.expect(line)
		}
		raw := make([]byte, 15000)
		rand.Read(raw)
		burst := base64.StdEncoding.EncodeToString(raw) // 20000 bytes
		src := filepath.Join(t.TempDir(), "burst")
		if err := os.WriteFile(src, []byte(burst+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		run(t, "sh", "-c", "cat "+src+" > "+e.dev(0))
		if got := at.next(); got != burst {
			t.Fatalf("burst: got %d bytes, want the %d written", len(got), len(burst))
		}
	})
}

// F1, F3, A8: F_SETSIG n on two devices: signal n with si_fd the
// client's descriptor for the device that became readable and si_band
// POLLIN|POLLRDNORM; a writer on a full device hears POLL_OUT's mask once
// a reader frees space; F_SETSIG 0 gives plain SIGIO.
func TestBridgeSiginfo(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 4, 4000)
		p, _, _ := sigclient(t, "-s", "40", e.dev(0), e.dev(1))
		run(t, "sh", "-c", "echo b > "+e.dev(1))
		p.expect(signalLine(40, 4, 0x41, p.pid()))
		run(t, "sh", "-c", "echo a > "+e.dev(0))
		p.expect(signalLine(40, 3, 0x41, p.pid()))

		w, _, _ := sigclient(t, "-s", "41", "-f", e.dev(2))
		run(t, "dd", "if="+e.dev(2), "of=/dev/null", "bs=100", "count=1", "status=none")
		w.expect(signalLine(41, 3, 0x304, w.pid()))

		plain, _, _ := sigclient(t, e.dev(3))
		run(t, "sh", "-c", "echo c > "+e.dev(3))
		plain.expect(signalLine(int(syscall.SIGIO), 0, 0, plain.pid()))
	})
}

// F1: an owning process group: every member gets the signal.
func TestBridgeGroupOwner(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		p, before, _ := sigclient(t, "-s", "43", "-o", "pgrp", "-c", "2", e.dev(0))
		t.Cleanup(func() { syscall.Kill(-p.pid(), syscall.SIGKILL) }) // the children too
		want := map[int]bool{p.pid(): true}
		for _, l := range before {
			pid, _ := strconv.Atoi(strings.TrimPrefix(l, "child "))
			want[pid] = true
		}
		run(t, "sh", "-c", "echo x > "+e.dev(0))
		for range want {
			l := p.next()
			var pid int
			fmt.Sscanf(l[strings.Index(l, "pid="):], "pid=%d", &pid)
			if !want[pid] || l != signalLine(43, 3, 0x41, pid) {
				t.Fatalf("signal %q, want one per member of %v", l, want)
			}
			delete(want, pid)
		}
	})
}

// F1: an F_OWNER_TID owner: the signal goes to that thread, which blocks
// it and takes it with sigwaitinfo; the main thread, which would catch a
// process-directed one, sees nothing.
func TestBridgeThreadOwner(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		p, before, _ := sigclient(t, "-s", "42", "-o", "tid", e.dev(0))
		tid, _ := strconv.Atoi(strings.TrimPrefix(before[0], "owner "))
		run(t, "sh", "-c", "echo x > "+e.dev(0))
		want := fmt.Sprintf("sig=42 code=-5 fd=3 band=0x41 pid=%d tid=%d", p.pid(), tid)
		if got := p.next(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

// F2: an owner that neither catches, blocks nor ignores the signal is
// not sent it (Linux would kill it); a process that catches it is.
func TestBridgeNoHandlerNotKilled(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		p, _, in := sigclient(t, "-o", "none", e.dev(0))
		run(t, "sh", "-c", "echo x > "+e.dev(0))
		testutil.WaitFor(t, "the bridge to skip the unsafe signal", func() bool { return e.M.SigioStats().Unsafe > 0 })
		in.Write([]byte("quit\n"))
		if err := p.wait(); err != nil {
			t.Fatalf("owner without a handler: %v, want a normal exit", err)
		}
	})
}

// F4: an unprivileged client that names a root process as the owner of
// its file gets no signal sent to it; naming itself, it does.
func TestBridgePermission(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 2, 4000)
		exe := worldClient(t, "sigclient")
		root, _, _ := sigclient(t, "-s", "40") // a root target that catches signal 40
		for _, c := range []struct {
			name, owner string
			dev         int
			refused     bool
		}{
			{"F4/root-target-refused", "other:" + strconv.Itoa(root.pid()), 0, true},
			{"F4/own-pid-allowed", "pid", 1, false},
		} {
			t.Run(c.name, func(t *testing.T) {
				fd, err := unix.Open(e.dev(c.dev), unix.O_RDONLY|unix.O_CLOEXEC, 0)
				if err != nil {
					t.Fatal(err)
				}
				f := os.NewFile(uintptr(fd), "dev") // blocking: never in the netpoller
				r, w, _ := os.Pipe()
				defer w.Close()
				cmd := exec.Command(exe, "-s", "40", "-o", c.owner, "fd:3")
				cmd.ExtraFiles = []*os.File{f}
				cmd.Stdin = r
				out := &syncBuf{}
				cmd.Stdout = out
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				r.Close()
				f.Close() // the child is the only holder
				defer func() {
					cmd.Process.Kill()
					cmd.Wait()
				}()
				testutil.WaitFor(t, "the unprivileged client to arm", func() bool { return strings.Contains(out.String(), "ready") })
				before := e.M.SigioStats()
				run(t, "sh", "-c", "echo x > "+e.dev(c.dev))
				if c.refused {
					testutil.WaitFor(t, "the bridge to refuse", func() bool { return e.M.SigioStats().Refused > before.Refused })
					if st := e.M.SigioStats(); st.Sent != before.Sent {
						t.Fatalf("sent %d signals for a target the client may not signal", st.Sent-before.Sent)
					}
					return
				}
				testutil.WaitFor(t, "the client's own signal", func() bool { return strings.Contains(out.String(), "sig=40") })
			})
		}
		select {
		case l := <-root.lines:
			t.Fatalf("the root target got %q", l)
		default:
		}
	})
}

// A syncBuf is a bytes.Buffer safe for a writer and a reader at once.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// worldClient copies a test client where an unprivileged user may run it.
func worldClient(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "devfs-world")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	b, err := os.ReadFile(cclient(t, name))
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, name)
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}

// F5: the owner changed, then exited: the new owner, another process
// holding the same open file, gets the next signal, and once it has gone
// nothing is sent (F_GETOWN reads 0 for an owner that has exited, and
// signals go through a pidfd, never by a pid that might have been
// reused).
func TestBridgeOwnerExits(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		fd, err := unix.Open(e.dev(0), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		f := os.NewFile(uintptr(fd), "dev") // blocking: never in the netpoller
		target, _, _ := sigclientWith(t, []*os.File{f}, "-s", "40", "fd:3")
		p, _, _ := sigclientWith(t, []*os.File{f}, "-s", "40", "-o", "other:"+strconv.Itoa(target.pid()), "fd:3")
		f.Close() // the clients are the holders
		run(t, "sh", "-c", "echo x > "+e.dev(0))
		target.expect(signalLine(40, 3, 0x41, target.pid()))
		// The bridge counts a signal once pidfd_send_signal has returned,
		// which may be after the target has printed it: the snapshot
		// below must already hold it.
		testutil.WaitFor(t, "the signal to be counted", func() bool { return e.M.SigioStats().Sent == 1 })

		target.cmd.Process.Kill()
		target.wait()
		before := e.M.SigioStats()
		run(t, "sh", "-c", "echo y > "+e.dev(0))
		testutil.WaitFor(t, "the worker to look at the owner", func() bool { return e.M.SigioStats().Checks > before.Checks })
		if st := e.M.SigioStats(); st.Sent != before.Sent {
			t.Fatalf("%d signals sent after the owner exited", st.Sent-before.Sent)
		}
		select {
		case l := <-p.lines:
			t.Fatalf("the client itself got %q", l)
		default:
		}
	})
}

// F5: a dup of the descriptor is the same file: the owner set through
// one copy gets the signal; si_fd names one of the process's descriptors
// for the file (Linux names the one O_ASYNC was set through, which FUSE
// does not show). A fork sharing the file is TestBridgeGroupOwner's case.
func TestBridgeDup(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		r, w, _ := os.Pipe()
		defer w.Close()
		p := startIn(t, r, "sh", "-c", "exec 3<"+e.dev(0)+" 4<&3; exec "+cclient(t, "sigclient")+" -s 40 fd:4")
		r.Close()
		p.expect("ready")
		run(t, "sh", "-c", "echo x > "+e.dev(0))
		got := p.next()
		if got != signalLine(40, 3, 0x41, p.pid()) && got != signalLine(40, 4, 0x41, p.pid()) {
			t.Fatalf("got %q, want signal 40 with fd 3 or 4", got)
		}
	})
}

// F5: once the last close has returned the file is released, and nothing
// is sent any more, though writes go on. (A signal whose last check came
// just before the close may still arrive just after it: the bridge cannot
// hold a client's close; see doc.go.)
func TestBridgeCloseInFlight(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		p, _, in := sigclient(t, "-s", "40", e.dev(0))
		drain := start(t, "sh", "-c", "exec cat "+e.dev(0)+" > /dev/null")
		waitBlocked(t, drain.pid(), sysRead)
		writer := start(t, "sh", "-c", "exec yes > "+e.dev(0))
		if l := p.next(); !strings.HasPrefix(l, "sig=40 ") {
			t.Fatalf("got %q, want signal 40", l)
		}
		in.Write([]byte("close\n"))
		for l := p.next(); l != "closed"; l = p.next() {
			if !strings.HasPrefix(l, "sig=40 ") {
				t.Fatalf("got %q", l)
			}
		}
		testutil.WaitFor(t, "the closed file to be released", func() bool { return statusReaders(e) == 1 })
		sent := e.M.SigioStats().Sent
		run(t, "sh", "-c", "echo more > "+e.dev(0)) // writes go on
		writer.cmd.Process.Kill()
		writer.wait()
		if st := e.M.SigioStats(); st.Sent != sent {
			t.Fatalf("%d signals sent after the release", st.Sent-sent)
		}
		e.waitQueued(t, 0, 1) // the drain's next READ waits in the driver before the cleanup kills it
	})
}

// statusReaders is the reader count of the first device in the status
// view.
func statusReaders(e *export) int { return e.Pipes.Pipe(0).Status().Readers }

// F6, goal: with nobody subscribed, notifications cost the write path no
// system call of the bridge's (Inline stays 0); the worker looks at the
// reader's file at most once per hold-off.
func TestBridgeNoSyscallUnsubscribed(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		cat := start(t, "sh", "-c", "exec cat "+e.dev(0)+" > /dev/null")
		waitBlocked(t, cat.pid(), sysRead)
		run(t, "dd", "if=/dev/zero", "of="+e.dev(0), "bs=100", "count=2000", "status=none")
		st := e.M.SigioStats()
		if st.Inline != 0 || st.Sent != 0 {
			t.Fatalf("with nobody subscribed: %+v, want no inline system call and no signal", st)
		}
		// A look finds no owner; the next notification queues the file
		// for the look after the wait, and later ones wake nobody. One
		// that lands while the worker takes the file's counts (after it
		// marks the file unqueued, so that none is lost) wakes it once
		// more, for counts it has already taken: at most one such wake
		// per turn at the file, and one more wake may await its look.
		if st.Wakes > 2*st.Checks+2 || st.Checks > 1000 {
			t.Fatalf("2000 writes woke the worker %d times for %d looks", st.Wakes, st.Checks)
		}
		e.waitQueued(t, 0, 1) // cat's next READ waits in the driver before the cleanup kills it
	})
}

// F7: every device file carries the bridge's extended attribute while
// signals run; other names and files have none.
func TestBridgeXattr(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		buf := make([]byte, 16)
		n, err := unix.Getxattr(e.dev(0), devfs.XattrSigio, buf)
		if err != nil || string(buf[:n]) != "1" {
			t.Fatalf("getxattr %s: %q %v, want \"1\"", devfs.XattrSigio, buf[:n], err)
		}
		list := make([]byte, 64)
		n, err = unix.Listxattr(e.dev(0), list)
		if err != nil || string(list[:n]) != devfs.XattrSigio+"\x00" {
			t.Fatalf("listxattr: %q %v", list[:n], err)
		}
		if _, err := unix.Getxattr(filepath.Join(e.Dir, "status"), devfs.XattrSigio, buf); !errors.Is(err, unix.ENODATA) {
			t.Fatalf("getxattr on the status file: %v, want ENODATA", err)
		}
	})
}

// F6: without the privilege the bridge needs, --sigio auto serves
// without signals and says once why; on refuses to mount; off never
// asks.
func TestSigioModes(t *testing.T) {
	requireFUSE(t)
	restore := devfs.DenySigio(fmt.Errorf("pidfd_getfd needs ptrace access: %w", syscall.EPERM))
	defer restore()
	for _, c := range []struct {
		mode    devfs.Sigio
		fails   bool
		message bool
	}{
		{devfs.SigioAuto, false, true},
		{devfs.SigioOn, true, false},
		{devfs.SigioOff, false, false},
	} {
		t.Run("F6/"+c.mode.String(), func(t *testing.T) {
			k := kernel.New(kernel.Config{})
			defer k.Close()
			if _, err := scull.Register(k, scull.Config{Devices: 1, Size: 4000}); err != nil {
				t.Fatal(err)
			}
			var logged []string
			var mu sync.Mutex
			fsys := devfs.New(k, devfs.Options{Transport: devfs.Classic, Sigio: c.mode, Logf: func(f string, a ...any) {
				mu.Lock()
				logged = append(logged, fmt.Sprintf(f, a...))
				mu.Unlock()
			}})
			dir := t.TempDir()
			m, err := fsys.Mount(dir)
			if c.fails {
				if err == nil || !errors.Is(err, syscall.EPERM) {
					if m != nil {
						m.Close()
					}
					t.Fatalf("mount with sigio on: %v, want the privilege error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if m.Sigio() {
				t.Fatal("signals run without the privilege")
			}
			mu.Lock()
			n := len(logged)
			mu.Unlock()
			if c.message && (n != 1 || !strings.Contains(logged[0], "ptrace")) {
				t.Fatalf("logged %q, want one line saying why", logged)
			}
			if !c.message && n != 0 {
				t.Fatalf("logged %q", logged)
			}
			if _, err := unix.Getxattr(filepath.Join(dir, "scullpipe0"), devfs.XattrSigio, make([]byte, 8)); !errors.Is(err, unix.ENODATA) {
				t.Fatalf("getxattr without signals: %v, want ENODATA", err)
			}
		})
	}
}

// A8, F3: the model kernel's band codes, which the bridge hands to
// internal/linux's band table, are Linux's.
func TestBridgeBandCodes(t *testing.T) {
	for _, c := range [][2]int{
		{kernel.POLL_IN, linux.POLL_IN}, {kernel.POLL_OUT, linux.POLL_OUT}, {kernel.POLL_MSG, linux.POLL_MSG},
		{kernel.POLL_ERR, linux.POLL_ERR}, {kernel.POLL_PRI, linux.POLL_PRI}, {kernel.POLL_HUP, linux.POLL_HUP},
	} {
		if c[0] != c[1] {
			t.Fatalf("model band %d is Linux's %d", c[0], c[1])
		}
	}
}

// F5, R4: unmounting while an owner holds its file detaches lazily; the
// owner's close lets the bridge go of the file, and serving ends.
func TestBridgeUnmountWhileOwned(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		p, _, in := sigclient(t, "-s", "40", e.dev(0))
		run(t, "sh", "-c", "echo x > "+e.dev(0))
		p.expect(signalLine(40, 3, 0x41, p.pid())) // the bridge holds the file
		if err := e.M.Unmount(false); !errors.Is(err, syscall.EBUSY) {
			t.Fatalf("unmount with an owner: %v, want EBUSY", err)
		}
		if err := e.M.Unmount(true); err != nil {
			t.Fatal(err)
		}
		in.Write([]byte("quit\n"))
		p.wait()
		select {
		case <-e.M.Done():
		case <-time.After(patience):
			t.Fatal("serving did not end after the owner's close")
		}
	})
}
