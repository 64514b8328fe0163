package devfs

import (
	"bytes"
	"encoding/binary"
	"strconv"

	"golang.org/x/sys/unix"
)

// The bridge's safety rule (SPEC F2). The server cannot see O_ASYNC, so it
// takes a file whose owner is set for subscribed; it then sends only what
// the kernel would not make fatal. Linux kills a process for a signal
// (kernel/signal.c, complete_signal and sig_fatal) when the signal's
// action is the default one, that default terminates, and the thread
// chosen to take it neither blocks it nor, sleeping in rt_sigtimedwait,
// blocked it before the wait (real_blocked). A thread in sigwaitinfo or
// sigtimedwait has the signals it waits for taken out of its blocked
// mask for the wait, so /proc shows them neither blocked nor caught; its
// syscall file shows the wait (rt_sigtimedwait and the address of the
// set), and the set is read from its memory. real_blocked itself is not
// in /proc: a thread waiting for a signal it did not block first (which
// POSIX leaves undefined) looks the same as one that did, and the kernel
// kills its process for the signal, from the bridge or from Linux's own
// fasync alike. A signalfd does not change what is fatal.

type safety int

const (
	safeYes     safety = iota
	safeNo             // the default action would run: never send
	safeIgnored        // ignored: sending changes nothing
	safeAsk            // only every thread's mask can tell (worker)
)

// safe judges whether sig may go to t, whose status is st: caught, or
// taken where it is delivered without its default action (blocked, or
// waited for in sigwaitinfo), by the named thread or by every thread of
// the process. An ignored signal goes only where Linux would queue it
// (the thread blocks it or waits for it). On the sender a process of
// several threads, and a thread that waits in rt_sigtimedwait, are left
// to the worker (safeAsk): the sender never reads a client's memory.
func (b *bridge) safe(s sys, t *target, st procStatus, sig int) safety {
	bit := sigBit(sig)
	switch {
	case st.cgt&bit != 0:
		return safeYes
	case st.ign&bit != 0:
		// Linux queues an ignored signal that the thread it goes to
		// blocks, or waits for (sig_ignored): a signalfd or sigwaitinfo
		// takes it. Taken or dropped, it kills nobody.
		if st.blk&bit != 0 {
			return safeYes
		}
		switch waitsFor(s, t.pid, t.syscallFd, sig) {
		case waitYes:
			return safeYes
		case waitAsk:
			return safeAsk
		}
		return safeIgnored
	case st.blk&bit == 0:
		// The named thread, or the process's main thread, which Linux
		// tries first, takes it: with its default action unless it
		// waits for it.
		switch waitsFor(s, t.pid, t.syscallFd, sig) {
		case waitNo:
			return safeNo
		case waitAsk:
			return safeAsk
		}
	}
	switch {
	case t.tid != 0 || st.threads <= 1:
		return safeYes
	case s.onSender():
		return safeAsk
	}
	return everyThread(s, t.pid, sig)
}

// everyThread judges a process-directed signal, which goes to any thread
// that does not block it: every such thread must wait for it.
func everyThread(s sys, pid, sig int) safety {
	bit := sigBit(sig)
	for _, tid := range pids("/proc/" + strconv.Itoa(pid) + "/task") {
		ts, err := readStatus(statusPath(pid, tid))
		if err == unix.ENOENT || err == unix.ESRCH {
			continue // gone: it takes no signal
		}
		if err != nil {
			return safeNo // a status unread never reads as safe
		}
		if ts.blk&bit != 0 {
			continue
		}
		fd, err := unix.Open(syscallPath(pid, tid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return safeNo
		}
		waits := waitsFor(s, pid, fd, sig)
		unix.Close(fd)
		if waits != waitYes {
			return safeNo
		}
	}
	return safeYes
}

// A wait is what a thread's syscall file says of a signal.
type wait int

const (
	waitNo  wait = iota // the thread does not wait for it
	waitYes             // it sleeps in rt_sigtimedwait for a set holding it
	waitAsk             // it sleeps in rt_sigtimedwait: the worker reads the set
)

// waitsFor reports whether the thread whose syscall file is fd (of
// process pid) sleeps in rt_sigtimedwait for a set holding sig. The set
// is in the thread's memory: the sender stops at the syscall line
// (waitAsk), and only the worker reads it (sys.readMem). The syscall line
// is read again after the set, and must not have changed.
func waitsFor(s sys, pid, fd, sig int) wait {
	if fd < 0 || sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP) {
		// rt_sigtimedwait takes these two out of the set it waits for
		// (do_sigtimedwait), whatever the set in memory holds.
		return waitNo
	}
	var line, again [256]byte
	n, err := s.preadOf(pid, fd, line[:])
	if err != nil {
		if s.onSender() && stuck(err) {
			return waitAsk // the worker judges it, strictly if still stuck
		}
		return waitNo
	}
	addr, size, ok := sigwaitSet(line[:n])
	if !ok || size < ((sig-1)/64+1)*8 {
		return waitNo
	}
	if s.onSender() {
		return waitAsk
	}
	var set [8]byte
	if s.readMem(pid, addr+uintptr((sig-1)/64*8), set[:]) != nil {
		return waitNo
	}
	m, err := s.preadOf(pid, fd, again[:])
	if err != nil || !bytes.Equal(line[:n], again[:m]) {
		return waitNo
	}
	if binary.NativeEndian.Uint64(set[:])&(1<<(uint(sig-1)%64)) != 0 {
		return waitYes
	}
	return waitNo
}
