package devfs

import (
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/testutil"
)

// F4: the owner's recorded ids are judged by sigio_perm: root's euid,
// or a real or effective id equal to the target's real or saved uid. A
// status file that misses a field, or says nothing at all, gives an
// unknown cred, and nobody may signal a target of unknown ids: a failed
// read never reads as root.
func TestBridgeOwnerIdsRule(t *testing.T) {
	if !userNS().initial {
		t.Skip("not in the initial user namespace, where root's euid is root's")
	}
	root := fown{}
	user := fown{uid: 1000, euid: 1000}
	userCred := cred{known: true, uid: 1000, euid: 1000, suid: 1000}
	rootCred := cred{known: true}
	if _, ok := parseStatus([]byte("Tgid:\t1\nUid:\t0\t0\t0\t0\n")); ok {
		t.Fatal("a status without the signal masks parsed")
	}
	st, ok := parseStatus(nil)
	if ok || st.cred.known {
		t.Fatal("an empty status gave a known cred")
	}
	for _, c := range []struct {
		name string
		from fown
		to   cred
		want bool
	}{
		{"F4/root", root, userCred, true},
		{"F4/same-user", user, userCred, true},
		{"F4/user-to-root", user, rootCred, false},
		{"F4/dropped-ids-to-root", fown{uid: 65534, euid: 65534}, rootCred, false},
		{"F4/euid-is-saved-uid", fown{uid: 5, euid: 1000}, cred{known: true, uid: 7, euid: 7, suid: 1000}, true},
		{"F4/uid-is-target-uid", fown{uid: 7, euid: 5}, cred{known: true, uid: 7, euid: 8, suid: 8}, true},
		{"F4/target-euid-only", fown{uid: 5, euid: 5}, cred{known: true, uid: 7, euid: 5, suid: 7}, false},
		{"F4/unknown-target", root, st.cred, false},
	} {
		if got := c.from.mayKill(c.to); got != c.want {
			t.Errorf("%s: mayKill = %v, want %v", c.name, got, c.want)
		}
	}
}

// F2: a thread asleep in rt_sigtimedwait is seen waiting for the
// signals of its set, and for no other, though its status shows them
// unblocked for the wait. SIGKILL and SIGSTOP in the set in memory do
// not count: the kernel takes them out of the waited set, and would kill
// (stop) the process for them.
func TestBridgeSeesSigwait(t *testing.T) {
	const sig = 50
	tid := make(chan int)
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // the thread ends with the goroutine
		var set unix.Sigset_t
		set.Val[(sig-1)/64] |= 1 << ((sig - 1) % 64)
		if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
			done <- err
			return
		}
		set.Val[0] |= sigBit(int(unix.SIGKILL)) | sigBit(int(unix.SIGSTOP))
		tid <- unix.Gettid()
		ts := unix.Timespec{Sec: 20}
		_, _, e := unix.Syscall6(unix.SYS_RT_SIGTIMEDWAIT, uintptr(unsafe.Pointer(&set)), 0, uintptr(unsafe.Pointer(&ts)), 8, 0, 0)
		if e != 0 {
			done <- e
			return
		}
		done <- nil
	}()
	id := <-tid
	pid := os.Getpid()
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/task/"+strconv.Itoa(id)+"/syscall", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	deadline := time.Now().Add(10 * time.Second)
	for waitsFor(sys{}, pid, fd, sig) != waitYes {
		if time.Now().After(deadline) {
			t.Fatal("the thread in rt_sigtimedwait was never seen waiting for its signal")
		}
		runtime.Gosched()
	}
	if waitsFor(sys{}, pid, fd, sig+1) != waitNo {
		t.Fatal("the thread was seen waiting for a signal outside its set")
	}
	for _, s := range []unix.Signal{unix.SIGKILL, unix.SIGSTOP} {
		if waitsFor(sys{}, pid, fd, int(s)) != waitNo {
			t.Errorf("the thread was seen waiting for %v, which rt_sigtimedwait never waits for", s)
		}
	}
	if err := unix.Tgkill(pid, id, sig); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// F2: sigwaitSet reads only an rt_sigtimedwait line.
func TestBridgeSigwaitLine(t *testing.T) {
	nr := strconv.Itoa(unix.SYS_RT_SIGTIMEDWAIT)
	if a, n, ok := sigwaitSet([]byte(nr + " 0x7ffd1000 0x0 0x0 0x8 0x0 0x0 0x7ffd0f00 0x7f00")); !ok || a != 0x7ffd1000 || n != 8 {
		t.Fatalf("sigwaitSet = %#x %d %v", a, n, ok)
	}
	for _, l := range []string{"running", "0 0x3 0x7ffd 0x80 0x0 0x0 0x0 0x1 0x2", nr + " 0x10 0x0 0x0 0x0 0x0 0x0 0x1 0x2", ""} {
		if _, _, ok := sigwaitSet([]byte(l)); ok {
			t.Errorf("sigwaitSet(%q) found a wait", l)
		}
	}
}

// userfaultfd's ioctls and structures (include/uapi/linux/userfaultfd.h).
const (
	uffdAPI        = 0xaa
	uffdioAPI      = 0xc018aa3f
	uffdioReg      = 0xc020aa00
	uffdioZero     = 0xc020aa04
	uffdRegMissing = 1
)

// F2, F8: a read of a client's memory that sleeps on a page nobody fills
// (a userfaultfd region here; a page of a stalled FUSE file is the same)
// holds the worker up for callPatience at most; while it sleeps, other
// reads of that process fail at once; once the page comes, reads work
// again.
func TestBridgeMemReadBounded(t *testing.T) {
	uffd, _, e := unix.Syscall(unix.SYS_USERFAULTFD, unix.O_CLOEXEC|unix.O_NONBLOCK, 0, 0)
	if e != 0 {
		t.Skipf("userfaultfd: %v (needs root or vm.unprivileged_userfaultfd=1)", e)
	}
	defer unix.Close(int(uffd))
	api := [3]uint64{uffdAPI, 0, 0}
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uffd, uffdioAPI, uintptr(unsafe.Pointer(&api))); e != 0 {
		t.Fatalf("UFFDIO_API: %v", e)
	}
	page := os.Getpagesize()
	mem, err := unix.Mmap(-1, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	addr := uintptr(unsafe.Pointer(&mem[0]))
	reg := [4]uint64{uint64(addr), uint64(page), uffdRegMissing, 0}
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uffd, uffdioReg, uintptr(unsafe.Pointer(&reg))); e != 0 {
		t.Fatalf("UFFDIO_REGISTER: %v", e)
	}
	var m bounded
	buf := make([]byte, 8)
	if err := (sys{calls: &m}).readMem(os.Getpid(), addr, buf); err != unix.ETIMEDOUT {
		t.Fatalf("read of a page nobody fills: %v, want ETIMEDOUT", err)
	}
	if err := (sys{calls: &m}).readMem(os.Getpid(), addr, buf); err != unix.EBUSY {
		t.Fatalf("read while one sleeps: %v, want EBUSY", err)
	}
	// Fill the page: the sleeping read ends, and the next one works.
	zero := [4]uint64{uint64(addr), uint64(page), 0, 0}
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uffd, uffdioZero, uintptr(unsafe.Pointer(&zero))); e != 0 {
		t.Fatalf("UFFDIO_ZEROPAGE: %v", e)
	}
	deadline := time.Now().Add(10 * time.Second)
	for m.asleep() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the sleeping read did not end once the page came")
		}
		runtime.Gosched()
	}
	if err := (sys{calls: &m}).readMem(os.Getpid(), addr, buf); err != nil {
		t.Fatalf("read of the filled page: %v", err)
	}
	unix.Munmap(mem)
}

// F2, F5: a descriptor that is not a file of the watched node (a client
// put another file there after the bridge looked) is never polled nor
// kept: probe refuses it and closes the duplicate, off the worker. With
// maxClosing such closes under way it takes no duplicate at all.
func TestBridgeProbeRefusesForeign(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	b := &bridge{self: os.Getpid(), dups: map[int]bool{}, mnt: 1, base: dupBase, logf: t.Logf}
	w := &watch{b: b, id: 1, ino: 1 << 40, dup: -1}
	// copies counts this process's descriptors of the pipe's read end.
	copies := func() int {
		n := 0
		for _, fd := range pids("/proc/self/fd") {
			if kcmpFile(b.self, fd, b.self, p[0]) {
				n++
			}
		}
		return n
	}
	if w.probe(b, b.self, p[0]) {
		t.Fatal("probe kept a pipe as the watched file")
	}
	testutil.WaitFor(t, "the foreign duplicate to be closed", func() bool { return b.closing.Load() == 0 && copies() == 1 })
	if w.dup != -1 || len(b.dups) != 0 {
		t.Fatalf("dup %d, bridge duplicates %v after a refused probe", w.dup, b.dups)
	}
	b.closing.Store(maxClosing)
	if w.probe(b, b.self, p[0]) || copies() != 1 {
		t.Fatal("probe took a duplicate while foreign closes were under way")
	}
}

// F4: the status parse reads the effective capabilities SigioAvailable
// looks at (CAP_SYS_PTRACE lets the bridge read other users' files).
func TestBridgeStatusCaps(t *testing.T) {
	st, ok := parseStatus([]byte("Tgid:\t7\nUid:\t1\t1\t1\t1\nSigBlk:\t0\nSigIgn:\t0\nSigCgt:\t0\nCapEff:\t0000000000080000\n"))
	if !ok || st.capEff != 1<<unix.CAP_SYS_PTRACE || st.tgid != 7 {
		t.Fatalf("parseStatus = %+v %v, want CapEff CAP_SYS_PTRACE alone", st, ok)
	}
}
