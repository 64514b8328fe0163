package kernel

import (
	"strconv"
	"strings"
	"syscall"
)

// Linux's names for the values trace events carry: a trace reads like the
// man pages, never bare numbers.

var signalNames = [...]string{
	SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL",
	SIGTRAP: "SIGTRAP", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE",
	SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1", SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2",
	SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", 16: "SIGSTKFLT",
	SIGCHLD: "SIGCHLD", SIGCONT: "SIGCONT", SIGSTOP: "SIGSTOP", 20: "SIGTSTP",
	21: "SIGTTIN", 22: "SIGTTOU", SIGURG: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ",
	26: "SIGVTALRM", 27: "SIGPROF", SIGWINCH: "SIGWINCH", SIGIO: "SIGIO",
	30: "SIGPWR", SIGSYS: "SIGSYS",
}

// SignalName returns sig's Linux name (SIGIO); real-time signals are
// named from SIGRTMIN as glibc counts it (SIGRTMIN+1), 32 and 33 by
// number, and anything else as "signal N".
func SignalName(sig int) string {
	switch {
	case sig > 0 && sig < len(signalNames) && signalNames[sig] != "":
		return signalNames[sig]
	case sig == 0:
		return "0" // kill's existence check
	case sig == SIGRTMIN:
		return "SIGRTMIN"
	case sig > SIGRTMIN && sig <= SIGRTMAX:
		return "SIGRTMIN+" + strconv.Itoa(sig-SIGRTMIN)
	}
	return "signal " + strconv.Itoa(sig)
}

// codeName names an si_code; the bands POLL_IN..POLL_HUP are the codes of
// fasync signals.
func codeName(code int) string {
	switch code {
	case SI_USER:
		return "SI_USER"
	case SI_KERNEL:
		return "SI_KERNEL"
	case SI_QUEUE:
		return "SI_QUEUE"
	case SI_SIGIO:
		return "SI_SIGIO"
	case -6:
		return "SI_TKILL"
	case POLL_IN:
		return "POLL_IN"
	case POLL_OUT:
		return "POLL_OUT"
	case POLL_MSG:
		return "POLL_MSG"
	case POLL_ERR:
		return "POLL_ERR"
	case POLL_PRI:
		return "POLL_PRI"
	case POLL_HUP:
		return "POLL_HUP"
	}
	return strconv.Itoa(code)
}

// bitName is one named bit of a mask.
type bitName struct {
	bit  int
	name string
}

var pollBitNames = []bitName{
	{POLLIN, "POLLIN"}, {POLLPRI, "POLLPRI"}, {POLLOUT, "POLLOUT"},
	{POLLERR, "POLLERR"}, {POLLHUP, "POLLHUP"}, {POLLNVAL, "POLLNVAL"},
	{POLLRDNORM, "POLLRDNORM"}, {POLLRDBAND, "POLLRDBAND"},
	{POLLWRNORM, "POLLWRNORM"}, {POLLWRBAND, "POLLWRBAND"}, {POLLMSG, "POLLMSG"},
}

var flagBitNames = []bitName{
	{O_NONBLOCK, "O_NONBLOCK"}, {O_APPEND, "O_APPEND"}, {FASYNC, "FASYNC"},
	{O_DIRECT, "O_DIRECT"}, {O_NOATIME, "O_NOATIME"},
}

// bitsName spells mask as NAME|NAME, unknown bits in hex, 0 as "0".
func bitsName(mask int, names []bitName, parts []string) string {
	for _, b := range names {
		if mask&b.bit != 0 {
			parts = append(parts, b.name)
			mask &^= b.bit
		}
	}
	if mask != 0 {
		parts = append(parts, "0x"+strconv.FormatUint(uint64(uint32(mask)), 16))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "|")
}

// pollName spells a poll mask: POLLIN|POLLRDNORM.
func pollName(mask int) string { return bitsName(mask, pollBitNames, nil) }

// flagsName spells a file's status flags, access mode first:
// O_RDONLY|O_NONBLOCK|FASYNC.
func flagsName(flags int) string {
	acc := [...]string{"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"}[flags&O_ACCMODE]
	return bitsName(flags&^O_ACCMODE, flagBitNames, []string{acc})
}

var fcntlNames = map[int]string{
	F_DUPFD: "F_DUPFD", F_GETFD: "F_GETFD", F_SETFD: "F_SETFD", F_GETFL: "F_GETFL",
	F_SETFL: "F_SETFL", F_SETOWN: "F_SETOWN", F_GETOWN: "F_GETOWN", F_SETSIG: "F_SETSIG",
	F_GETSIG: "F_GETSIG", F_SETOWN_EX: "F_SETOWN_EX", F_GETOWN_EX: "F_GETOWN_EX",
	F_DUPFD_CLOEXEC: "F_DUPFD_CLOEXEC", F_DUPFD_QUERY: "F_DUPFD_QUERY",
	F_CREATED_QUERY: "F_CREATED_QUERY", F_SETPIPE_SZ: "F_SETPIPE_SZ",
	F_GETPIPE_SZ: "F_GETPIPE_SZ",
}

// fcntlName names an fcntl command.
func fcntlName(cmd int) string {
	if n, ok := fcntlNames[cmd]; ok {
		return n
	}
	return strconv.Itoa(cmd)
}

var errnoNames = map[syscall.Errno]string{
	syscall.EPERM: "EPERM", syscall.ENOENT: "ENOENT", syscall.ESRCH: "ESRCH",
	syscall.EINTR: "EINTR", syscall.ENXIO: "ENXIO", syscall.EBADF: "EBADF",
	syscall.ECHILD: "ECHILD", syscall.EAGAIN: "EAGAIN", syscall.EFAULT: "EFAULT",
	syscall.EEXIST: "EEXIST", syscall.EINVAL: "EINVAL", syscall.EMFILE: "EMFILE",
	syscall.ENOTTY: "ENOTTY", syscall.EPIPE: "EPIPE", syscall.ENOSYS: "ENOSYS",
	syscall.EOPNOTSUPP: "EOPNOTSUPP", syscall.ECANCELED: "ECANCELED",
	syscall.ETIMEDOUT: "ETIMEDOUT", syscall.ENOMEM: "ENOMEM", syscall.EBUSY: "EBUSY",
	syscall.ELOOP: "ELOOP", syscall.ENOSPC: "ENOSPC", syscall.EACCES: "EACCES",
	ERESTARTSYS: "ERESTARTSYS", EIOCBQUEUED: "EIOCBQUEUED",
}

// errnoName names an errno value.
func errnoName(e int) string {
	if n, ok := errnoNames[syscall.Errno(e)]; ok {
		return n
	}
	return "errno " + strconv.Itoa(e)
}

// ownerName shows an owner packed by fOwner: pid:3, pgrp:5, tid:4, or
// none.
func ownerName(v int64) string {
	typ, id := int(v>>32), int(int32(uint32(v)))
	if id == 0 {
		return "none"
	}
	switch typ {
	case F_OWNER_PGRP:
		return "pgrp:" + strconv.Itoa(id)
	case F_OWNER_TID:
		return "tid:" + strconv.Itoa(id)
	}
	return "pid:" + strconv.Itoa(id)
}

// sigsetName shows a signal set (bit sig-1): {SIGIO,SIGUSR1}, {} when
// empty.
func sigsetName(set uint64) string {
	var parts []string
	for sig := 1; sig < NSIG; sig++ {
		if set&(1<<(sig-1)) != 0 {
			parts = append(parts, SignalName(sig))
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}
