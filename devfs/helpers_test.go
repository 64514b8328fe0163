package devfs_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
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
	"github.com/fasync-go/fasync/internal/fusetest"
	"github.com/fasync-go/fasync/internal/testutil"
	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

// patience bounds every wait for a condition. It only turns a hang into a
// failure; no test asserts how fast anything is.
const patience = 20 * time.Second

// A mounted export of scullpipe devices for one test.
type export struct {
	Dir   string
	K     *kernel.Kernel
	FS    *devfs.FS
	M     *devfs.Mount
	Pipes *scull.Pipes // nil for mountDriver
}

// dev is the path of device i.
func (e *export) dev(i int) string { return filepath.Join(e.Dir, fmt.Sprintf("scullpipe%d", i)) }

// hold keeps device i open (O_RDWR) in a process of its own until the
// test ends: scullpipe frees its buffer when the last file closes (B8),
// so data meant for a later opener needs a holder in between (B9).
func (e *export) hold(t testing.TB, i int) *proc {
	t.Helper()
	p := start(t, "sh", "-c", "exec 3<>"+e.dev(i)+"; echo held; exec sleep 100000")
	p.expect("held")
	return p
}

// requireFUSE skips the test when the machine cannot mount FUSE, naming
// the missing piece.
func requireFUSE(t testing.TB) {
	t.Helper()
	if err := devfs.CheckHost(); err != nil {
		t.Skipf("skipping: %v", err)
	}
}

// requireFusectl skips t unless the fusectl file system, which
// Mount.Abort writes to, is mounted on /sys/fs/fuse/connections. Tests
// call it before they mount anything.
func requireFusectl(t testing.TB) {
	t.Helper()
	if ok, err := devfs.Mounted("/sys/fs/fuse/connections"); err != nil || !ok {
		t.Skip("skipping: fusectl is not mounted on /sys/fs/fuse/connections (mount -t fusectl none /sys/fs/fuse/connections)")
	}
}

// transports are the transports every mount test runs on, as subtests.
var transports = []devfs.Transport{devfs.Classic, devfs.URing}

// forEachTransport runs f as a subtest per transport ("classic",
// "uring").
func forEachTransport(t *testing.T, f func(t *testing.T, tr devfs.Transport)) {
	t.Helper()
	for _, tr := range transports {
		t.Run(tr.String(), func(t *testing.T) { f(t, tr) })
	}
}

// mountScull mounts n scullpipe devices of size bytes on a fresh
// directory, served over transport tr. Cleanup unmounts (lazily, so a
// test that failed with files open leaves no stale mount), waits for
// serving to end and closes the kernel.
func mountScull(t testing.TB, tr devfs.Transport, n, size int) *export {
	t.Helper()
	requireFUSE(t)
	requireTransport(t, tr)
	k := kernel.New(kernel.Config{})
	pipes, err := scull.Register(k, scull.Config{Devices: n, Size: size})
	if err != nil {
		t.Fatalf("scull.Register: %v", err)
	}
	e := mountKernel(t, tr, k, pipes.AppendStatus)
	e.Pipes = pipes
	return e
}

// mountDriver mounts a fresh model kernel whose one device is drv, under
// name, as mountScull does.
func mountDriver(t testing.TB, tr devfs.Transport, name string, drv kernel.Driver) *export {
	t.Helper()
	k := kernel.New(kernel.Config{})
	if err := k.Register(name, drv); err != nil {
		t.Fatal(err)
	}
	return mountKernel(t, tr, k, nil)
}

// mountKernel mounts the devices of k, and a status file when status is
// not nil, as mountScull does.
func mountKernel(t testing.TB, tr devfs.Transport, k *kernel.Kernel, status func([]byte, int) ([]byte, bool)) *export {
	t.Helper()
	requireFUSE(t)
	requireTransport(t, tr)
	dir := t.TempDir()
	fsys := devfs.New(k, devfs.Options{Status: status, Transport: tr})
	m, err := fsys.Mount(dir)
	if err != nil {
		k.Close()
		t.Fatalf("mount (%v): %v", tr, err)
	}
	t.Cleanup(func() {
		if err := devfs.Unmount(dir, true); err != nil && !errors.Is(err, syscall.EINVAL) {
			t.Errorf("lazy unmount: %v", err)
		}
		select {
		case <-m.Done():
		case <-time.After(patience):
			t.Errorf("serving did not end within %v of the unmount; aborting the connection: %v", patience, m.Abort())
			k.Close() // wakes any handler still sleeping in a driver
		}
		select {
		case <-m.Done():
			m.Close()
		case <-time.After(patience):
			t.Errorf("serving did not end after the abort either")
		}
		k.Close()
	})
	if got := m.Transport(); got != tr {
		t.Fatalf("mounted with transport %v, serves %v", tr, got) // after the cleanup is registered: the mount goes too
	}
	return &export{Dir: dir, K: k, FS: fsys, M: m}
}

// requireTransport skips t when transport tr cannot be used here.
func requireTransport(t testing.TB, tr devfs.Transport) {
	t.Helper()
	if tr == devfs.URing {
		fusetest.RequireURing(t)
	}
}

// Syscall numbers (x86-64) a client sleeps in while it waits.
const (
	sysRead           = 0
	sysPoll           = 7
	sysRtSigtimedwait = 128
	sysClockNanosleep = 230 // sleep(3)
)

var sysWaits = map[int]bool{7: true, 23: true, 232: true, 270: true, 271: true, 281: true, 441: true} // poll select epoll_wait pselect6 ppoll epoll_pwait epoll_pwait2

// inSyscall reports which system call pid is sleeping in, or -1.
func inSyscall(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/syscall")
	if err != nil {
		return -1
	}
	nr, err := strconv.Atoi(strings.Fields(string(b) + " x")[0])
	if err != nil {
		return -1
	}
	return nr
}

// waitBlocked waits until process pid sleeps in one of the system calls.
func waitBlocked(t testing.TB, pid int, nrs ...int) {
	t.Helper()
	testutil.WaitFor(t, fmt.Sprintf("pid %d to block in syscall %v", pid, nrs), func() bool {
		nr := inSyscall(pid)
		for _, want := range nrs {
			if nr == want {
				return true
			}
		}
		return false
	})
}

// waitQueued waits until n reads are queued on scullpipe i of e (B10's
// QueuedReads): their READs have reached the server and wait in the
// driver. A client in read(2) may not have got that far, and on the
// io_uring transport a signal that lands while its READ is on the way to
// the server brings no INTERRUPT at all (see doc.go): the client then
// waits, unkillable, for an answer. So a test that signals a blocked
// reader waits for this first.
func (e *export) waitQueued(t testing.TB, i, n int) {
	t.Helper()
	testutil.WaitFor(t, fmt.Sprintf("%d reads queued on scullpipe%d", n, i), func() bool {
		return e.Pipes.Pipe(i).Status().QueuedReads == n
	})
}

// A proc is a client process with its output collected line by line.
type proc struct {
	t     testing.TB
	cmd   *exec.Cmd
	lines chan string
	out   bytes.Buffer // raw stdout, complete after wait
	mu    sync.Mutex
	done  chan struct{}
	err   error
}

// start runs name with args; cleanup kills it if still running.
func start(t testing.TB, name string, args ...string) *proc {
	t.Helper()
	return startIn(t, nil, name, args...)
}

// startIn is start with the process's standard input read from stdin.
func startIn(t testing.TB, stdin io.Reader, name string, args ...string) *proc {
	t.Helper()
	return startCmd(t, stdin, exec.Command(name, args...))
}

// startCmd starts cmd, which start and startIn make, with its standard
// input read from stdin; cleanup kills it if still running.
func startCmd(t testing.TB, stdin io.Reader, cmd *exec.Cmd) *proc {
	t.Helper()
	name := cmd.Path
	p := &proc{t: t, cmd: cmd, lines: make(chan string, 1024), done: make(chan struct{})}
	p.cmd.Stdin = stdin
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	p.cmd.Stderr = &stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		r := bufio.NewReader(stdout)
		for {
			line, err := r.ReadString('\n')
			p.mu.Lock()
			p.out.WriteString(line)
			p.mu.Unlock()
			if line != "" {
				p.lines <- strings.TrimSuffix(line, "\n")
			}
			if err != nil {
				break
			}
		}
		p.err = p.cmd.Wait()
		if stderr.Len() > 0 {
			t.Logf("%s stderr: %s", name, stderr.Bytes())
		}
		close(p.lines)
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// pid returns the process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// expect reads the next output line and fails unless it equals want.
func (p *proc) expect(want string) {
	p.t.Helper()
	if got := p.next(); got != want {
		p.t.Fatalf("%s: got line %q, want %q", p.cmd.Args[0], got, want)
	}
}

// next returns the next output line ("" after exit).
func (p *proc) next() string {
	p.t.Helper()
	select {
	case l := <-p.lines:
		return l
	case <-time.After(patience):
		p.t.Fatalf("%s printed nothing within %v", p.cmd.Args, patience)
		return ""
	}
}

// wait waits for exit and returns the exit error (nil for status 0).
func (p *proc) wait() error {
	p.t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(patience):
		p.t.Fatalf("%s did not exit within %v\n%s", p.cmd.Args, patience, stuck(p.pid()))
		return nil
	}
}

// stuck describes where process pid and its children sleep, for the
// message of a test that caught a hang.
func stuck(pid int) string {
	var b strings.Builder
	pids := []int{pid}
	if kids, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid)); err == nil {
		for _, f := range strings.Fields(string(kids)) {
			if k, err := strconv.Atoi(f); err == nil {
				pids = append(pids, k)
			}
		}
	}
	for _, p := range pids {
		sc, _ := os.ReadFile(fmt.Sprintf("/proc/%d/syscall", p))
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stack", p))
		fmt.Fprintf(&b, "pid %d syscall %s%s", p, sc, st)
	}
	return b.String()
}

// output is everything the process printed; valid after wait.
func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// run runs a client to completion and returns its stdout, trimmed.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	p := start(t, name, args...)
	if err := p.wait(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, p.output())
	}
	return strings.TrimSpace(p.output())
}

// runStatus runs a client to completion whatever its exit status (the
// clients report an errno by name and a non-zero status) and returns its
// stdout, trimmed.
func runStatus(t testing.TB, name string, args ...string) string {
	t.Helper()
	p := start(t, name, args...)
	p.wait()
	return strings.TrimSpace(p.output())
}

// Test clients built with gcc once per test binary.
var (
	clientsOnce sync.Once
	clientsDir  string
	clientsErr  error
)

// cclient returns the path of testdata/NAME.c built with gcc, skipping
// the test when gcc is missing.
func cclient(t testing.TB, name string) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("skipping: gcc not found (apt-get install gcc)")
	}
	clientsOnce.Do(func() {
		clientsDir, clientsErr = os.MkdirTemp("", "devfs-clients")
		if clientsErr != nil {
			return
		}
		for _, c := range []string{"devclient", "fbench", "asynctest", "sigclient", "privclient", "waitclient", "ldd3asynctest", "ldd3polltest", "ldd3nbtest", "execclient"} {
			out, err := exec.Command("gcc", "-O2", "-Wall", "-pthread", "-o", filepath.Join(clientsDir, c),
				filepath.Join("testdata", c+".c")).CombinedOutput()
			if err != nil {
				clientsErr = fmt.Errorf("gcc %s.c: %v\n%s", c, err, out)
				return
			}
		}
	})
	if clientsErr != nil {
		t.Fatal(clientsErr)
	}
	return filepath.Join(clientsDir, name)
}

// python returns the python3 interpreter, skipping when it is missing.
// It resolves the real executable once, since a version manager's shim
// (pyenv) adds a shell start-up to every run.
func python(t testing.TB) string {
	t.Helper()
	pythonOnce.Do(func() {
		out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
		if err == nil {
			pythonPath = strings.TrimSpace(string(out))
		}
	})
	if pythonPath == "" {
		t.Skip("skipping: python3 not found (apt-get install python3)")
	}
	return pythonPath
}

var (
	pythonOnce sync.Once
	pythonPath string
)

func TestMain(m *testing.M) {
	testutil.CloseInheritedOnExec() // si_fd checks expect a client's first open at descriptor 3
	code := m.Run()
	if clientsDir != "" {
		os.RemoveAll(clientsDir)
	}
	os.Exit(code)
}

// mounted reports whether dir is a mount point.
func mounted(t testing.TB, dir string) bool {
	t.Helper()
	ok, err := devfs.Mounted(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// The test process never opens a file of its own mount with os.Open:
// Go registers every pollable file with its netpoller, and FUSE files are
// pollable, so the runtime's own epoll_wait would call back into this
// very server (FUSE_POLL) from a thread the server may need, and the
// process can deadlock itself. Files are read by subprocesses, or opened
// with raw system calls as below.

// openRaw opens path with flags and closes it again, without the
// netpoller, and reports the open's error.
func openRaw(path string, flags int) error {
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0o666)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	return unix.Close(fd)
}
