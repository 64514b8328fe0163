package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/fusetest"
)

// mountPatience bounds waits that only guard against hangs; the one
// stated bound (R4: clients fail within 1 s of the server's death) is
// checked separately.
const mountPatience = 20 * time.Second

// buildFasync builds this command into a temporary directory: the tests
// run it as a separate process, as a user would.
func buildFasync(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fasync")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// A child is a process started by a test, with its output collected.
type child struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines chan string
	done  chan struct{}
	err   error

	serving string // fasync mount's "serving" line, for startServer
}

func startChild(t *testing.T, stdin *os.File, name string, args ...string) *child {
	t.Helper()
	c := &child{t: t, cmd: exec.Command(name, args...), lines: make(chan string, 100), done: make(chan struct{})}
	c.cmd.Stdin = stdin
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	c.cmd.Stderr = &stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			c.lines <- s.Text()
		}
		c.err = c.cmd.Wait()
		if stderr.Len() > 0 {
			c.lines <- "stderr: " + strings.TrimSpace(stderr.String())
		}
		close(c.lines)
		close(c.done)
	}()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.done
	})
	return c
}

// startClient starts a client of srv's mount, as startChild does. Its
// cleanup ends the server as well as the client, before waiting for the
// client: a client the kernel holds in a FUSE request whose INTERRUPT
// never reached the server (the io_uring transport's gap, devfs/doc.go)
// is let go, even after SIGKILL, only when the connection ends.
func startClient(t *testing.T, srv *child, stdin *os.File, name string, args ...string) *child {
	t.Helper()
	c := startChild(t, stdin, name, args...)
	t.Cleanup(func() { // runs before startChild's, which waits
		c.cmd.Process.Kill()
		srv.cmd.Process.Kill()
	})
	return c
}

// expectPrefix waits for an output line starting with prefix.
func (c *child) expectPrefix(prefix string) string {
	c.t.Helper()
	timeout := time.After(mountPatience)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("%v exited (%v) before printing %q", c.cmd.Args, c.err, prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timeout:
			c.t.Fatalf("%v did not print %q within %v", c.cmd.Args, prefix, mountPatience)
		}
	}
}

// wait waits for exit within d and returns the exit error.
func (c *child) wait(d time.Duration) error {
	c.t.Helper()
	select {
	case <-c.done:
		return c.err
	case <-time.After(d):
		c.t.Fatalf("%v still running after %v", c.cmd.Args, d)
		return nil
	}
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// isMounted reports whether dir is a mount point.
func isMounted(t *testing.T, dir string) bool {
	t.Helper()
	ok, err := devfs.Mounted(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// blockedIn waits until pid sleeps in one of the system calls nrs.
func blockedIn(t *testing.T, pid int, nrs ...string) {
	t.Helper()
	deadline := time.Now().Add(mountPatience)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/syscall")
		if f := strings.Fields(string(b)); len(f) > 0 {
			for _, nr := range nrs {
				if f[0] == nr {
					return
				}
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("pid %d never blocked in syscall %v", pid, nrs)
}

// startServer runs fasync mount on a fresh directory and waits until it
// serves. Cleanup kills it and removes the mount lazily, so no stale
// mount is left behind whatever happened.
func startServer(t *testing.T, bin string, args ...string) (*child, string) {
	t.Helper()
	dir := t.TempDir()
	srv := startChild(t, nil, bin, append(append([]string{"mount"}, args...), dir)...)
	t.Cleanup(func() {
		srv.cmd.Process.Kill()
		<-srv.done
		exec.Command("fusermount3", "-uz", dir).Run()
	})
	srv.serving = srv.expectPrefix("fasync mount: serving")
	return srv, dir
}

// TestMountCommand runs `fasync mount` as a separate process, the way it
// is used: devices appear, programs use them, signals stop it (R4).
func TestMountCommand(t *testing.T) {
	bin := buildFasync(t)

	t.Run("R4/missing-fusermount3-is-named", func(t *testing.T) {
		cmd := exec.Command(bin, "mount", t.TempDir())
		cmd.Env = append(os.Environ(), "PATH="+t.TempDir()) // no fusermount3 on PATH
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("exit %v, want status 1\n%s", err, out)
		}
		for _, want := range []string{"fusermount3", "apt-get install fuse3"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("message does not name %q:\n%s", want, out)
			}
		}
	})
	if err := devfs.CheckHost(); err != nil {
		t.Skipf("skipping the rest: %v", err)
	}
	for _, tr := range []devfs.Transport{devfs.Classic, devfs.URing} {
		t.Run(tr.String(), func(t *testing.T) {
			if tr == devfs.URing {
				fusetest.RequireURing(t)
			}
			targ := "--transport=" + tr.String()
			t.Run("R3,B1,B10/flags-and-status", func(t *testing.T) { testMountFlags(t, bin, tr) })
			for name, sig := range map[string]syscall.Signal{"SIGINT": syscall.SIGINT, "SIGTERM": syscall.SIGTERM} {
				t.Run("R4/"+name+"-unmounts", func(t *testing.T) { testMountSignal(t, bin, sig, targ) })
			}
			t.Run("R4/lazy-unmount-while-open", func(t *testing.T) { testMountLazy(t, bin, targ) })
			t.Run("U6/closed-stdout-still-unmounts", func(t *testing.T) { testMountClosedStdout(t, bin, targ) })
			t.Run("R4/killed-server-fails-clients-within-1s", func(t *testing.T) { testMountKilled(t, bin, targ) })
			t.Run("U3/mount-again-after-a-crash", func(t *testing.T) { testMountAfterCrash(t, bin, targ) })
		})
	}
	t.Run("U3/directories-only", func(t *testing.T) { testMountDirChecks(t, bin) })
	t.Run("U4/who-may-open", func(t *testing.T) { testMountAllowOther(t, bin) })
	t.Run("U10/non-root-error-names-the-cause-once", func(t *testing.T) { testMountRefusedNonRoot(t, bin) })
	t.Run("R3/bench-fuse-runs", func(t *testing.T) { testBenchFuse(t, bin) })
}

// R3: fasync bench fuse moves data through the export and a FIFO and
// prints every case with its ratio (a small run: this checks that it
// works, not how fast); H4: a progress line per run; H5: the --svg
// chart has every case.
func testBenchFuse(t *testing.T, bin string) {
	svg := filepath.Join(t.TempDir(), "fuse.svg")
	cmd := exec.Command(bin, "bench", "fuse", "--bytes", "1m", "--runs", "1",
		"--pings", "100", "--ring", "4000,65536,131072", "--svg", svg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fasync bench fuse: %v\n%s\n%s", err, out, stderr.String())
	}
	wants := []string{"fifo (65536-byte pipe buffer)", "fifo (131072-byte pipe buffer)", "fifo 1-byte ping", "vs FIFO="}
	trs := []string{"classic"}
	if devfs.URingAvailable() == nil || strings.Contains(stderr.String(), "turning fuse.enable_uring on") {
		trs = append(trs, "uring") // bench fuse measures it whenever it can, turning it on as root
	}
	for _, tr := range trs {
		wants = append(wants, "fuse/"+tr+" scullpipe, ring 4000", "fuse/"+tr+" scullpipe, ring 65536",
			"fuse/"+tr+" scullpipe, ring 131072", "fuse/"+tr+" 1-byte ping")
	}
	chart, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	checkXML(t, chart)
	rows := len(wants) - 1 // all but the column heading
	for _, want := range wants {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %q line in:\n%s", want, out)
		}
		if want != "vs FIFO=" && !bytes.Contains(chart, []byte(">"+want+"</text>")) {
			t.Errorf("chart has no row %q", want)
		}
	}
	// Progress: a line per run on stderr, the last one numbered.
	if want := fmt.Sprintf("run %d of %d", rows, rows); !strings.Contains(stderr.String(), want) {
		t.Errorf("no %q progress line in stderr:\n%s", want, stderr.String())
	}
}

// R3, B1, B10: --devices and --size shape the export; the status file
// shows them; data goes through.
func testMountFlags(t *testing.T, bin string, tr devfs.Transport) {
	srv, dir := startServer(t, bin, "--devices", "2", "--size", "100", "--transport", tr.String())
	want := map[devfs.Transport]string{devfs.Classic: "over the classic /dev/fuse transport", devfs.URing: "over the io_uring transport"}[tr]
	if !strings.Contains(srv.serving, want) {
		t.Errorf("serving line %q does not say %q", srv.serving, want)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "scullpipe0 scullpipe1 status" {
		t.Fatalf("listing %q", got)
	}
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(status), "100") {
		t.Errorf("status does not show the 100-byte size:\n%s", status)
	}
	cat := startClient(t, srv, nil, "cat", filepath.Join(dir, "scullpipe1"))
	blockedIn(t, cat.cmd.Process.Pid, "0")
	if out, err := exec.Command("sh", "-c", "echo over > "+filepath.Join(dir, "scullpipe1")).CombinedOutput(); err != nil {
		t.Fatalf("echo: %v %s", err, out)
	}
	if l := cat.expectPrefix("over"); l != "over" {
		t.Fatalf("cat printed %q", l)
	}
}

// R4: a signal with no file open unmounts and exits 0.
func testMountSignal(t *testing.T, bin string, sig syscall.Signal, args ...string) {
	srv, dir := startServer(t, bin, args...)
	srv.cmd.Process.Signal(sig)
	if err := srv.wait(mountPatience); err != nil {
		t.Fatalf("fasync mount exited with %v", err)
	}
	if isMounted(t, dir) {
		t.Fatal("still mounted after exit")
	}
}

// U6: a server whose standard output is a pipe nobody reads any more
// (its reader closed it) is not killed by SIGPIPE when it reports the
// SIGINT: it unmounts and exits 0.
func testMountClosedStdout(t *testing.T, bin string, args ...string) {
	dir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append(append([]string{"mount"}, args...), dir)...)
	cmd.Stdout = w
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		exec.Command("fusermount3", "-uz", dir).Run()
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	if !strings.HasPrefix(line, "fasync mount: serving") {
		t.Fatalf("first line %q (%v), want the serving line; stderr %q", line, err, stderr.String())
	}
	r.Close() // from now on every write to stdout fails with EPIPE
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case err = <-exited:
		exited <- err // for the cleanup
	case <-time.After(mountPatience):
		t.Fatalf("fasync mount still running %v after SIGINT", mountPatience)
	}
	if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); ws.Signaled() || err != nil {
		t.Errorf("U6: fasync mount with a closed stdout ended with %v (killed by %v); want exit 0; stderr %q", err, ws.Signal(), stderr.String())
	}
	if isMounted(t, dir) {
		t.Error("U6: still mounted after the server exited")
	}
}

// R4: SIGTERM with a file open detaches lazily; the client keeps using
// its descriptor; the server exits 0 once it closes.
func testMountLazy(t *testing.T, bin string, args ...string) {
	srv, dir := startServer(t, bin, args...)
	goAhead, tell, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer tell.Close()
	client := startClient(t, srv, goAhead, "sh", "-c",
		"exec 3<>"+filepath.Join(dir, "scullpipe0")+"; echo open; read x; echo through >&3; dd bs=8 count=1 status=none <&3; exec 3>&-")
	goAhead.Close()
	client.expectPrefix("open")

	srv.cmd.Process.Signal(syscall.SIGTERM)
	srv.expectPrefix("fasync mount: files are still open: detached")
	if isMounted(t, dir) {
		t.Fatal("still mounted after the lazy unmount")
	}
	if srv.exited() {
		t.Fatal("server exited while a client still held a file open")
	}
	tell.Write([]byte("go\n"))
	if l := client.expectPrefix("through"); l != "through" {
		t.Fatalf("client got %q through the detached mount", l)
	}
	if err := client.wait(mountPatience); err != nil {
		t.Fatalf("client: %v", err)
	}
	if err := srv.wait(mountPatience); err != nil {
		t.Fatalf("fasync mount exited with %v after the last close", err)
	}
}

// R4: killing the server makes every blocked client fail within 1 s (a
// blocked reader, a writer blocked on a full device, a poller) and
// nothing hangs; the dead mount answers ENOTCONN.
func testMountKilled(t *testing.T, bin string, args ...string) {
	srv, dir := startServer(t, bin, append([]string{"--size", "64"}, args...)...)
	dev0, dev1 := filepath.Join(dir, "scullpipe0"), filepath.Join(dir, "scullpipe1")
	reader := startClient(t, srv, nil, "cat", dev0)
	writer := startClient(t, srv, nil, "dd", "if=/dev/zero", "of="+dev1, "bs=16", "status=none")
	poller := startClient(t, srv, nil, "python3", "-c",
		"import os,select\nfd=os.open('"+dev0+"',os.O_RDONLY)\np=select.poll()\np.register(fd,select.POLLIN)\nprint(p.poll(-1), flush=True)\nos.read(fd,1)")
	blockedIn(t, reader.cmd.Process.Pid, "0")
	blockedIn(t, writer.cmd.Process.Pid, "1")
	blockedIn(t, poller.cmd.Process.Pid, "7", "271")

	srv.cmd.Process.Kill()
	killed := time.Now()
	bound := time.NewTimer(time.Until(killed.Add(time.Second)))
	defer bound.Stop()
	for _, c := range []*child{reader, writer, poller} {
		if !c.exited() {
			select {
			case <-c.done:
			case <-bound.C:
				t.Fatalf("%v still running 1 s after the server was killed (R4 bound)", c.cmd.Args)
			}
		}
		if c.err == nil {
			t.Errorf("%v exited 0 after the server died, want a failure", c.cmd.Args)
		}
		for l := range c.lines {
			t.Logf("%s after the kill: %s", c.cmd.Args[0], l)
		}
	}
	// fusermount3 (auto_unmount) may already have removed the dead
	// mount; if not, it answers ENOTCONN or ECONNABORTED.
	if _, err := os.Stat(dev0); !devfs.Disconnected(err) && !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat on the dead mount: %v, want ENOTCONN, ECONNABORTED or no such file", err)
	}
}

// U3: after the server is killed, fasync mount on the same directory
// serves again: fusermount3 has removed the dead mount, or fasync mount
// finds it (ENOTCONN) and removes it first.
func testMountAfterCrash(t *testing.T, bin string, args ...string) {
	srv, dir := startServer(t, bin, args...)
	srv.cmd.Process.Kill()
	srv.wait(mountPatience)
	again := startChild(t, nil, bin, append(append([]string{"mount"}, args...), dir)...)
	again.expectPrefix("fasync mount: serving")
	if _, err := os.ReadFile(filepath.Join(dir, "status")); err != nil {
		t.Fatalf("status after the second mount: %v", err)
	}
	again.cmd.Process.Signal(syscall.SIGTERM)
	if err := again.wait(mountPatience); err != nil {
		t.Fatalf("second fasync mount: %v", err)
	}
	if isMounted(t, dir) {
		t.Fatal("still mounted after the second server's exit")
	}
}

// U3, U5: DIR must be an existing, empty directory; --nonempty mounts
// over entries, which come back after the unmount, but never over /,
// /proc, /sys or /dev. A refusal mounts nothing.
func testMountDirChecks(t *testing.T, bin string) {
	file := filepath.Join(t.TempDir(), "file")
	full := t.TempDir()
	for _, p := range []string{file, filepath.Join(full, "kept")} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		dir, why string
		flags    []string
	}{
		{file, "not a directory", nil},
		{filepath.Join(full, "missing"), "no such directory", nil},
		{full, "not empty (kept)", nil},
		{"", "the path is empty", []string{"--nonempty"}},
		{"/", "would hide every file", []string{"--nonempty"}},
		{"/proc", "/proc, which the server itself reads", []string{"--nonempty"}},
		{"/sys/fs/fuse/connections", "/sys, which the server itself reads", []string{"--nonempty"}},
		{"/dev", "/dev, which the server itself reads", []string{"--nonempty"}},
	} {
		mounts := fusetest.MountsAt(t, c.dir)
		out, err := exec.Command(bin, append(append([]string{"mount", "--transport", "classic"}, c.flags...), "--", c.dir)...).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), c.why) {
			t.Errorf("mount %s %q: %v %q; want status 2 and %q", c.flags, c.dir, err, out, c.why)
		}
		if n := fusetest.MountsAt(t, c.dir); n != mounts {
			t.Errorf("mount %q: refused, yet %d mounts became %d", c.dir, mounts, n)
		}
	}

	srv := startChild(t, nil, bin, "mount", "--nonempty", "--transport", "classic", full)
	t.Cleanup(func() { exec.Command("fusermount3", "-uz", full).Run() })
	srv.expectPrefix("fasync mount: serving")
	if _, err := os.Stat(filepath.Join(full, "kept")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("kept is visible through the mount: %v", err)
	}
	srv.cmd.Process.Signal(syscall.SIGTERM)
	if err := srv.wait(mountPatience); err != nil {
		t.Fatalf("fasync mount --nonempty: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(full, "kept")); err != nil || string(b) != "x" {
		t.Errorf("kept after the unmount: %q, %v", b, err)
	}
}

// U10: a user who may not mount on DIR (no write access: fusermount3
// refuses) is told so once, with no io_uring failure named first though
// --transport auto tries io_uring first.
func testMountRefusedNonRoot(t *testing.T, bin string) {
	if os.Getuid() != 0 {
		t.Skip("skipping: needs root to run fasync mount as another user (uid 65534)")
	}
	// A directory uid 65534 can see into but not write: the binary and
	// the mount point sit in it.
	top, err := os.MkdirTemp("", "fasync-nonroot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(top) })
	dir := filepath.Join(top, "mnt")
	prog := filepath.Join(top, "fasync")
	b, err := os.ReadFile(bin)
	if err == nil {
		err = os.WriteFile(prog, b, 0o755)
	}
	if err == nil {
		err = os.Mkdir(dir, 0o755)
	}
	if err == nil {
		err = os.Chmod(top, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prog, "mount", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	t.Cleanup(func() { exec.Command("fusermount3", "-uz", dir).Run() })
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("fasync mount as uid 65534 on a directory it cannot write: %v, want status 1\n%s", err, out)
	}
	if n := strings.Count(string(out), "no write access"); n != 1 || strings.Contains(string(out), "io_uring") {
		t.Errorf("U10: the error names fusermount3's reason %d times (want once) or blames io_uring:\n%s", n, out)
	}
}

// U4: without --allow-other only the mounting user's processes open the
// files; with it another user's do, and the serving line says which.
func testMountAllowOther(t *testing.T, bin string) {
	if os.Getuid() != 0 {
		t.Skip("skipping: needs root to run a client as another user (uid 65534)")
	}
	for _, allow := range []bool{false, true} {
		// A mount point every user can reach: t.TempDir's are 0700.
		dir, err := os.MkdirTemp("", "fasync-allow-other-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(dir) })
		os.Chmod(dir, 0o755)
		args := []string{"mount", "--transport", "classic"}
		if allow {
			args = append(args, "--allow-other")
		}
		srv := startChild(t, nil, bin, append(args, dir)...)
		t.Cleanup(func() { exec.Command("fusermount3", "-uz", dir).Run() })
		line := srv.expectPrefix("fasync mount: serving")
		want := map[bool]string{false: "for processes running as uid 0 only", true: "for every user (modes enforced)"}[allow]
		if !strings.Contains(line, want) {
			t.Errorf("allow-other %v: serving line %q does not say %q", allow, line, want)
		}
		cat := exec.Command("cat", filepath.Join(dir, "status"))
		cat.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cat.CombinedOutput()
		if allow && err != nil {
			t.Errorf("--allow-other: uid 65534 cannot read status: %v %s", err, out)
		}
		if !allow && (err == nil || !strings.Contains(string(out), "Permission denied")) {
			t.Errorf("without --allow-other: uid 65534 read status: %v %s", err, out)
		}
		srv.cmd.Process.Signal(syscall.SIGTERM)
		if err := srv.wait(mountPatience); err != nil {
			t.Fatalf("fasync mount: %v", err)
		}
	}
}
