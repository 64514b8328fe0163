package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/fusetest"
	"github.com/fasync-go/fasync/internal/testutil"
)

func TestMain(m *testing.M) {
	testutil.CloseInheritedOnExec() // TestMountSigio expects a client's first open at descriptor 3
	os.Exit(m.Run())
}

// buildSigclient builds devfs's C test client (devfs/testdata/sigclient.c).
func buildSigclient(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("skipping: gcc not found (apt-get install gcc)")
	}
	exe := filepath.Join(t.TempDir(), "sigclient")
	out, err := exec.Command("gcc", "-O2", "-Wall", "-pthread", "-o", exe, filepath.Join("..", "..", "devfs", "testdata", "sigclient.c")).CombinedOutput()
	if err != nil {
		t.Fatalf("gcc sigclient.c: %v\n%s", err, out)
	}
	return exe
}

// TestMountSigio runs `fasync mount` with its signal bridge (SPEC F) as a
// separate process and unmodified clients against it.
func TestMountSigio(t *testing.T) {
	bin := buildFasync(t)
	t.Run("F6/bad-sigio-flag", func(t *testing.T) {
		err := exec.Command(bin, "mount", "--sigio", "sometimes", "/tmp").Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Fatalf("--sigio sometimes: %v, want exit status 2", err)
		}
	})
	if err := devfs.CheckHost(); err != nil {
		t.Skipf("skipping the rest: %v", err)
	}
	if err := devfs.SigioAvailable(); err != nil {
		t.Skipf("skipping the rest: %v", err)
	}
	sigclient := buildSigclient(t)
	for _, tr := range []devfs.Transport{devfs.Classic, devfs.URing} {
		t.Run(tr.String(), func(t *testing.T) {
			if tr == devfs.URing {
				fusetest.RequireURing(t)
			}
			targ := "--transport=" + tr.String()
			t.Run("F7/asynctest-on-a-device", func(t *testing.T) { testAsynctestOnDevice(t, bin, targ) })
			t.Run("F1,F3/siginfo-client", func(t *testing.T) { testSiginfoClient(t, bin, sigclient, targ) })
			t.Run("F5,R4/server-killed-while-clients-wait", func(t *testing.T) { testKilledWithOwners(t, bin, sigclient, targ) })
			t.Run("F6/sigio-off", func(t *testing.T) { testSigioOff(t, bin, targ) })
		})
	}
}

// F7, B11: `fasync asynctest < MOUNT/scullpipe0` copies everything other
// processes write to the device, a burst larger than its buffer included.
func testAsynctestOnDevice(t *testing.T, bin, targ string) {
	srv, dir := startServer(t, bin, "--sigio=on", targ)
	if !strings.Contains(srv.serving, "signals to owners") {
		t.Fatalf("serving line %q does not say signals run", srv.serving)
	}
	dev := filepath.Join(dir, "scullpipe0")
	in, err := os.OpenFile(dev, os.O_RDONLY, 0) // another process's mount: the netpoller is harmless here
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	at := startAsynctest(t, bin, in, "-v")
	at.waitFor("asynctest to arm", func() bool { return at.hasLine("is signal-driven") })
	want := []byte{}
	for _, line := range []string{"first\n", "second\n"} {
		if out, err := exec.Command("sh", "-c", "printf '"+strings.TrimSuffix(line, "\n")+"\\n' > "+dev).CombinedOutput(); err != nil {
			t.Fatalf("write: %v %s", err, out)
		}
		want = append(want, line...)
		at.waitOutput(want)
	}
	burst := randomBytes(12000, 7) // three times the 4000-byte buffer
	src := filepath.Join(t.TempDir(), "burst")
	if err := os.WriteFile(src, burst, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("sh", "-c", "cat "+src+" > "+dev).CombinedOutput(); err != nil {
		t.Fatalf("cat: %v %s", err, out)
	}
	at.waitOutput(append(want, burst...))
}

// F1, F3: an SA_SIGINFO client gets its F_SETSIG signal with its own
// descriptor and POLLIN|POLLRDNORM; si_code is SI_SIGIO.
func testSiginfoClient(t *testing.T, bin, sigclient, targ string) {
	srv, dir := startServer(t, bin, targ)
	goAhead, tell, _ := os.Pipe()
	defer tell.Close()
	c := startClient(t, srv, goAhead, sigclient, "-s", "44", filepath.Join(dir, "scullpipe1"), filepath.Join(dir, "scullpipe2"))
	goAhead.Close()
	c.expectPrefix("ready")
	if out, err := exec.Command("sh", "-c", "echo x > "+filepath.Join(dir, "scullpipe2")).CombinedOutput(); err != nil {
		t.Fatalf("echo: %v %s", err, out)
	}
	l := c.expectPrefix("sig=")
	if !strings.HasPrefix(l, "sig=44 code=-5 fd=4 band=0x41 ") {
		t.Fatalf("got %q, want signal 44, SI_SIGIO, fd 4, band 0x41", l)
	}
}

// F5, R4: killing the server while clients own files (the bridge holds
// duplicates of them) ends the server and fails the clients; nothing is
// left in an uninterruptible sleep.
func testKilledWithOwners(t *testing.T, bin, sigclient, targ string) {
	srv, dir := startServer(t, bin, targ)
	goAhead, tell, _ := os.Pipe()
	defer tell.Close()
	owner := startClient(t, srv, goAhead, sigclient, "-s", "44", filepath.Join(dir, "scullpipe0"))
	goAhead.Close()
	owner.expectPrefix("ready")
	if out, err := exec.Command("sh", "-c", "echo x > "+filepath.Join(dir, "scullpipe0")).CombinedOutput(); err != nil {
		t.Fatalf("echo: %v %s", err, out)
	}
	owner.expectPrefix("sig=44 ") // the bridge holds the owner's file now
	reader := startClient(t, srv, nil, "cat", filepath.Join(dir, "scullpipe1"))
	blockedIn(t, reader.cmd.Process.Pid, "0")

	srv.cmd.Process.Kill()
	if err := srv.wait(mountPatience); err == nil {
		t.Fatal("killed server exited 0")
	}
	if err := reader.wait(mountPatience); err == nil {
		t.Error("reader exited 0 after the server died")
	}
	tell.Write([]byte("quit\n"))
	if err := owner.wait(mountPatience); err != nil {
		t.Errorf("owner: %v", err) // it closes its file on the way out
	}
}

// F6: --sigio=off serves without signals and without the attribute.
func testSigioOff(t *testing.T, bin, targ string) {
	srv, dir := startServer(t, bin, "--sigio=off", targ)
	if !strings.Contains(srv.serving, "no signals to owners") {
		t.Fatalf("serving line %q", srv.serving)
	}
	buf := make([]byte, 8)
	if _, err := unix.Getxattr(filepath.Join(dir, "scullpipe0"), devfs.XattrSigio, buf); !errors.Is(err, syscall.ENODATA) {
		t.Fatalf("getxattr with --sigio=off: %v, want ENODATA", err)
	}
}
