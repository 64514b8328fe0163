package kernel

import (
	"strconv"
	"strings"
	"time"
)

// A TraceEvent is one tracepoint hit (SPEC X1). It is a plain value with
// room for its fields, so recording it allocates nothing.
type TraceEvent struct {
	Seq  uint64        // 1, 2, ... in the order the tracer recorded events
	Time time.Duration // since the tracer's clock started (monotonic)
	// Name is the tracepoint: sys_enter, sys_exit, fcntl_setown,
	// fcntl_setsig, fcntl_setfl, fasync, fasync_helper, kill_fasync,
	// send_sigio, signal_generate, signal_interrupt, signal_deliver,
	// wake_up, poll_wake, kiocb_submit, kiocb_complete (docs/SPEC.md X1
	// lists each one's fields).
	Name string
	// Task is the task on whose behalf the kernel ran when the tracepoint
	// was hit (Linux's current): the caller of the system call in
	// progress on that goroutine, or the task a signal is delivered to.
	// The zero TraceTask is kernel context (no task).
	Task TraceTask
	// Fd and File are the descriptor and the device name the event is
	// about; Fd is -1 and File "" when it is about none.
	Fd   int
	File string

	args  [maxTraceArgs]TraceArg
	nargs int
}

// TraceTask identifies a task in an event: its name (comm), process id
// and thread id.
type TraceTask struct {
	Comm string
	Pid  int
	Tid  int
}

// maxTraceArgs is the most fields an event has besides its task and file.
const maxTraceArgs = 8

// A TraceArg is one of an event's own fields: a key and a value, shown
// with the Linux name the value has (SIGIO, POLL_IN, F_SETOWN ...).
type TraceArg struct {
	Key  string
	Int  int64  // the value, unless the field is a string
	Str  string // the value of a string field
	kind argKind
}

// argKind says how a TraceArg's value is shown.
type argKind uint8

const (
	argInt     argKind = iota // decimal
	argStr                    // Str
	argHex                    // 0x...
	argSig                    // SIGIO, SIGRTMIN+1
	argCode                   // si_code: SI_USER, POLL_IN ...
	argPoll                   // a poll mask: POLLIN|POLLRDNORM
	argFlags                  // open flags: O_RDONLY|O_NONBLOCK|FASYNC
	argCmd                    // fcntl command: F_SETOWN
	argErrno                  // EAGAIN
	argOwner                  // owner: pid:3, pgrp:5, tid:4, none
	argMask                   // a signal set: {SIGIO,SIGUSR1}
	argHandler                // a disposition: SIG_DFL, SIG_IGN, handler
)

// Args returns the event's own fields in order.
func (ev *TraceEvent) Args() []TraceArg { return ev.args[:ev.nargs] }

// Arg returns the shown value of the field named key, and whether the
// event has one.
func (ev *TraceEvent) Arg(key string) (string, bool) {
	for _, a := range ev.Args() {
		if a.Key == key {
			return a.Value(), true
		}
	}
	return "", false
}

// Value returns the field's value as the text rendering shows it.
func (a TraceArg) Value() string {
	switch a.kind {
	case argStr:
		return a.Str
	case argHex:
		return "0x" + strconv.FormatInt(a.Int, 16)
	case argSig:
		return SignalName(int(a.Int))
	case argCode:
		return codeName(int(a.Int))
	case argPoll:
		return pollName(int(a.Int))
	case argFlags:
		return flagsName(int(a.Int))
	case argCmd:
		return fcntlName(int(a.Int))
	case argErrno:
		return errnoName(int(a.Int))
	case argOwner:
		return ownerName(a.Int)
	case argMask:
		return sigsetName(uint64(a.Int))
	case argHandler:
		return [...]string{"SIG_DFL", "SIG_IGN", "handler"}[min(max(a.Int, 0), 2)]
	}
	return strconv.FormatInt(a.Int, 10)
}

// String returns the event's fields as the text rendering shows them
// after the event's name: fd=3 file=scullpipe0 key=value ...
func (ev *TraceEvent) String() string {
	var b strings.Builder
	if ev.Fd >= 0 {
		b.WriteString("fd=")
		b.WriteString(strconv.Itoa(ev.Fd))
	}
	if ev.File != "" {
		sep(&b)
		b.WriteString("file=")
		b.WriteString(quoteField(ev.File))
	}
	for _, a := range ev.Args() {
		sep(&b)
		b.WriteString(a.Key)
		b.WriteByte('=')
		b.WriteString(quoteField(a.Value()))
	}
	return b.String()
}

// sep writes the space between two fields.
func sep(b *strings.Builder) {
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
}

// quoteField quotes a value that would not read back as one field.
func quoteField(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\n\"=\\") {
		return strconv.Quote(v)
	}
	return v
}

// add appends a field; beyond maxTraceArgs it is an impossible state of
// the tracepoints' own making.
func (ev *TraceEvent) add(a TraceArg) *TraceEvent {
	if ev.nargs == maxTraceArgs {
		panic("kernel: trace event " + ev.Name + " has too many fields")
	}
	ev.args[ev.nargs] = a
	ev.nargs++
	return ev
}

// Field constructors, one per kind of value.

func fInt(k string, v int) TraceArg   { return TraceArg{Key: k, Int: int64(v)} }
func fStr(k, v string) TraceArg       { return TraceArg{Key: k, Str: v, kind: argStr} }
func fHex(k string, v int) TraceArg   { return TraceArg{Key: k, Int: int64(v), kind: argHex} }
func fSig(k string, v int) TraceArg   { return TraceArg{Key: k, Int: int64(v), kind: argSig} }
func fCode(k string, v int) TraceArg  { return TraceArg{Key: k, Int: int64(v), kind: argCode} }
func fPoll(k string, v int) TraceArg  { return TraceArg{Key: k, Int: int64(v), kind: argPoll} }
func fFlags(k string, v int) TraceArg { return TraceArg{Key: k, Int: int64(v), kind: argFlags} }
func fErrno(k string, v int) TraceArg { return TraceArg{Key: k, Int: int64(v), kind: argErrno} }
func fOwner(typ, id int) TraceArg {
	return TraceArg{Key: "owner", Int: int64(typ)<<32 | int64(uint32(id)), kind: argOwner}
}
func fBool(k string, v bool) TraceArg { return TraceArg{Key: k, Int: int64(btoi(v))} }
func btoi(v bool) int {
	if v {
		return 1
	}
	return 0
}
