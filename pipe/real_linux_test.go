package pipe_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// realSys runs the scenarios' system calls on the real kernel, all on one
// OS thread (the "main" thread of the scenario), so that the signals the
// kernel aims at that thread can be read exactly: the thread blocks every
// signal a scenario may raise and reads them from a signalfd, and the
// scenarios make that thread the owner with F_SETOWN_EX F_OWNER_TID. A
// blocked SIGPIPE leaves write to return EPIPE and waits in the signalfd
// (the Go runtime's special handling of SIGPIPE covers descriptors 1 and 2
// only, and a blocked signal never reaches a handler).
type realSys struct {
	tid int
	sfd int
	// otherSfd is the signalfd of the other thread, read on that thread.
	otherSfd int
	// opened are the descriptors the scenario made; cleanup closes what
	// is left. Background calls open descriptors too, so mu guards it.
	mu     sync.Mutex
	opened map[int]bool
	// dir holds the scenario's FIFOs.
	dir string
	// second is the thread for calls that sleep; other is a live thread
	// that owners may name; group is a child process leading its own
	// process group; gone is an id that names no thread or group.
	second, other *thread
	group         int
	gone          int
}

// A thread is a goroutine locked to an OS thread that runs the functions it
// is given, one at a time. Its goroutine never unlocks, so when it returns
// the OS thread exits with its signal mask, and signals still pending on it
// die with it.
type thread struct {
	tid  int
	reqs chan func()
}

// newThread starts a thread whose signal mask blocks the watched signals.
func newThread(t testing.TB) *thread {
	th := &thread{reqs: make(chan func())}
	ready := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		set := sigset(watched)
		if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
			ready <- err
			return
		}
		th.tid = unix.Gettid()
		ready <- nil
		for f := range th.reqs {
			f()
		}
	}()
	if err := <-ready; err != nil {
		t.Fatalf("thread: sigmask: %v", err)
	}
	return th
}

// do runs f on the thread and waits for it.
func (th *thread) do(f func()) {
	done := make(chan struct{})
	th.reqs <- func() { f(); close(done) }
	<-done
}

// start runs f on the thread and returns at once; the channel is closed
// when f has returned.
func (th *thread) start(f func()) <-chan struct{} {
	done := make(chan struct{})
	th.reqs <- func() { f(); close(done) }
	return done
}

// stop ends the thread (the OS thread exits).
func (th *thread) stop() { close(th.reqs) }

func sigset(sigs []int) unix.Sigset_t {
	var set unix.Sigset_t
	for _, s := range sigs {
		set.Val[(s-1)/64] |= 1 << ((s - 1) % 64)
	}
	return set
}

func newRealSys(t testing.TB) (*realSys, *thread) {
	th := newThread(t)
	r := &realSys{tid: th.tid, opened: map[int]bool{}, group: groupLeader(t)}
	var err error
	th.do(func() {
		set := sigset(watched)
		r.sfd, err = unix.Signalfd(-1, &set, unix.SFD_NONBLOCK|unix.SFD_CLOEXEC)
	})
	if err != nil {
		th.stop()
		t.Fatalf("signalfd: %v", err)
	}
	return r, th
}

// errnoOf reduces an error to its errno (nil stays nil).
func errnoOf(err error) error {
	var e unix.Errno
	if errors.As(err, &e) {
		return e
	}
	return err
}

func fcntlRaw(fd, cmd int, arg uintptr) (int, error) {
	r, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), uintptr(cmd), arg)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// sigs reads every signal pending for the thread, in the order signalfd
// gives them (lowest number first, real-time ones in queue order).
func (r *realSys) sigs() []sigRec { return readSignals(r.sfd) }

func readSignals(sfd int) []sigRec {
	var out []sigRec
	buf := make([]byte, 128*16)
	for {
		n, err := unix.Read(sfd, buf)
		if err != nil || n <= 0 {
			return out
		}
		for off := 0; off+128 <= n; off += 128 {
			si := (*unix.SignalfdSiginfo)(unsafe.Pointer(&buf[off]))
			out = append(out, sigRec{Signo: int(si.Signo), Code: int(si.Code), Fd: int(si.Fd),
				Band: int(si.Band), Pid: int(si.Pid)})
		}
	}
}

// sleeping reports whether thread tid is asleep in the kernel (state S).
func sleeping(tid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", tid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'S'
}

// The sys methods run on the scenario thread.

func (r *realSys) pipe2(flags int) (int, int, error) {
	var p [2]int
	err := unix.Pipe2(p[:], flags)
	if err == nil {
		r.keep(p[0])
		r.keep(p[1])
	}
	return p[0], p[1], errnoOf(err)
}

func (r *realSys) fcntl(fd, cmd, arg int) (int, error) {
	v, err := fcntlRaw(fd, cmd, uintptr(arg))
	if cmd == unix.F_GETOWN && err != nil {
		// A group id below 4096 comes back as -pgid, which the raw syscall
		// cannot tell from an errno (fcntl(2) BUGS): F_GETOWN has no
		// errors on a valid descriptor, so anything but EBADF is a group.
		if e := err.(unix.Errno); e != unix.EBADF {
			return -int(e), nil
		}
	}
	if (cmd == unix.F_DUPFD || cmd == unix.F_DUPFD_CLOEXEC) && err == nil {
		r.keep(v)
	}
	return v, err
}

type fOwnerEx struct {
	Type int32
	Pid  int32
}

func (r *realSys) setownEx(fd, typ, id int) error {
	o := fOwnerEx{int32(typ), int32(id)}
	_, err := fcntlRaw(fd, unix.F_SETOWN_EX, uintptr(unsafe.Pointer(&o)))
	return err
}

func (r *realSys) getownEx(fd int) (int, int, error) {
	var o fOwnerEx
	_, err := fcntlRaw(fd, unix.F_GETOWN_EX, uintptr(unsafe.Pointer(&o)))
	return int(o.Type), int(o.Pid), err
}

func (r *realSys) read(fd, n int) ([]byte, error) {
	buf := make([]byte, n)
	got, err := unix.Read(fd, buf)
	if err != nil {
		return nil, errnoOf(err)
	}
	return buf[:got], nil
}

func (r *realSys) write(fd int, p []byte) (int, error) {
	n, err := unix.Write(fd, p)
	if err != nil {
		return 0, errnoOf(err)
	}
	return n, nil
}

func (r *realSys) poll(fd int, events int16) (int16, error) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: events}}
	_, err := unix.Poll(fds, 0)
	return fds[0].Revents, errnoOf(err)
}

func (r *realSys) close(fd int) error {
	r.mu.Lock()
	delete(r.opened, fd)
	r.mu.Unlock()
	return errnoOf(unix.Close(fd))
}

// keep records a descriptor the scenario made, for cleanup.
func (r *realSys) keep(fd int) {
	r.mu.Lock()
	r.opened[fd] = true
	r.mu.Unlock()
}

func (r *realSys) dup(fd int) (int, error) {
	nfd, err := unix.Dup(fd)
	if err == nil {
		r.keep(nfd)
	}
	return nfd, errnoOf(err)
}

// ioctl makes the int commands the scenarios use: FIONREAD's answer is
// the int it writes; FIOASYNC and FIONBIO take a pointer to arg.
func (r *realSys) ioctl(fd, req, arg int) (int, error) {
	if req == fionread {
		n, err := unix.IoctlGetInt(fd, uint(req))
		return n, errnoOf(err)
	}
	return 0, errnoOf(unix.IoctlSetPointerInt(fd, uint(req), arg))
}

func (r *realSys) signals() []sigRec { return r.sigs() }

func (r *realSys) cleanup() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for fd := range r.opened {
		unix.Close(fd)
	}
	unix.Close(r.sfd)
	if taskExists(r.other.tid) {
		unix.Close(r.otherSfd)
	}
}

// otherSignals reads the other thread's signals, on that thread.
func (r *realSys) otherSignals() []sigRec {
	var out []sigRec
	if taskExists(r.other.tid) {
		r.other.do(func() { out = readSignals(r.otherSfd) })
	}
	return out
}

// groupLeader returns the pid of a child process alone in a process group
// of its own, for owners naming a group; it is killed when the test ends.
// Signals are never aimed at it: its default action for SIGIO is to die.
func groupLeader(t testing.TB) int {
	if groupPid != 0 {
		return groupPid
	}
	p, err := os.StartProcess("/bin/sleep", []string{"sleep", "600"}, &os.ProcAttr{
		Sys: &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		t.Skipf("no /bin/sleep to lead a process group: %v", err)
	}
	groupPid = p.Pid
	groupProc = p
	return groupPid
}

var (
	groupPid  int
	groupProc *os.Process
)

// noSuchID returns an id no thread, process or group can have: pid_max
// (ids are below it). A thread that has exited would do only until the
// machine hands its id to someone else, which a busy machine does.
func noSuchID(t testing.TB) int {
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err == nil {
		var max int
		if _, err = fmt.Sscan(string(b), &max); err == nil && max > 0 {
			return max
		}
	}
	return exitedTid(t)
}

// exitedTid returns the id of a thread that has run and exited.
func exitedTid(t testing.TB) int {
	th := newThread(t)
	tid := th.tid
	th.stop()
	if !waitFor(func() bool { return !taskExists(tid) }) {
		t.Fatalf("thread %d did not exit", tid)
	}
	return tid
}

func taskExists(tid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", tid))
	return err == nil
}

func (r *realSys) ids() map[string]int {
	return map[string]int{"me": r.tid, "pid": unix.Getpid(), "other": r.other.tid, "pgrp": r.group, "gone": r.gone,
		"second": r.second.tid}
}

// exitOther ends the other thread and waits until it is gone.
func (r *realSys) exitOther() {
	tid := r.other.tid
	r.other.stop()
	unix.Close(r.otherSfd)
	waitFor(func() bool { return !taskExists(tid) })
}

type realCall struct {
	done <-chan struct{}
	data []byte
	n    int
	err  error
}

func (c *realCall) wait() ([]byte, int, error) {
	select {
	case <-c.done:
		return c.data, c.n, c.err
	case <-time.After(10 * time.Second):
		return nil, 0, errors.New("still asleep after 10s")
	}
}

// startCall runs the call on the second thread and waits until that
// thread sleeps inside it: /proc's syscall file shows read (0) or write (1)
// on fd while the thread is blocked in it.
func (r *realSys) startCall(fd, n int, p []byte) (pendingCall, bool) {
	c := &realCall{}
	c.done = r.second.start(func() {
		if p == nil {
			buf := make([]byte, n)
			c.n, c.err = unix.Read(fd, buf)
			if c.err == nil {
				c.data = buf[:c.n]
			}
		} else {
			c.n, c.err = unix.Write(fd, p)
		}
		c.err = errnoOf(c.err)
	})
	nr := "0"
	if p != nil {
		nr = "1"
	}
	want := fmt.Sprintf("%s %#x ", nr, fd)
	asleep := waitFor(func() bool {
		select {
		case <-c.done:
			return true
		default:
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/syscall", r.second.tid))
		return err == nil && strings.HasPrefix(string(b), want) && sleeping(r.second.tid)
	})
	select {
	case <-c.done:
		asleep = false
	default:
	}
	return c, asleep
}

// The capabilities the pipe checks for privilege: CAP_SYS_ADMIN (21) and
// CAP_SYS_RESOURCE (24).
const privCaps = 1<<21 | 1<<24

// setPrivileged raises or drops the privilege capabilities in the calling
// thread's effective set (capabilities are per thread); the permitted set
// keeps them, so they can be raised again.
func setPrivileged(on bool) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	if on {
		data[0].Effective |= data[0].Permitted & privCaps
	} else {
		data[0].Effective &^= privCaps
	}
	return unix.Capset(&hdr, &data[0])
}

// setresuid changes the calling thread's uids only: the raw system call,
// not the C library's, which would change every thread's.
func setresuid(r, e, s int) error {
	if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(r), uintptr(e), uintptr(s)); errno != 0 {
		return errno
	}
	return nil
}

// hasResourceCap reports whether the calling thread has CAP_SYS_RESOURCE
// in its effective set (root in a container often has not).
func hasResourceCap() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	return unix.Capget(&hdr, &data[0]) == nil && data[0].Effective&(1<<24) != 0
}

// runReal runs a scenario on the real kernel and returns its transcript.
func runReal(t *testing.T, sc scenario) *env {
	if sc.privileged && !hasResourceCap() {
		t.Skip("needs CAP_SYS_RESOURCE, which this process lacks")
	}
	if sc.uid != 0 && unix.Geteuid() != 0 {
		t.Skip("needs root, to run a thread as another user")
	}
	r, th := newRealSys(t)
	r.second, r.other = newThread(t), newThread(t)
	r.dir = t.TempDir()
	r.gone = noSuchID(t)
	var serr error
	r.other.do(func() {
		set := sigset(watched)
		r.otherSfd, serr = unix.Signalfd(-1, &set, unix.SFD_NONBLOCK|unix.SFD_CLOEXEC)
	})
	if serr != nil {
		t.Fatalf("signalfd: %v", serr)
	}
	defer func() {
		r.cleanup()
		th.stop()
		r.second.stop()
		if taskExists(r.other.tid) {
			r.other.stop()
		}
	}()
	var e *env
	var perr error
	th.do(func() {
		e = newEnv(r)
		e.holding = sc.masks
		if sc.uid != 0 {
			if perr = setresuid(sc.uid, sc.uid, 0); perr != nil {
				return
			}
			defer func() { perr = setresuid(0, 0, 0) }()
		}
		if sc.unprivileged {
			if perr = setPrivileged(false); perr != nil {
				return
			}
			defer func() { perr = setPrivileged(true) }()
		}
		sc.run(e)
	})
	if perr != nil {
		t.Fatalf("capabilities: %v", perr)
	}
	return e
}
