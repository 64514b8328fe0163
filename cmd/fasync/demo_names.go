package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fasync-go/fasync/kernel"
)

// Linux names for the numbers the demo prints: the trace names SIGIO,
// POLL_IN and POLLIN the way the man pages do, never bare numbers. Also the
// demo's two small generic helpers.

var signalNames = map[int]string{
	kernel.SIGHUP: "SIGHUP", kernel.SIGINT: "SIGINT", kernel.SIGQUIT: "SIGQUIT",
	kernel.SIGKILL: "SIGKILL", kernel.SIGUSR1: "SIGUSR1", kernel.SIGUSR2: "SIGUSR2",
	kernel.SIGPIPE: "SIGPIPE", kernel.SIGALRM: "SIGALRM", kernel.SIGTERM: "SIGTERM",
	kernel.SIGCHLD: "SIGCHLD", kernel.SIGCONT: "SIGCONT", kernel.SIGSTOP: "SIGSTOP",
	kernel.SIGURG: "SIGURG", kernel.SIGWINCH: "SIGWINCH", kernel.SIGIO: "SIGIO",
}

// signalName reports a signal's Linux name; real-time signals are named
// relative to SIGRTMIN as glibc counts it.
func signalName(sig int) string {
	if n, ok := signalNames[sig]; ok {
		return n
	}
	if sig >= kernel.SIGRTMIN && sig <= kernel.SIGRTMAX {
		if sig == kernel.SIGRTMIN {
			return "SIGRTMIN"
		}
		return fmt.Sprintf("SIGRTMIN+%d", sig-kernel.SIGRTMIN)
	}
	return fmt.Sprintf("signal %d", sig)
}

var codeNames = map[int]string{
	kernel.POLL_IN: "POLL_IN", kernel.POLL_OUT: "POLL_OUT", kernel.POLL_MSG: "POLL_MSG",
	kernel.POLL_ERR: "POLL_ERR", kernel.POLL_PRI: "POLL_PRI", kernel.POLL_HUP: "POLL_HUP",
	kernel.SI_USER: "SI_USER", kernel.SI_KERNEL: "SI_KERNEL", kernel.SI_QUEUE: "SI_QUEUE",
}

// codeName reports the name of an si_code value.
func codeName(code int) string {
	if n, ok := codeNames[code]; ok {
		return n
	}
	return fmt.Sprintf("code %d", code)
}

var pollNames = []struct {
	bit  int
	name string
}{
	{kernel.POLLIN, "POLLIN"}, {kernel.POLLPRI, "POLLPRI"}, {kernel.POLLOUT, "POLLOUT"},
	{kernel.POLLERR, "POLLERR"}, {kernel.POLLHUP, "POLLHUP"}, {kernel.POLLNVAL, "POLLNVAL"},
	{kernel.POLLRDNORM, "POLLRDNORM"}, {kernel.POLLRDBAND, "POLLRDBAND"},
	{kernel.POLLWRNORM, "POLLWRNORM"}, {kernel.POLLWRBAND, "POLLWRBAND"}, {kernel.POLLMSG, "POLLMSG"},
}

// pollBits spells a poll mask as POLLIN|POLLRDNORM ..., or 0.
func pollBits(mask int) string {
	var parts []string
	for _, p := range pollNames {
		if mask&p.bit != 0 {
			parts = append(parts, p.name)
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "|")
}

// describeSignal says what a handler learnt from its SigInfo. A fasync
// signal sent with F_SETSIG 0 carries no descriptor or band (SPEC A7), so
// the description says so instead of printing zeros.
func describeSignal(info *kernel.SigInfo) string {
	name := signalName(info.Signo)
	switch info.Code {
	case kernel.POLL_IN, kernel.POLL_OUT, kernel.POLL_MSG, kernel.POLL_ERR, kernel.POLL_PRI, kernel.POLL_HUP:
		return fmt.Sprintf("%s band %s on fd %d (poll mask %s = 0x%03x)",
			name, codeName(info.Code), info.Fd, pollBits(info.Band), info.Band)
	case kernel.SI_USER:
		return fmt.Sprintf("%s (SI_USER, pid %d)", name, info.Pid)
	}
	return fmt.Sprintf("%s (%s; F_SETSIG 0: no descriptor or band, so it must check every file)",
		name, codeName(info.Code))
}

// since formats the time elapsed since start in milliseconds, as the
// trace's timestamps are.
func since(start time.Time) string {
	return fmt.Sprintf("%.3f ms", float64(time.Since(start).Microseconds())/1000)
}

// recv waits for one value from ch, bounded by ctx.
func recv[T any](ctx context.Context, ch <-chan T, what string) (T, error) {
	select {
	case v := <-ch:
		return v, nil
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("waiting for %s: %w", what, ctx.Err())
	}
}
