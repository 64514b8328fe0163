package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
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
)

// asynctestPatience bounds every wait in these tests; reaching it is a
// failure (a hang), never part of what is checked.
const asynctestPatience = 20 * time.Second

// An atProc is a running `fasync asynctest` with its output collected.
type atProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    bytes.Buffer // standard output so far
	lines  []string     // standard error lines so far
	exited chan struct{}
	err    error // from Wait, once exited is closed
}

// startAsynctest runs bin asynctest args with stdin as its standard input.
func startAsynctest(t *testing.T, bin string, stdin *os.File, args ...string) *atProc {
	t.Helper()
	return startAsynctestAttr(t, bin, stdin, nil, args...)
}

// startAsynctestAttr is startAsynctest with process attributes (a session,
// a controlling terminal).
func startAsynctestAttr(t *testing.T, bin string, stdin *os.File, attr *syscall.SysProcAttr, args ...string) *atProc {
	t.Helper()
	p := &atProc{t: t, cmd: exec.Command(bin, append([]string{"asynctest"}, args...)...), exited: make(chan struct{})}
	p.cmd.Stdin = stdin
	p.cmd.SysProcAttr = attr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		buf := make([]byte, 64<<10)
		for {
			n, err := stdout.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() {
		defer readers.Done()
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, s.Text())
			p.mu.Unlock()
		}
	}()
	go func() {
		readers.Wait() // Wait must not run before the pipes are read to the end
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// waitFor polls cond until it holds, failing after asynctestPatience.
func (p *atProc) waitFor(what string, cond func() bool) {
	p.t.Helper()
	end := time.Now().Add(asynctestPatience)
	for !cond() {
		select {
		case <-p.exited:
			if cond() {
				return
			}
			p.t.Fatalf("waiting for %s: asynctest exited (%v); stderr:\n%s", what, p.err, p.stderr())
		default:
		}
		if time.Now().After(end) {
			p.t.Fatalf("waiting for %s: not within %v; stderr:\n%s", what, asynctestPatience, p.stderr())
		}
		time.Sleep(time.Millisecond)
	}
}

func (p *atProc) output() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.out.Bytes())
}

func (p *atProc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

func (p *atProc) hasLine(sub string) bool {
	return strings.Contains(p.stderr(), sub)
}

// waitOutput waits until the output is exactly want.
func (p *atProc) waitOutput(want []byte) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("%d bytes of output", len(want)), func() bool { return len(p.output()) >= len(want) })
	if got := p.output(); !bytes.Equal(got, want) {
		p.t.Fatalf("output differs from input: %d bytes, want %d", len(got), len(want))
	}
}

// waitExit waits for the process to end and returns its exit status.
func (p *atProc) waitExit() int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(asynctestPatience):
		p.t.Fatalf("asynctest still running after %v; stderr:\n%s", asynctestPatience, p.stderr())
	}
	return p.cmd.ProcessState.ExitCode()
}

// fdinfoFlags reads the flags of the process's descriptor fd from
// /proc/PID/fdinfo (octal, as the kernel prints them).
func fdinfoFlags(pid, fd int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 8, 64)
		}
	}
	return 0, fmt.Errorf("no flags line in fdinfo")
}

// armed reports whether the process's descriptor fd carries O_ASYNC.
func (p *atProc) armed(fd int) bool {
	fl, err := fdinfoFlags(p.cmd.Process.Pid, fd)
	return err == nil && fl&unix.O_ASYNC != 0
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestAsynctest runs the built command as a separate process, fed through
// real pipes and FIFOs (SPEC B11, R1, R2).
func TestAsynctest(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "fasync")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("B11/copies-drains-and-keeps-running", func(t *testing.T) { testCopies(t, bin) })
	t.Run("B11/U10/exit-on-eof", func(t *testing.T) { testExitOnEOF(t, bin) })
	t.Run("U10/reader-ignores-POLL_OUT", func(t *testing.T) { testReaderIgnoresPOLLOUT(t, bin) })
	t.Run("B11/data-waiting-at-start", func(t *testing.T) { testDataWaiting(t, bin) })
	t.Run("B11/FILE-is-a-FIFO", func(t *testing.T) { testFIFO(t, bin) })
	t.Run("B11/R1/controlling-terminal", func(t *testing.T) { testTerminal(t, bin) })
	t.Run("R2/regular-file-refused", func(t *testing.T) { testRegularFile(t, bin) })
	t.Run("B11/usage", func(t *testing.T) {
		p := startAsynctest(t, bin, nil, "a", "b")
		if code := p.waitExit(); code != 2 {
			t.Fatalf("exit status %d with two FILE arguments, want 2", code)
		}
	})
}

func testCopies(t *testing.T, bin string) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	p := startAsynctest(t, bin, pr, "-v")
	pr.Close()
	// R1: the descriptor is signal-driven: O_ASYNC (020000) in fdinfo.
	p.waitFor("O_ASYNC on fd 0", func() bool { return p.armed(0) })

	var sent []byte
	send := func(b []byte) {
		t.Helper()
		if _, err := pw.Write(b); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, b...)
	}
	send([]byte("hello\n"))
	p.waitOutput(sent)

	// One write of 60,000 bytes raises one signal; it must all come out
	// with no further input (LDD3's version would stop at 4096).
	send(randomBytes(60000, 1))
	p.waitOutput(sent)
	// The report follows the copy, on another pipe: wait for it too.
	p.waitFor("one notification draining all 60000 bytes", func() bool { return p.hasLine("POLL_IN 0x41: 60000 bytes") })

	r := rand.New(rand.NewPCG(2, 2))
	for range 200 {
		send(randomBytes(1+r.IntN(10000), r.Uint64()))
	}
	pw.Close()
	p.waitOutput(sent)
	p.waitFor("end of input reported", func() bool { return p.hasLine("end of input; still running") })

	// Still running after end of input, still armed, and then Ctrl-C.
	select {
	case <-p.exited:
		t.Fatalf("asynctest exited at end of input: %v", p.err)
	default:
	}
	if !p.armed(0) {
		t.Fatal("fd 0 lost O_ASYNC after end of input")
	}
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := p.waitExit(); code != 0 {
		t.Fatalf("exit status %d after SIGINT, want 0; stderr:\n%s", code, p.stderr())
	}
}

func testExitOnEOF(t *testing.T, bin string) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := startAsynctest(t, bin, pr, "--exit-on-eof", "-v")
	pr.Close()
	data := randomBytes(300000, 3)
	if _, err := pw.Write(data); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if code := p.waitExit(); code != 0 {
		t.Fatalf("exit status %d, want 0; stderr:\n%s", code, p.stderr())
	}
	if got := p.output(); !bytes.Equal(got, data) {
		t.Fatalf("output %d bytes, want the %d written", len(got), len(data))
	}
	// U10: -v reports the end of input before exiting, as -h says.
	if !p.hasLine("asynctest: end of input; exiting (--exit-on-eof)") {
		t.Errorf("U10: -v --exit-on-eof: no end-of-input line; stderr:\n%s", p.stderr())
	}
}

// testReaderIgnoresPOLLOUT: on a socket, writable from the start, -v
// reports only what a reader is told of: no POLL_OUT line, and the first
// notification is the data's (SPEC U10).
func testReaderIgnoresPOLLOUT(t *testing.T, bin string) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	in, peer := os.NewFile(uintptr(fds[0]), "in"), os.NewFile(uintptr(fds[1]), "peer")
	defer peer.Close()
	p := startAsynctest(t, bin, in, "-v", "--exit-on-eof")
	in.Close()
	p.waitFor("O_ASYNC on fd 0", func() bool { return p.armed(0) })
	if _, err := peer.Write([]byte("to read\n")); err != nil {
		t.Fatal(err)
	}
	p.waitOutput([]byte("to read\n"))
	peer.Close()
	if code := p.waitExit(); code != 0 {
		t.Fatalf("exit status %d, want 0; stderr:\n%s", code, p.stderr())
	}
	lines := strings.Split(p.stderr(), "\n")
	if len(lines) < 2 || !strings.Contains(lines[1], "POLL_IN") || !strings.HasSuffix(lines[1], ": 8 bytes") {
		t.Errorf("U10: the first notification reported is not the data's POLL_IN; stderr:\n%s", p.stderr())
	}
	if strings.Contains(p.stderr(), "POLL_OUT") {
		t.Errorf("U10: a reader reported POLL_OUT; stderr:\n%s", p.stderr())
	}
}

// testDataWaiting: input written before the program starts raises no
// signal; the readiness check after arming reports it.
func testDataWaiting(t *testing.T, bin string) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	data := randomBytes(20000, 4)
	if _, err := pw.Write(data); err != nil {
		t.Fatal(err)
	}
	p := startAsynctest(t, bin, pr, "-v")
	pr.Close()
	p.waitOutput(data)
	p.waitFor("the readiness check reported as the notification", func() bool { return p.hasLine("(polled): 20000 bytes") })
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.waitExit(); code != 0 {
		t.Fatalf("exit status %d after SIGINT, want 0", code)
	}
}

func testFIFO(t *testing.T, bin string) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	p := startAsynctest(t, bin, nil, "-exit-on-eof", "-v", path)
	p.waitFor("the FIFO armed", func() bool { return p.hasLine("is signal-driven") })
	// Opening for writing waits for the reader, which is open by now.
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(100000, 5)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if code := p.waitExit(); code != 0 {
		t.Fatalf("exit status %d, want 0; stderr:\n%s", code, p.stderr())
	}
	if got := p.output(); !bytes.Equal(got, data) {
		t.Fatalf("output %d bytes, want the %d written", len(got), len(data))
	}
}

func testRegularFile(t *testing.T, bin string) {
	path := filepath.Join(t.TempDir(), "regular")
	if err := os.WriteFile(path, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, c := range []struct {
		name  string
		stdin *os.File
		args  []string
	}{{"FILE", nil, []string{path}}, {"stdin", f, nil}} {
		p := startAsynctest(t, bin, c.stdin, c.args...)
		if code := p.waitExit(); code != 1 {
			t.Errorf("%s: exit status %d, want 1", c.name, code)
		}
		if !p.hasLine("cannot signal") {
			t.Errorf("%s: stderr %q does not say the file cannot signal", c.name, p.stderr())
		}
		if len(p.output()) != 0 {
			t.Errorf("%s: copied %q from a file it refused", c.name, p.output())
		}
	}
}

// testTerminal: standard input is a pty that is the process's controlling
// terminal, as in an interactive shell. The tty's fasync method resets the
// owner to the terminal's foreground process group when O_ASYNC goes on;
// only because the owner is set after O_ASYNC do the lines typed reach the
// watcher's thread (SPEC B11, R1).
func testTerminal(t *testing.T, bin string) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	defer m.Close()
	mfd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := startAsynctestAttr(t, bin, slave, &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}, "-v")
	slave.Close() // the child has its own copy
	p.waitFor("O_ASYNC on the terminal", func() bool { return p.armed(0) })
	// Echo goes back to the master; nobody needs it, but it must not fill
	// the pty, so read it away.
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := m.Read(buf); err != nil {
				return
			}
		}
	}()
	var sent []byte
	for i := range 5 {
		line := []byte(fmt.Sprintf("line %d typed at the terminal\n", i))
		if _, err := m.Write(line); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, line...)
		p.waitOutput(sent)
	}
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := p.waitExit(); code != 0 {
		t.Fatalf("exit status %d after SIGINT, want 0; stderr:\n%s", code, p.stderr())
	}
}
