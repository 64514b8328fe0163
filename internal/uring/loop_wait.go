package uring

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// io_uring_enter's extended argument (IORING_ENTER_EXT_ARG, Linux 5.11,
// announced by IORING_FEAT_EXT_ARG): a wait with a timeout.
const (
	IORING_ENTER_EXT_ARG = 1 << 3
	IORING_FEAT_EXT_ARG  = 1 << 8
)

// getEventsArg is struct io_uring_getevents_arg.
type getEventsArg struct {
	sigmask   uint64
	sigmaskSz uint32
	minWaitUs uint32
	ts        uint64 // *struct __kernel_timespec
}

// kernelWait is how long the loop goroutine waits for completions
// inside io_uring_enter, holding its OS thread, before it parks in the
// netpoller instead (see Loop.waitInKernel). It is far longer than the
// gap between completions of a busy device (tens of µs for a disk at
// queue depth 32) and far shorter than anything a person would call idle.
// (Loop.kernelWait holds it; tests lengthen it.)
const kernelWait = time.Millisecond

// waitInKernel waits in io_uring_enter(IORING_ENTER_GETEVENTS) until a
// completion is posted or kernelWait passes, and reports whether the call
// returned before the timeout (completions, or a signal).
//
// Why not always the netpoller: there a completion wakes the loop through
// the eventfd, epoll and the Go scheduler, usually on another thread, and
// a disk at queue depth 32 pays that once or twice per completion: about
// 3 µs of CPU on a 4 KiB read that costs fio 8 µs in all. Waiting in the
// kernel, the completion wakes the loop thread directly, as it wakes fio.
// The thread is held only while completions are expected soon: a request
// pending for long (a read of a quiet pipe) finds the loop in the
// netpoller after kernelWait.
//
// While the loop waits here, it cannot take new SQEs: a submitter that
// finds it in loopWaiting hands them to the kernel itself (see
// Loop.submitFor).
func (l *Loop) waitInKernel() bool {
	l.waitTS = unix.NsecToTimespec(int64(l.kernelWait))
	l.waitArg = getEventsArg{ts: uint64(uintptr(unsafe.Pointer(&l.waitTS)))}
	l.stats.waits.Add(1)
	// waitArg and waitTS live in the Loop (heap memory, which the Go
	// collector does not move) and the Loop is reachable from this call.
	_, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(l.ring.fd), 0, 1,
		IORING_ENTER_GETEVENTS|IORING_ENTER_EXT_ARG,
		uintptr(unsafe.Pointer(&l.waitArg)), unsafe.Sizeof(l.waitArg))
	return errno != unix.ETIME
}

// submitFor hands the SQ's published SQEs to the kernel on the calling
// submitter's thread, because the loop goroutine waits inside
// io_uring_enter and would take them only at its next completion. Close
// waits for every submitFor under way to finish before it unmaps the
// ring (helpers counts them).
func (l *Loop) submitFor() {
	l.helpers.Add(1)
	if !l.closing.Load() && l.state.Load() == loopWaiting {
		if p := l.ring.Pending(); p > 0 {
			// Errors leave the SQEs in the SQ: the loop submits them
			// when its wait ends, at most kernelWait later.
			n, _ := l.ring.EnterNoWait(p, 0)
			l.stats.enters.Add(1)
			l.stats.submitted.Add(uint64(max(n, 0)))
		}
	}
	l.helpers.Add(-1)
}
