package devfs

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/linux"
)

// A sys makes the system calls the signal bridge makes on a file's
// behalf, and counts each one where it is made into n, when n is set: the
// calls of the sender, which sends for files whose owner is known
// (bridge.sender), count into SigioStats.Inline, the worker's count
// nowhere (bridge.worker). The calls that can sleep on a client (kcmp,
// reads of its syscall file and memory) are bounded by calls
// (bridge_bound.go); without calls they are made directly, for this
// process's own descriptors only.
type sys struct {
	n     *atomic.Uint64
	calls *bounded
}

// onSender reports whether s is the sender's: there the bridge leaves
// to the worker what takes more than a few system calls.
func (s sys) onSender() bool { return s.n != nil }

func (s sys) count() {
	if s.n != nil {
		s.n.Add(1)
	}
}

// sameFile reports whether descriptor fd1 of process pid1 and fd2 of
// pid2 refer to the same open file description (kcmp KCMP_FILE). The
// answer is unknown (errStuck or ETIMEDOUT) when the call on pid2 sleeps
// past callPatience: kcmp takes both processes' exec locks.
func (s sys) sameFile(pid1, fd1, pid2, fd2 int) (bool, error) {
	s.count()
	if s.calls == nil {
		return kcmpFile(pid1, fd1, pid2, fd2), nil
	}
	return boundedCall(s.calls, pid2, func() (bool, error) { return kcmpFile(pid1, fd1, pid2, fd2), nil }, nil)
}

// kcmpFile is kcmp(KCMP_FILE) == 0, made directly.
func kcmpFile(pid1, fd1, pid2, fd2 int) bool {
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
// regenerates at offset 0). Only for files whose read takes no lock of
// the process (its status).
func (s sys) pread(fd int, buf []byte) (int, error) {
	s.count()
	return unix.Pread(fd, buf, 0)
}

// preadOf is pread of a file of process pid whose read takes its exec
// lock (a thread's syscall file), bounded by s.calls.
func (s sys) preadOf(pid, fd int, buf []byte) (int, error) {
	s.count()
	if s.calls == nil {
		return unix.Pread(fd, buf, 0)
	}
	into, err := boundedCall(s.calls, pid, func() ([]byte, error) {
		into := make([]byte, len(buf))
		n, err := unix.Pread(fd, into, 0)
		return into[:max(n, 0)], err
	}, nil)
	return copy(buf, into), err
}

// readMem reads len(buf) bytes at addr in process pid
// (process_vm_readv: ptrace access, as pidfd_getfd needs), bounded by
// s.calls: a client chooses what backs the address it waits on.
func (s sys) readMem(pid int, addr uintptr, buf []byte) error {
	s.count()
	if s.calls == nil {
		return readMem(pid, addr, buf)
	}
	into, err := boundedCall(s.calls, pid, func() ([]byte, error) {
		into := make([]byte, len(buf))
		return into, readMem(pid, addr, into)
	}, nil)
	copy(buf, into)
	return err
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
