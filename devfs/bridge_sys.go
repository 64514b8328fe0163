package devfs

import (
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/linux"
)

// A sys makes the system calls the signal bridge makes on a file's
// behalf, and counts each one where it is made into n, when n is set: the
// calls made where the driver raised a notification count into
// SigioStats.Inline (bridge.inline), the worker's count nowhere
// (bridge.worker). None of the inline path's calls makes a FUSE request
// or touches a client's memory, so they may run on a transport thread;
// readMem, which may fault on a client's page, is the worker's (mem).
type sys struct {
	n   *atomic.Uint64
	mem *memReads
}

// inlinePath reports whether s is the inline path's: there the bridge
// leaves to the worker what takes more than a few system calls.
func (s sys) inlinePath() bool { return s.n != nil }

func (s sys) count() {
	if s.n != nil {
		s.n.Add(1)
	}
}

// sameFile reports whether descriptor fd1 of process pid1 and fd2 of
// pid2 refer to the same open file description (kcmp KCMP_FILE).
func (s sys) sameFile(pid1, fd1, pid2, fd2 int) bool {
	s.count()
	r, _, e := unix.Syscall6(unix.SYS_KCMP, uintptr(pid1), uintptr(pid2), linux.KCMP_FILE, uintptr(fd1), uintptr(fd2), 0)
	return e == 0 && r == 0
}

// owner returns the owner of the open file fd, its F_SETSIG signal and
// the ids of the process that set it: three fcntl calls.
func (s sys) owner(fd int) (fown, error) {
	var f fown
	var err error
	s.count()
	if f.own, err = linux.GetOwnEx(fd); err != nil {
		return f, err
	}
	s.count()
	if f.sig, err = unix.FcntlInt(uintptr(fd), unix.F_GETSIG, 0); err != nil {
		return f, err
	}
	s.count()
	uid, euid, err := linux.GetOwnerUids(fd)
	f.uid, f.euid = int(uid), int(euid)
	return f, err
}

// pread reads a /proc file kept open from its start (a /proc file
// regenerates at offset 0).
func (s sys) pread(fd int, buf []byte) (int, error) {
	s.count()
	return unix.Pread(fd, buf, 0)
}

// readMem reads len(buf) bytes at addr in process pid
// (process_vm_readv: ptrace access, as pidfd_getfd needs). With s.mem
// set it waits at most memPatience (see memReads).
func (s sys) readMem(pid int, addr uintptr, buf []byte) error {
	s.count()
	if s.mem == nil {
		return readMem(pid, addr, buf)
	}
	return s.mem.read(pid, addr, buf)
}

func readMem(pid int, addr uintptr, buf []byte) error {
	local := []unix.Iovec{{Base: &buf[0]}}
	local[0].SetLen(len(buf))
	remote := []unix.RemoteIovec{{Base: addr, Len: len(buf)}}
	n, err := unix.ProcessVMReadv(pid, local, remote, 0)
	if err == nil && n != len(buf) {
		err = unix.EFAULT
	}
	return err
}

// memPatience is how long the worker waits for a read of a client's
// memory.
const memPatience = 250 * time.Millisecond

// memReads bounds the worker's reads of clients' memory. A client
// chooses what backs the address it waits on: a page of a file on a FUSE
// server that never answers (its own, or this one while it is busy) or
// one a userfaultfd never fills makes process_vm_readv sleep until the
// page comes, for good perhaps. Each read runs on a goroutine of its own,
// the worker waits for it at most memPatience, and while one is still
// asleep every other read fails at once (EBUSY): the worker never blocks
// for long, and at most one thread sleeps in a client's page. A read that
// fails leaves the thread judged as not waiting (the strict answer).
type memReads struct{ busy atomic.Bool }

func (m *memReads) read(pid int, addr uintptr, buf []byte) error {
	if !m.busy.CompareAndSwap(false, true) {
		return unix.EBUSY
	}
	into := make([]byte, len(buf))
	done := make(chan error, 1)
	go func() {
		err := readMem(pid, addr, into)
		m.busy.Store(false)
		done <- err
	}()
	timer := time.NewTimer(memPatience)
	defer timer.Stop()
	select {
	case err := <-done:
		copy(buf, into)
		return err
	case <-timer.C:
		return unix.ETIMEDOUT
	}
}

// signal queues sig with si to the process (or, with thread, the thread)
// behind pidfd. A pidfd names one process for good, so a pid reused
// meanwhile is never signalled.
func (s sys) signal(pidfd, sig int, si *linux.PollSiginfo, thread bool) error {
	s.count()
	flags := 0
	if thread {
		flags = unix.PIDFD_SIGNAL_THREAD
	}
	return unix.PidfdSendSignal(pidfd, unix.Signal(sig), (*unix.Siginfo)(unsafe.Pointer(si)), flags)
}
