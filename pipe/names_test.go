package pipe_test

import (
	"fmt"
	"strings"
	"syscall"
)

// Linux's numbers (x86-64), spelled once for both sides of the suite, and
// their names for the transcripts.
const (
	fDUPFD        = 0
	fGETFD        = 1
	fSETFD        = 2
	fGETFL        = 3
	fSETFL        = 4
	fSETOWN       = 8
	fGETOWN       = 9
	fSETSIG       = 10
	fGETSIG       = 11
	fDUPFDQUERY   = 0x403
	fDUPFDCLOEXEC = 0x406
	fSETPIPESZ    = 0x407
	fGETPIPESZ    = 0x408

	oRDONLY   = 0
	oWRONLY   = 1
	oRDWR     = 2
	oNONBLOCK = 0x800
	oAPPEND   = 0x400
	oASYNC    = 0x2000
	oDIRECT   = 0x4000
	oNOATIME  = 0x40000
	oCLOEXEC  = 0x80000

	sigRT    = 40 // SIGRTMIN+6 as glibc counts: clear of libc's and Go's signals
	sigIO    = 29
	sigPIPE  = 13
	sigSYS   = 31
	sigCHLD  = 17
	sigUSR1  = 10
	sigUSR2  = 12
	sigKILL  = 9
	sigSTOP  = 19
	sigALRM  = 14
	sigTERM  = 15
	sigCONT  = 18
	sigTSTP  = 20
	siUser   = 0
	siKernel = 0x80
	siQueue  = -1
	siSigio  = -5
	siTkill  = -6

	fionread = 0x541b
	fionbio  = 0x5421
	fioasync = 0x5452

	pageSize = 4096
)

// watched are the signals both sides catch: every signal a scenario may
// raise.
var watched = []int{sigIO, sigPIPE, sigSYS, sigCHLD, sigUSR1, sigUSR2, sigRT, sigRT + 1, sigRT + 2, 64}

var cmdNames = map[int]string{
	fDUPFD: "F_DUPFD", fGETFD: "F_GETFD", fSETFD: "F_SETFD", fGETFL: "F_GETFL", fSETFL: "F_SETFL",
	fSETOWN: "F_SETOWN", fGETOWN: "F_GETOWN", fSETSIG: "F_SETSIG", fGETSIG: "F_GETSIG",
	fDUPFDCLOEXEC: "F_DUPFD_CLOEXEC", fSETPIPESZ: "F_SETPIPE_SZ", fGETPIPESZ: "F_GETPIPE_SZ",
}

func cmdName(c int) string {
	if n, ok := cmdNames[c]; ok {
		return n
	}
	return fmt.Sprintf("cmd %#x", c)
}

func ioctlName(r int) string {
	switch r {
	case fionread:
		return "FIONREAD"
	case fioasync:
		return "FIOASYNC"
	case fionbio:
		return "FIONBIO"
	}
	return fmt.Sprintf("%#x", r)
}

func sigName(s int) string {
	switch s {
	case sigIO:
		return "SIGIO"
	case sigPIPE:
		return "SIGPIPE"
	case sigSYS:
		return "SIGSYS"
	case sigCHLD:
		return "SIGCHLD"
	case sigUSR1:
		return "SIGUSR1"
	case sigUSR2:
		return "SIGUSR2"
	case sigKILL:
		return "SIGKILL"
	case sigSTOP:
		return "SIGSTOP"
	case sigALRM:
		return "SIGALRM"
	case sigTERM:
		return "SIGTERM"
	case sigCONT:
		return "SIGCONT"
	}
	return fmt.Sprint(s)
}

func codeName(c int) string {
	switch c {
	case siUser:
		return "SI_USER"
	case siKernel:
		return "SI_KERNEL"
	case siSigio:
		return "SI_SIGIO"
	case siQueue:
		return "SI_QUEUE"
	case siTkill:
		return "SI_TKILL"
	case 1, 2, 3, 4, 5, 6:
		return []string{"POLL_IN", "POLL_OUT", "POLL_MSG", "POLL_ERR", "POLL_PRI", "POLL_HUP"}[c-1]
	}
	return fmt.Sprint(c)
}

// flagNames spells open flags: access mode, then the status flags set.
func flagNames(fl int) string {
	parts := []string{[]string{"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"}[fl&3]}
	for _, f := range []struct {
		bit  int
		name string
	}{{oAPPEND, "O_APPEND"}, {oNONBLOCK, "O_NONBLOCK"}, {oASYNC, "O_ASYNC"}, {oDIRECT, "O_DIRECT"},
		{oNOATIME, "O_NOATIME"}, {oCLOEXEC, "O_CLOEXEC"}} {
		if fl&f.bit != 0 {
			parts = append(parts, f.name)
			fl &^= f.bit
		}
	}
	if rest := fl &^ 3; rest != 0 {
		parts = append(parts, fmt.Sprintf("%#x", rest))
	}
	return strings.Join(parts, "|")
}

func pollNames(m int) string {
	var parts []string
	for i, n := range []string{"POLLIN", "POLLPRI", "POLLOUT", "POLLERR", "POLLHUP", "POLLNVAL",
		"POLLRDNORM", "POLLRDBAND", "POLLWRNORM", "POLLWRBAND", "POLLMSG"} {
		if m&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "|")
}

func errName(err error) string {
	if e, ok := err.(syscall.Errno); ok {
		switch e {
		case syscall.EAGAIN:
			return "EAGAIN"
		case syscall.EBADF:
			return "EBADF"
		case syscall.EBUSY:
			return "EBUSY"
		case syscall.EINVAL:
			return "EINVAL"
		case syscall.EPERM:
			return "EPERM"
		case syscall.EPIPE:
			return "EPIPE"
		case syscall.ESRCH:
			return "ESRCH"
		case syscall.ENOTTY:
			return "ENOTTY"
		case syscall.EINTR:
			return "EINTR"
		case syscall.EMFILE:
			return "EMFILE"
		case syscall.ENXIO:
			return "ENXIO"
		case syscall.EEXIST:
			return "EEXIST"
		case syscall.ENOENT:
			return "ENOENT"
		case syscall.ELOOP:
			return "ELOOP"
		case syscall.ECHILD:
			return "ECHILD"
		case syscall.EFAULT:
			return "EFAULT"
		}
		return fmt.Sprintf("errno %d", int(e))
	}
	return err.Error()
}
