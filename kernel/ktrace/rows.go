package ktrace

import (
	"strings"
)

// What each event draws: its arrow's ends, its label and its class.

// sysTargets is the lifeline a system call goes to when it names no
// device.
var sysTargets = map[string]string{
	"fcntl": "fcntl", "poll": "wait queue", "select": "wait queue", "pselect6": "wait queue",
	"epoll_create1": "epoll", "epoll_ctl": "epoll", "epoll_wait": "epoll",
	"epoll_pwait": "epoll", "pause": "signal", "kill": "signal", "tgkill": "signal",
	"tkill": "signal", "rt_sigqueueinfo": "signal", "rt_sigaction": "signal",
	"rt_sigprocmask": "signal", "rt_sigsuspend": "signal", "rt_sigtimedwait": "signal",
	"signalfd4": "signal", "clone": "kernel", "fork": "kernel", "execve": "kernel",
	"exit_group": "kernel",
}

// sysTarget returns the lifeline system call e goes to: the fcntl or
// signal part for those calls, the driver of the device it names, else
// the kernel.
func (d *diagram) sysTarget(e *Event) int {
	call := e.Get("call")
	if p, ok := sysTargets[call]; ok {
		return d.part(p)
	}
	return d.driver(e.Get("file"))
}

// sysRow is the arrow of a system call: enter and, if x is not nil,
// its exit's result.
func (d *diagram) sysRow(e, x *Event) row {
	from := d.task(e)
	r := row{from: from, to: d.sysTarget(e), class: "sys", label: callText(e)}
	if x != nil {
		r.label += " = " + result(x)
	}
	return r
}

// callText spells a call C-style: fcntl(3, F_SETOWN, 1).
func callText(e *Event) string {
	var args []string
	for _, f := range e.Fields {
		switch f.Key {
		case "call":
		case "file":
			if !e.Has("fd") {
				args = append(args, `"`+f.Value+`"`)
			}
		default:
			args = append(args, f.Value)
		}
	}
	return e.Get("call") + "(" + strings.Join(args, ", ") + ")"
}

// result spells a sys_exit's result: 20, or -1 EAGAIN.
func result(x *Event) string {
	if err := x.Get("err"); err != "" {
		return x.Get("ret") + " " + err
	}
	return x.Get("ret")
}

// eventRow draws one event other than a merged system call.
func (d *diagram) eventRow(e *Event) row {
	switch e.Name {
	case "sys_enter":
		return d.sysRow(e, nil)
	case "sys_exit":
		return row{from: d.sysTarget(e), to: d.task(e), class: "ret", dashed: true,
			label: e.Get("call") + " = " + result(e)}
	case "fcntl_setown":
		return d.note("fcntl", "f_owner = "+e.Get("owner"))
	case "fcntl_setsig":
		return d.note("fcntl", "f_owner.signum = "+e.Get("sig"))
	case "fcntl_setfl":
		return d.note("fcntl", "setfl: "+e.Get("flags"))
	case "fasync":
		from := d.task(e)
		if via := e.Get("via"); via == "fcntl" {
			from = d.part("fcntl")
		}
		return row{from: from, to: d.driver(e.Get("file")), class: "fasync",
			label: "->fasync(" + fdOr(e) + ", " + onOff(e) + ")"}
	case "fasync_helper":
		return row{from: d.driver(e.Get("file")), to: d.part("fasync list"), class: "fasync",
			label: "fasync_helper(" + onOff(e) + "): " + e.Get("result") + ", " + plural(e.Get("entries"), "entry", "entries")}
	case "kill_fasync":
		return row{from: d.driver(e.Get("file")), to: d.part("fasync list"), class: "fasync",
			label: "kill_fasync(" + e.Get("sig") + ", " + e.Get("band") + "): " + plural(e.Get("entries"), "entry", "entries")}
	case "send_sigio":
		return row{from: d.part("fasync list"), to: d.part("signal"), class: "signal", label: sigioText(e)}
	case "signal_generate":
		return d.note("signal", e.Get("sig")+" → "+e.Get("comm")+"-"+e.Get("tid")+": "+e.Get("result"))
	case "signal_interrupt":
		return row{from: d.part("signal"), to: d.target(e), class: "intr", dashed: true,
			label: "interrupt blocked call (" + e.Get("sig") + ")"}
	case "signal_deliver":
		return row{from: d.part("signal"), to: d.task(e), class: "signal", label: deliverText(e)}
	case "wake_up":
		return row{from: d.driver(e.Get("file")), to: d.part("wait queue"), class: "wake",
			label: "wake_up(wq " + e.Get("wq") + "): " + wakeText(e)}
	case "poll_wake":
		return row{from: d.part("wait queue"), to: d.target(e), class: "wake", dashed: true, label: "poll table woken"}
	case "ep_poll_callback":
		label := "ep_poll_callback(fd " + fdOr(e) + ", " + e.Get("key") + "): " + e.Get("result")
		if e.Get("woke") == "1" {
			label += ", waiter woken"
		}
		return row{from: d.part("wait queue"), to: d.part("epoll"), class: "wake", label: label}
	case "kiocb_submit":
		return row{from: d.task(e), to: d.driver(e.Get("file")), class: "kiocb",
			label: "kiocb " + e.Get("kiocb") + ": " + e.Get("op") + "(" + fdOr(e) + ", " + e.Get("count") + ")"}
	case "kiocb_complete":
		return row{from: d.driver(e.Get("file")), to: d.target(e), class: "kiocb", dashed: true,
			label: "ki_complete(kiocb " + e.Get("kiocb") + ") = " + kiocbResult(e)}
	}
	return d.generic(e)
}

// generic draws an event this renderer has no picture for: a note on
// its task's lifeline, with its fields.
func (d *diagram) generic(e *Event) row {
	var parts []string
	for _, f := range e.Fields {
		parts = append(parts, f.Key+"="+f.Value)
	}
	r := d.note("", e.Name+": "+strings.Join(parts, " "))
	r.from, r.to = d.task(e), d.task(e)
	return r
}

// note is a note on a part's lifeline.
func (d *diagram) note(part, text string) row {
	i := 0
	if part != "" {
		i = d.part(part)
	}
	return row{from: i, to: i, class: "note", label: text}
}

// target returns the lifeline of the task an event names in its comm,
// pid and tid fields (the receiver of a signal or a wake-up).
func (d *diagram) target(e *Event) int {
	if !e.Has("comm") {
		return d.task(e)
	}
	pid, tid := atoi(e.Get("pid")), atoi(e.Get("tid"))
	if tid == 0 {
		tid = pid
	}
	return d.taskLine(e.Get("comm"), pid, tid)
}

// sigioText labels send_sigio: whom, what, and the verdict.
func sigioText(e *Event) string {
	s := "send_sigio(" + e.Get("owner")
	if e.Has("comm") {
		s += " " + e.Get("comm")
	}
	s += "): " + e.Get("sig")
	if band := e.Get("band"); band != "0" && band != "" {
		s += " " + e.Get("code") + " " + band
	}
	return s + ", " + e.Get("verdict")
}

// deliverText labels signal_deliver: handler(SIGIO, POLL_IN, fd, band).
func deliverText(e *Event) string {
	what := e.Get("action")
	args := []string{e.Get("sig"), e.Get("code")}
	if e.Has("si_fd") {
		args = append(args, "si_fd "+e.Get("si_fd"), e.Get("si_band"))
	}
	return what + "(" + strings.Join(args, ", ") + ")"
}

// wakeText says whom a wake-up reached.
func wakeText(e *Event) string {
	s := "no sleeper"
	if e.Get("sleepers") == "1" {
		s = "sleepers woken"
	}
	if n := e.Get("poll_tables"); n != "0" {
		s += ", " + plural(n, "poll table", "poll tables")
	}
	return s
}

// kiocbResult is a kiocb_complete's result: n, or n and an errno.
func kiocbResult(e *Event) string {
	if err := e.Get("err"); err != "" {
		return e.Get("ret") + " " + err
	}
	return e.Get("ret")
}

// fdOr returns the event's descriptor, or -1.
func fdOr(e *Event) string {
	if e.Has("fd") {
		return e.Get("fd")
	}
	return "-1"
}

// onOff is the on field as fasync's argument.
func onOff(e *Event) string {
	if e.Get("on") == "1" {
		return "on"
	}
	return "off"
}

// plural is "1 entry" or "n entries".
func plural(n, one, many string) string {
	if n == "1" {
		return n + " " + one
	}
	return n + " " + many
}

// atoi is strconv.Atoi, 0 on error.
func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
