package kernel

// Linux names and values, so driver code reads like the man pages and LDD3.

// Open flags (asm-generic/fcntl.h).
const (
	O_RDONLY   = 0x0
	O_WRONLY   = 0x1
	O_RDWR     = 0x2
	O_ACCMODE  = 0x3
	O_APPEND   = 0x400
	O_NONBLOCK = 0x800
	O_NDELAY   = O_NONBLOCK
	FASYNC     = 0x2000
	O_ASYNC    = FASYNC
	O_DIRECT   = 0x4000
	O_NOATIME  = 0x40000
)

// RWF_NOWAIT is the per-call flag of preadv2(2) and pwritev2(2) (and of
// Task.ReadFlags and Task.WriteFlags): do not sleep; where the call would
// wait for data or room it fails with EAGAIN, whatever the file's
// O_NONBLOCK says.
const RWF_NOWAIT = 0x8

// fcntl commands.
const (
	F_DUPFD     = 0
	F_GETFD     = 1
	F_SETFD     = 2
	F_GETFL     = 3
	F_SETFL     = 4
	F_SETOWN    = 8
	F_GETOWN    = 9
	F_SETSIG    = 10
	F_GETSIG    = 11
	F_SETOWN_EX = 15
	F_GETOWN_EX = 16

	F_DUPFD_CLOEXEC = 1030 // F_DUPFD with FD_CLOEXEC set on the new descriptor
	F_DUPFD_QUERY   = 1027 // 1 if descriptor arg names the same open file, else 0
	F_CREATED_QUERY = 1028 // 1 if the open created the file (never, for a device)
	F_SETPIPE_SZ    = 1031 // a pipe's capacity: answered by the driver (Fcntler)
	F_GETPIPE_SZ    = 1032
)

// Owner types for F_SETOWN_EX / F_GETOWN_EX.
const (
	F_OWNER_TID  = 0
	F_OWNER_PID  = 1
	F_OWNER_PGRP = 2
)

// Signal numbers (x86-64). Signals from SIGRTMIN up are real-time: they
// queue instead of coalescing. SIGRTMIN is the first one a program may use,
// as glibc reports it (the kernel reserves 32 and 33 for the C library).
const (
	SIGHUP    = 1
	SIGINT    = 2
	SIGQUIT   = 3
	SIGILL    = 4
	SIGTRAP   = 5
	SIGABRT   = 6
	SIGBUS    = 7
	SIGFPE    = 8
	SIGKILL   = 9
	SIGUSR1   = 10
	SIGSEGV   = 11
	SIGUSR2   = 12
	SIGPIPE   = 13
	SIGALRM   = 14
	SIGTERM   = 15
	SIGSTKFLT = 16
	SIGCHLD   = 17
	SIGCONT   = 18
	SIGSTOP   = 19
	SIGTSTP   = 20
	SIGTTIN   = 21
	SIGTTOU   = 22
	SIGURG    = 23
	SIGXCPU   = 24
	SIGXFSZ   = 25
	SIGVTALRM = 26
	SIGPROF   = 27
	SIGWINCH  = 28
	SIGIO     = 29
	SIGPWR    = 30
	SIGSYS    = 31
	SIGPOLL   = SIGIO
	SIGRTMIN  = 34
	SIGRTMAX  = 64
	NSIG      = 65
)

// si_code values for SIGIO/SIGPOLL: the band reported by kill_fasync.
const (
	POLL_IN  = 1
	POLL_OUT = 2
	POLL_MSG = 3
	POLL_ERR = 4
	POLL_PRI = 5
	POLL_HUP = 6
)

// Other si_code values (asm-generic/siginfo.h). SI_SIGIO replaces the
// band as the code of a fasync signal whose number has si_codes of its
// own (SIGILL, SIGFPE, SIGSEGV, SIGBUS, SIGTRAP, SIGCHLD, SIGSYS), as
// fs/fcntl.c does to keep the two meanings apart (SPEC A7).
const (
	SI_USER   = 0
	SI_KERNEL = 0x80
	SI_QUEUE  = -1
	SI_SIGIO  = -5
	SI_TKILL  = -6 // tgkill(2), tkill(2)
)

// si_code values of SIGCHLD.
const (
	CLD_EXITED    = 1
	CLD_KILLED    = 2
	CLD_DUMPED    = 3
	CLD_TRAPPED   = 4
	CLD_STOPPED   = 5
	CLD_CONTINUED = 6
)

// sigaction flags.
const (
	SA_NOCLDSTOP = 0x1
	SA_NOCLDWAIT = 0x2
	SA_SIGINFO   = 0x4
	SA_ONSTACK   = 0x08000000
	SA_RESTART   = 0x10000000
	SA_NODEFER   = 0x40000000
	SA_RESETHAND = 0x80000000
)

// Poll event bits (asm-generic/poll.h).
const (
	POLLIN     = 0x1
	POLLPRI    = 0x2
	POLLOUT    = 0x4
	POLLERR    = 0x8
	POLLHUP    = 0x10
	POLLNVAL   = 0x20
	POLLRDNORM = 0x40
	POLLRDBAND = 0x80
	POLLWRNORM = 0x100
	POLLWRBAND = 0x200
	POLLMSG    = 0x400
)
