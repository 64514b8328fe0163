package pipe_test

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// A sigSys is the part of a side that blocks signals and waits for them
// without a handler (SPEC S5, S8, S9), on the scenario's main thread.
// Signal sets are sigset_t's first word: bit sig-1 stands for sig.
type sigSys interface {
	// sigprocmask changes (set != nil) and returns the main thread's mask.
	sigprocmask(how int, set *uint64) (old uint64, err error)
	sigpending() uint64
	// tgkill sends sig to the thread named who ("me") of this process.
	tgkill(who string, sig int) error
	// sigtimedwait takes a signal of set; a negative timeout waits for ever.
	sigtimedwait(set uint64, timeout time.Duration) (sigRec, error)
	signalfd(fd int, mask uint64, flags int) (int, error)
}

const (
	sigBlock   = 0
	sigUnblock = 1
	sigSetmask = 2

	sfdNonblock = oNONBLOCK
	sfdCloexec  = oCLOEXEC

	siginfoSize = 128 // sizeof(struct signalfd_siginfo)
)

// universe is every signal a scenario names: masks and pending sets are
// printed as their part in it, so bits a side's runtime keeps to itself
// never show.
var universe = func() uint64 {
	m := sigs(sigKILL, sigSTOP, sigALRM, sigTERM, sigCONT, sigTSTP)
	for _, s := range watched {
		m |= sigs(s)
	}
	return m
}()

// sigs is the set of the given signals.
func sigs(list ...int) uint64 {
	var m uint64
	for _, s := range list {
		m |= 1 << (s - 1)
	}
	return m
}

// setp is a set of signals to pass as a mask argument.
func setp(list ...int) *uint64 {
	m := sigs(list...)
	return &m
}

// setNames spells a signal set: {SIGUSR1,40}.
func setNames(m uint64) string {
	m &= universe
	var parts []string
	for s := 1; s <= 64; s++ {
		if m&(1<<(s-1)) != 0 {
			parts = append(parts, sigName(s))
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

var howNames = map[int]string{sigBlock: "SIG_BLOCK", sigUnblock: "SIG_UNBLOCK", sigSetmask: "SIG_SETMASK"}

func howName(how int) string {
	if n, ok := howNames[how]; ok {
		return n
	}
	return fmt.Sprint(how)
}

func (e *env) sig() sigSys { return e.s.(sigSys) }

// sigprocmask logs a change of the main thread's mask (set nil: a query)
// with the old mask.
func (e *env) sigprocmask(how int, set *uint64) {
	old, err := e.sig().sigprocmask(how, set)
	arg := "NULL"
	if set != nil {
		arg = setNames(*set)
	}
	res := errStr(err)
	if err == nil {
		res = "ok, old " + setNames(old)
	}
	e.log("sigprocmask(%s, %s) -> %s", howName(how), arg, res)
}

func (e *env) sigpending() {
	e.log("sigpending() -> %s", setNames(e.sig().sigpending()))
}

func (e *env) tgkill(who string, sig int) {
	e.log("tgkill(%s, %s) -> %s", who, sigName(sig), errStr(e.sig().tgkill(who, sig)))
}

func durName(d time.Duration) string {
	if d < 0 {
		return "NULL"
	}
	return d.String()
}

func (e *env) sigtimedwait(set uint64, timeout time.Duration) {
	si, err := e.sig().sigtimedwait(set, timeout)
	res := errStr(err)
	if err == nil {
		res = e.sigLine(si)
	}
	e.log("sigtimedwait(%s, %s) -> %s", setNames(set), durName(timeout), res)
}

func sfdFlagNames(fl int) string {
	var parts []string
	if fl&sfdNonblock != 0 {
		parts, fl = append(parts, "SFD_NONBLOCK"), fl&^sfdNonblock
	}
	if fl&sfdCloexec != 0 {
		parts, fl = append(parts, "SFD_CLOEXEC"), fl&^sfdCloexec
	}
	if fl != 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%#x", fl))
	}
	return strings.Join(parts, "|")
}

// signalfd makes a signalfd (fd "": a new one, named sfd, sfd2 ...) or
// changes the mask of the one named fd.
func (e *env) signalfd(fd string, mask uint64, flags int) string {
	arg, num := "-1", -1
	if fd != "" {
		arg, num = fd, e.fd(fd)
	}
	nfd, err := e.sig().signalfd(num, mask, flags)
	name := ""
	if err == nil {
		name = e.names[nfd]
		if name == "" {
			e.nsfd++
			name = "sfd"
			if e.nsfd > 1 {
				name = fmt.Sprintf("sfd%d", e.nsfd)
			}
			e.add(name, nfd)
		}
	}
	e.log("signalfd(%s, %s, %s) -> %s", arg, setNames(mask), sfdFlagNames(flags), orErr(name, err))
	return name
}

// readSiginfo reads n bytes from a signalfd and logs the records read.
func (e *env) readSiginfo(fd string, n int) {
	data, err := e.s.read(e.fd(fd), n)
	if err != nil {
		e.log("read(%s, %d) -> %s", fd, n, errStr(err))
		return
	}
	e.log("read(%s, %d) -> %d bytes", fd, n, len(data))
	for off := 0; off+siginfoSize <= len(data); off += siginfoSize {
		e.lines = append(e.lines, "  "+e.sigLine(parseSiginfo(data[off:off+siginfoSize])))
	}
}

// parseSiginfo decodes a struct signalfd_siginfo: ssi_signo, ssi_errno,
// ssi_code, ssi_pid, ssi_uid, ssi_fd, ssi_tid, ssi_band, in that order.
func parseSiginfo(b []byte) sigRec {
	u := func(off int) uint32 { return binary.NativeEndian.Uint32(b[off:]) }
	return sigRec{Signo: int(u(0)), Code: int(int32(u(8))), Pid: int(u(12)), Fd: int(int32(u(20))), Band: int(u(28))}
}

// readSiginfoBg reads n bytes from a signalfd on background thread 0,
// which may sleep there, and logs the records it read.
func (e *env) readSiginfoBg(fd string, n int) (finish func() bool) {
	num := e.fd(fd)
	return e.bg(0, nrRead, fmt.Sprintf("read(%s, %d)", fd, n), func(on pollSys) string {
		data, err := on.(sys).read(num, n)
		if err != nil {
			return errStr(err)
		}
		parts := []string{fmt.Sprintf("%d bytes", len(data))}
		for off := 0; off+siginfoSize <= len(data); off += siginfoSize {
			parts = append(parts, e.sigLine(parseSiginfo(data[off:off+siginfoSize])))
		}
		return strings.Join(parts, "; ")
	})
}
