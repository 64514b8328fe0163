package kernel

import (
	"errors"
	"syscall"
	"time"
)

// System-call tracepoints: sys_enter when a traced Task method starts,
// sys_exit when it returns (with ret or err). A traced method reads
//
//	if sc := t.sysEnter(sysWrite, fd, len(p), 0); sc != nil {
//		defer sc.exit(&n, &err)
//	}
//
// With tracing off that is one atomic load; nothing is allocated.

// sysNo is a traced system call.
type sysNo uint8

const (
	sysOpen sysNo = iota
	sysClose
	sysRead
	sysWrite
	sysFcntl
	sysIoctl
	sysPoll
	sysPause
	sysKill
	sysSigaction
	sysSelect
	sysEpollWait
	sysEpollCtl
	sysSigprocmask
	sysSigsuspend
	sysSigtimedwait
	sysClone
	sysFork
	sysExecve
	sysExitGroup
	sysTgkill
	sysSignalfd
	sysEpollCreate1
	nSys
)

// sysTable names each call and the keys of its two integer arguments
// ("" for an argument the call does not have).
var sysTable = [nSys]struct {
	name   string
	a1, a2 TraceArg // Key and kind; the value is the call's
}{
	sysOpen:         {"open", TraceArg{Key: "flags", kind: argFlags}, TraceArg{}},
	sysClose:        {"close", TraceArg{}, TraceArg{}},
	sysRead:         {"read", TraceArg{Key: "count"}, TraceArg{}},
	sysWrite:        {"write", TraceArg{Key: "count"}, TraceArg{}},
	sysFcntl:        {"fcntl", TraceArg{Key: "cmd", kind: argCmd}, TraceArg{Key: "arg"}},
	sysIoctl:        {"ioctl", TraceArg{Key: "cmd", kind: argHex}, TraceArg{Key: "arg"}},
	sysPoll:         {"poll", TraceArg{Key: "nfds"}, TraceArg{Key: "timeout_ms"}},
	sysPause:        {"pause", TraceArg{}, TraceArg{}},
	sysKill:         {"kill", TraceArg{Key: "pid"}, TraceArg{Key: "sig", kind: argSig}},
	sysSigaction:    {"rt_sigaction", TraceArg{Key: "sig", kind: argSig}, TraceArg{Key: "handler", kind: argHandler}},
	sysSelect:       {"select", TraceArg{Key: "nfds"}, TraceArg{Key: "timeout_ms"}},
	sysEpollWait:    {"epoll_wait", TraceArg{Key: "maxevents"}, TraceArg{Key: "timeout_ms"}},
	sysEpollCtl:     {"epoll_ctl", TraceArg{Key: "op"}, TraceArg{Key: "target_fd"}},
	sysSigprocmask:  {"rt_sigprocmask", TraceArg{Key: "how"}, TraceArg{Key: "set", kind: argMask}},
	sysSigsuspend:   {"rt_sigsuspend", TraceArg{Key: "mask", kind: argMask}, TraceArg{}},
	sysSigtimedwait: {"rt_sigtimedwait", TraceArg{Key: "set", kind: argMask}, TraceArg{Key: "timeout_ms"}},
	sysClone:        {"clone", TraceArg{}, TraceArg{}},
	sysFork:         {"fork", TraceArg{}, TraceArg{}},
	sysExecve:       {"execve", TraceArg{}, TraceArg{}},
	sysExitGroup:    {"exit_group", TraceArg{Key: "code"}, TraceArg{}},
	sysTgkill:       {"tgkill", TraceArg{Key: "tid"}, TraceArg{Key: "sig", kind: argSig}},
	sysSignalfd:     {"signalfd4", TraceArg{Key: "mask", kind: argMask}, TraceArg{Key: "flags", kind: argHex}},
	sysEpollCreate1: {"epoll_create1", TraceArg{Key: "flags", kind: argHex}, TraceArg{}},
}

// sysEnter records sys_enter for call with descriptor fd (-1: none) and
// arguments a1, a2, and makes the call current on this goroutine. It
// returns nil, having done nothing else, when tracing is off or t's
// kernel is not traced.
func (t *Task) sysEnter(call sysNo, fd, a1, a2 int) *sysCall {
	if !tracing() {
		return nil
	}
	return t.sysEnterSlow(call, fd, a1, a2)
}

// sysEnterPath is sysEnter for a call that names a device instead of a
// descriptor (open).
func (t *Task) sysEnterPath(call sysNo, path string, a1 int) *sysCall {
	if !tracing() {
		return nil
	}
	return t.sysEnterPathSlow(call, path, a1)
}

// sysEnterSlow and sysEnterPathSlow are sysEnter and sysEnterPath once
// some kernel is traced. They stay calls, so that the fast paths are
// small enough to be inlined into every system call.
//
//go:noinline
func (t *Task) sysEnterSlow(call sysNo, fd, a1, a2 int) *sysCall {
	return t.enterCall(call, fd, "", a1, a2)
}

//go:noinline
func (t *Task) sysEnterPathSlow(call sysNo, path string, a1 int) *sysCall {
	return t.enterCall(call, -1, path, a1, 0)
}

// enterCall records sys_enter and makes the call current.
func (t *Task) enterCall(call sysNo, fd int, path string, a1, a2 int) *sysCall {
	tr := t.k.tracer.Load()
	if tr == nil {
		return nil
	}
	sc := &sysCall{task: t, who: taskOf(t), name: sysTable[call].name, fd: fd}
	ev := TraceEvent{Name: "sys_enter", Task: sc.who, Fd: fd, File: path}
	if fd >= 0 {
		if f, err := t.File(fd); err == nil {
			sc.file, ev.File = f, f.name
		}
	}
	ev.add(fStr("call", sc.name))
	for i, a := range [2]TraceArg{sysTable[call].a1, sysTable[call].a2} {
		if a.Key != "" {
			a.Int = int64([2]int{a1, a2}[i])
			if i == 1 && call == sysFcntl {
				a.kind = fcntlArgKind(a1)
				sc.getfl = a1 == F_GETFL
			}
			ev.add(a)
		}
	}
	tr.record(&ev)
	enterCurrent(sc)
	return sc
}

// exit records sys_exit with the call's result, *n (nil: a call that
// returns only an error) or the errno of *err, and ends the call's time
// as current.
func (sc *sysCall) exit(n *int, err *error) {
	exitCurrent(sc)
	tr := sc.task.k.tracer.Load()
	if tr == nil {
		return
	}
	ev := TraceEvent{Name: "sys_exit", Task: sc.who, Fd: sc.fd}
	if sc.file != nil {
		ev.File = sc.file.name
	}
	ev.add(fStr("call", sc.name))
	switch {
	case err != nil && *err != nil:
		ev.add(fInt("ret", -1))
		ev.add(errArg(*err))
	case n != nil && sc.getfl:
		ev.add(fFlags("ret", *n))
	case n != nil:
		ev.add(fInt("ret", *n))
	default:
		ev.add(fInt("ret", 0))
	}
	tr.record(&ev)
}

// errArg is an err field: the errno's name, or the error's text for an
// error that is not an errno (a caller's context ending).
func errArg(err error) TraceArg {
	var e syscall.Errno
	if errors.As(err, &e) {
		return fErrno("err", int(e))
	}
	return fStr("err", err.Error())
}

// taskOf identifies t in an event. It takes t's lock (for the name,
// which Exec changes): the caller holds no process lock.
func taskOf(t *Task) TraceTask {
	return TraceTask{Comm: t.Name(), Pid: t.pid, Tid: t.Tid()}
}

// taskOfLocked is taskOf with t's process lock held.
func taskOfLocked(t *Task) TraceTask {
	return TraceTask{Comm: t.name, Pid: t.pid, Tid: t.Tid()}
}

// sysRW is read and write, indexed by btoi(write).
var sysRW = [2]sysNo{sysRead, sysWrite}

// fcntlArgKind is how fcntl's argument reads for command cmd.
func fcntlArgKind(cmd int) argKind {
	switch cmd {
	case F_SETFL:
		return argFlags
	case F_SETSIG:
		return argSig
	}
	return argInt
}

// dispCode is act as rt_sigaction's traced argument: 0 SIG_DFL, 1
// SIG_IGN, 2 a handler.
func dispCode(act Sigaction) int {
	switch {
	case act.Handler != nil:
		return 2
	case act.Ignore:
		return 1
	}
	return 0
}

// exitTask is exit for a call that makes a task (clone, fork): ret is
// the new thread's id.
func (sc *sysCall) exitTask(t **Task, err *error) {
	n := 0
	if *t != nil {
		n = (*t).Tid()
	}
	sc.exit(&n, err)
}

// sigsetArg is a traced set argument: the set, or -1 when there is none
// (only the mask is asked for).
func sigsetArg(set *Sigset) int {
	if set == nil {
		return -1
	}
	return int(*set)
}

// durationMs is a traced timeout pointer in milliseconds, -1 for none.
func durationMs(d *time.Duration) int {
	if d == nil {
		return -1
	}
	return int(d.Milliseconds())
}
