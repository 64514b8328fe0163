package aio

import (
	"fmt"
	"log/slog"
	"math"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SI_ASYNCIO is the si_code of a signal announcing AIO completion (Linux's value).
const SI_ASYNCIO = -4

// maxSignal is the largest signal number Linux has (SIGRTMAX).
const maxSignal = 64

// check validates a Sigevent at submission: EINVAL for an unknown kind, a
// signal number out of range, a SIGEV_THREAD or SIGEV_INLINE without
// Func, a SIGEV_CHAN without Chan or a SIGEV_THREAD_ID without a thread
// (or with a number no thread can have).
func (ev *Sigevent) check() error {
	switch ev.Notify {
	case SIGEV_NONE:
		return nil
	case SIGEV_SIGNAL, SIGEV_THREAD_ID:
		if ev.Signo < 0 || ev.Signo > maxSignal {
			return fmt.Errorf("aio: signal %d: %w", int(ev.Signo), syscall.EINVAL)
		}
		if ev.Notify == SIGEV_THREAD_ID && (ev.ThreadID <= 0 || ev.ThreadID > math.MaxInt32) {
			// A thread id is a pid_t: a larger Go int would reach the
			// kernel cut to 32 bits, naming another thread.
			return fmt.Errorf("aio: SIGEV_THREAD_ID with thread %d: %w", ev.ThreadID, syscall.EINVAL)
		}
		return nil
	case SIGEV_THREAD, SIGEV_INLINE:
		if ev.Func == nil {
			return fmt.Errorf("aio: notification kind %#x without Func: %w", ev.Notify, syscall.EINVAL)
		}
		return nil
	case SIGEV_CHAN:
		if ev.Chan == nil {
			return fmt.Errorf("aio: SIGEV_CHAN without Chan: %w", syscall.EINVAL)
		}
		return nil
	}
	return fmt.Errorf("aio: notification kind %d: %w", ev.Notify, syscall.EINVAL)
}

// notify announces the completion of r (nil for a ListIO list) as the
// Sigevent whose fields are passed says. It runs after the result is
// published and with no engine lock held. The fields come one by one,
// not as a *Sigevent, so the caller's copy stays on its stack. inline
// says whether SIGEV_INLINE may call fn here.
func notify(log *slog.Logger, r *Request, kind int, signo syscall.Signal, value uint64, tid int,
	fn func(*Request), ch chan<- *Request, inline bool) {
	switch kind {
	case SIGEV_SIGNAL, SIGEV_THREAD_ID:
		if signo == 0 {
			return // the null signal: nothing to send
		}
		if kind == SIGEV_SIGNAL {
			tid = 0
		}
		if err := queueSignal(tid, signo, value); err != nil {
			// Nobody to return the error to: the request itself
			// completed. EAGAIN here means RLIMIT_SIGPENDING is reached.
			log.Warn("aio: completion signal not queued", "signal", int(signo), "tid", tid, "err", err)
		}
	case SIGEV_INLINE:
		if inline {
			fn(r)
			return
		}
		go fn(r)
	case SIGEV_THREAD:
		go fn(r)
	case SIGEV_CHAN:
		select {
		case ch <- r:
		default:
			go sendLater(ch, r)
		}
	}
}

// sendLater delivers a channel notification the reader had no room for.
func sendLater(ch chan<- *Request, r *Request) { ch <- r }

// siginfo is the kernel's siginfo_t for a queued signal (the _rt member of
// its union): what rt_sigqueueinfo and rt_tgsigqueueinfo take.
type siginfo struct {
	signo int32
	errno int32
	code  int32
	_     [unsafe.Sizeof(uintptr(0)) - 4]byte // the union is pointer-aligned
	pid   int32
	uid   uint32
	value uintptr // sigval: sival_ptr, and sival_int in its low 32 bits
	_     [128 - 3*4 - (unsafe.Sizeof(uintptr(0)) - 4) - 2*4 - unsafe.Sizeof(uintptr(0))]byte
}

// queueSignal queues signal sig with value to this process (tid 0) or to
// its thread tid, with si_code SI_ASYNCIO, as the kernel's own AIO does.
func queueSignal(tid int, sig syscall.Signal, value uint64) error {
	pid := os.Getpid()
	info := siginfo{
		signo: int32(sig),
		code:  SI_ASYNCIO,
		pid:   int32(pid),
		uid:   uint32(os.Getuid()),
		value: uintptr(value),
	}
	var errno syscall.Errno
	if tid == 0 {
		_, _, errno = unix.Syscall(unix.SYS_RT_SIGQUEUEINFO, uintptr(pid), uintptr(sig), uintptr(unsafe.Pointer(&info)))
	} else {
		_, _, errno = unix.Syscall6(unix.SYS_RT_TGSIGQUEUEINFO, uintptr(pid), uintptr(tid), uintptr(sig),
			uintptr(unsafe.Pointer(&info)), 0, 0)
	}
	if errno != 0 {
		return errno
	}
	return nil
}
