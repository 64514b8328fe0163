package pipe_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The real side of sigSys and pollSys: raw system calls on the scenario's
// main thread (masks are per thread, so the Go runtime's other threads
// never see them).

func (r *realSys) sigprocmask(how int, set *uint64) (uint64, error) {
	var old unix.Sigset_t
	var sp *unix.Sigset_t
	if set != nil {
		sp = &unix.Sigset_t{}
		sp.Val[0] = *set
	}
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, uintptr(how), uintptr(unsafe.Pointer(sp)),
		uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	if e != 0 {
		return 0, e
	}
	return old.Val[0], nil
}

func (r *realSys) sigpending() uint64 {
	var set unix.Sigset_t
	unix.RawSyscall(unix.SYS_RT_SIGPENDING, uintptr(unsafe.Pointer(&set)), 8, 0)
	return set.Val[0]
}

func (r *realSys) tgkill(who string, sig int) error {
	return errnoOf(unix.Tgkill(unix.Getpid(), r.ids()[who], unix.Signal(sig)))
}

// siginfo is the x86-64 siginfo_t: the union starts at byte 16, where
// kill and tgkill put si_pid and SIGIO-like signals si_band (a long),
// followed by si_fd.
type siginfo struct {
	Signo, Errno, Code int32
	_                  int32
	Pid                int32 // or the low half of si_band
	Uid                int32
	Fd                 int32
	_                  [100]byte
}

func (r *realSys) sigtimedwait(set uint64, timeout time.Duration) (sigRec, error) {
	s := unix.Sigset_t{}
	s.Val[0] = set
	var info siginfo
	var ts *unix.Timespec
	if timeout >= 0 {
		t := unix.NsecToTimespec(timeout.Nanoseconds())
		ts = &t
	}
	_, _, e := unix.Syscall6(unix.SYS_RT_SIGTIMEDWAIT, uintptr(unsafe.Pointer(&s)), uintptr(unsafe.Pointer(&info)),
		uintptr(unsafe.Pointer(ts)), 8, 0, 0)
	if e != 0 {
		return sigRec{}, e
	}
	rec := sigRec{Signo: int(info.Signo), Code: int(info.Code), Pid: int(info.Pid)}
	if info.Code > 0 && info.Code < siKernel { // POLL_IN ... POLL_HUP
		rec.Pid, rec.Band, rec.Fd = 0, int(info.Pid), int(info.Fd)
	}
	return rec, nil
}

func (r *realSys) signalfd(fd int, mask uint64, flags int) (int, error) {
	s := unix.Sigset_t{}
	s.Val[0] = mask
	nfd, err := unix.Signalfd(fd, &s, flags)
	if err == nil {
		r.keep(nfd)
	}
	return nfd, errnoOf(err)
}

func (r *realSys) epollCreate1(flags int) (int, error) {
	fd, err := unix.EpollCreate1(flags)
	if err == nil {
		r.keep(fd)
	}
	return fd, errnoOf(err)
}

func (r *realSys) epollCtl(ep, op, fd int, ev *epEvent) error {
	var p *unix.EpollEvent
	if ev != nil {
		p = &unix.EpollEvent{Events: ev.Events, Fd: int32(ev.Data), Pad: int32(ev.Data >> 32)}
	}
	return errnoOf(unix.EpollCtl(ep, op, fd, p))
}

func (r *realSys) epollWait(ep, n int, timeout time.Duration) ([]epEvent, error) {
	evs := make([]unix.EpollEvent, max(n, 1))
	ms := -1
	if timeout >= 0 {
		ms = int(timeout.Milliseconds())
	}
	got, _, e := unix.Syscall6(unix.SYS_EPOLL_WAIT, uintptr(ep), uintptr(unsafe.Pointer(&evs[0])), uintptr(n),
		uintptr(ms), 0, 0)
	if e != 0 {
		return nil, e
	}
	out := make([]epEvent, got)
	for i := range out {
		out[i] = epEvent{Events: evs[i].Events, Data: uint64(uint32(evs[i].Fd)) | uint64(uint32(evs[i].Pad))<<32}
	}
	return out, nil
}

// selectFds is the select system call itself (x/sys's Select is pselect6,
// which does not write the time left back to the caller's timeval).
func (r *realSys) selectFds(nfds int, sets [3][]int, timeout *time.Duration) (int, [3][]int, error) {
	var fs [3]unix.FdSet
	var ptrs [3]*unix.FdSet
	for i, s := range sets {
		if s == nil {
			continue
		}
		ptrs[i] = &fs[i]
		for _, fd := range s {
			fs[i].Set(fd)
		}
	}
	var tv *unix.Timeval
	if timeout != nil {
		t := unix.NsecToTimeval(timeout.Nanoseconds())
		tv = &t
	}
	n, _, e := unix.Syscall6(unix.SYS_SELECT, uintptr(nfds), uintptr(unsafe.Pointer(ptrs[0])),
		uintptr(unsafe.Pointer(ptrs[1])), uintptr(unsafe.Pointer(ptrs[2])), uintptr(unsafe.Pointer(tv)), 0)
	if timeout != nil {
		*timeout = time.Duration(tv.Nano())
	}
	if e != 0 {
		return 0, [3][]int{}, e
	}
	var out [3][]int
	for i, s := range sets {
		for _, fd := range s {
			if fs[i].IsSet(fd) {
				out[i] = append(out[i], fd)
			}
		}
	}
	return int(n), out, nil
}

func (r *realSys) mkfifo(name string, perm uint32) error {
	return errnoOf(unix.Mkfifo(filepath.Join(r.dir, name), perm))
}

func (r *realSys) open(name string, flags int) (int, error) {
	fd, err := unix.Open(filepath.Join(r.dir, name), flags, 0)
	if err == nil {
		r.keep(fd)
	}
	return fd, errnoOf(err)
}

// background runs f on the second (which 0) or other (1) thread and waits
// until /proc shows it asleep in system call nr.
func (r *realSys) background(which, nr int, f func(on pollSys)) (<-chan struct{}, bool) {
	th := r.second
	if which == 1 {
		th = r.other
	}
	done := th.start(func() { f(r) })
	want := fmt.Sprintf("%d ", nr)
	asleep := waitFor(func() bool {
		select {
		case <-done:
			return true
		default:
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/syscall", th.tid))
		return err == nil && strings.HasPrefix(string(b), want) && sleeping(th.tid)
	})
	select {
	case <-done:
		asleep = false
	default:
	}
	return done, asleep
}
