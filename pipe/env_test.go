package pipe_test

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"time"
)

// A sys is one side of the conformance suite: the real kernel (realSys) or
// the model (modelSys). Its methods are the system calls the scenarios make,
// on the side's own descriptor numbers, all from the scenario's main thread
// (task); errors are bare errnos.
type sys interface {
	pipe2(flags int) (r, w int, err error)
	fcntl(fd, cmd, arg int) (int, error)
	setownEx(fd, typ, id int) error
	getownEx(fd int) (typ, id int, err error)
	read(fd, n int) ([]byte, error)
	write(fd int, p []byte) (int, error)
	poll(fd int, events int16) (int16, error)
	close(fd int) error
	dup(fd int) (int, error)
	ioctl(fd, req, arg int) (int, error)
	// signals returns the signals that reached the main thread since the
	// last call, in delivery order.
	signals() []sigRec
	// ids names the identities a scenario can make owners of: "me" (the
	// main thread, or task), "pgrp" (a process group), "gone" (an id
	// naming no thread or group: the model's is a task that has exited),
	// "other" (a second live thread, or task), "second" (the thread of
	// startCall and background calls).
	ids() map[string]int
	// startCall runs read (p == nil, n bytes) or write (p) on a second
	// thread of the same process and returns once it sleeps in the pipe,
	// or reports false when it does not fall asleep.
	startCall(fd int, n int, p []byte) (c pendingCall, asleep bool)
	// otherSignals returns the signals that reached the "other" thread
	// (task) so far; until then they stay pending there, so standard
	// signals coalesce.
	otherSignals() []sigRec
	// exitOther ends the "other" thread (task) and waits until it is gone.
	exitOther()
}

// A pendingCall is a read or write sleeping on the second thread.
type pendingCall interface {
	wait() (data []byte, n int, err error)
}

// A sigRec is one signal as the main thread received it (signalfd's
// siginfo, or the model handler's SigInfo).
type sigRec struct {
	Signo, Code, Fd, Band, Pid int
}

// env runs one scenario on one side and keeps its transcript: one line per
// call with its result, then one line per signal the call raised. Both
// sides see the same names for descriptors ("r", "w", "d1" ...) and owners
// ("me", "pgrp" ...), so their transcripts compare line by line.
type env struct {
	s     sys
	lines []string
	fds   map[string]int // descriptor name -> this side's number
	names map[int]string // this side's number -> name
	ids   map[string]int
	ndup  int
	npipe int
	nsfd  int // signalfds made (sfd, sfd2 ...)
	nep   int // epoll files made (ep, ep2 ...)
	// expect holds the deliberate differences: transcript line index ->
	// the model's line and the kernel/doc.go entry explaining it.
	expect map[int]difference
	// holding defers looking at the main thread's signals (hold, release).
	holding bool
}

func newEnv(s sys) *env {
	return &env{s: s, fds: map[string]int{}, names: map[int]string{}, ids: s.ids(), expect: map[int]difference{}}
}

// A difference is a transcript line where the model deliberately departs
// from Linux: the model's line, and the kernel/doc.go entry saying why.
type difference struct{ model, note string }

// differs declares that the transcript line ahead lines after the next
// one logged (0: the next one) reads model in the model, whatever the
// kernel's reads, for the reason note gives (a kernel/doc.go entry).
func (e *env) differs(ahead int, model, note string) {
	e.expect[len(e.lines)+ahead] = difference{model, note}
}

// log appends a line, then the signals the call raised.
func (e *env) log(format string, args ...any) {
	e.lines = append(e.lines, fmt.Sprintf(format, args...))
	if !e.holding {
		e.logSignals()
	}
}

func (e *env) logSignals() {
	for _, si := range e.s.signals() {
		e.lines = append(e.lines, "  "+e.sigLine(si))
	}
}

// hold stops logging the main thread's signals after each call, until
// release logs all that came meanwhile: for calls whose signals the
// second thread's call may raise at any moment.
func (e *env) hold() { e.holding = true }

func (e *env) release() {
	e.holding = false
	e.log("signals since hold:")
}

func (e *env) name(fd int) string {
	if n, ok := e.names[fd]; ok {
		return n
	}
	return fmt.Sprintf("fd%d?", fd)
}

func (e *env) add(name string, fd int) string {
	e.fds[name], e.names[fd] = fd, name
	return name
}

// who names an owner id as the scenario does.
func (e *env) who(id int) string {
	if id == 0 {
		return "0"
	}
	// The model's scenario thread is its process's main thread (TID ==
	// PID); the real one is not, so the process id is "me" too.
	if id == e.ids["pid"] {
		return "me"
	}
	for _, n := range []string{"me", "other", "gone", "pgrp"} {
		if v, ok := e.ids[n]; ok && v == id {
			return n
		}
	}
	return fmt.Sprintf("id%d?", id)
}

func errStr(err error) string {
	if err == nil {
		return "ok"
	}
	return errName(err)
}

func (e *env) sigLine(si sigRec) string {
	s := fmt.Sprintf("signal %s code=%s", sigName(si.Signo), codeName(si.Code))
	switch si.Code {
	case siUser, siTkill, siQueue:
		s += " pid=" + e.who(si.Pid)
	case siKernel:
	default:
		s += fmt.Sprintf(" fd=%s band=%#x", e.name(si.Fd), si.Band)
	}
	return s
}

// pipe makes a pipe; its ends are named r, w (then r2, w2 ...).
func (e *env) pipe(flags int) (string, string) {
	e.npipe++
	rn, wn := "r", "w"
	if e.npipe > 1 {
		rn, wn = fmt.Sprintf("r%d", e.npipe), fmt.Sprintf("w%d", e.npipe)
	}
	r, w, err := e.s.pipe2(flags)
	if err == nil {
		e.add(rn, r)
		e.add(wn, w)
	}
	e.log("pipe2(%s) -> %s", flagNames(flags), errStr(err))
	return rn, wn
}

func (e *env) fcntl(fd string, cmd, arg int) int {
	v, err := e.s.fcntl(e.fd(fd), cmd, arg)
	res := errStr(err)
	if err == nil {
		switch cmd {
		case fDUPFD, fDUPFDCLOEXEC:
			e.ndup++
			name := e.add(fmt.Sprintf("d%d", e.ndup), v)
			res = fmt.Sprintf("%s (>= %d: %v)", name, arg, v >= arg)
		case fGETFL:
			res = flagNames(v)
		case fGETOWN:
			if v < 0 {
				res = "-" + e.who(-v)
			} else {
				res = e.who(v)
			}
		default:
			res = fmt.Sprint(v)
		}
	}
	e.log("fcntl(%s, %s, %s) -> %s", fd, cmdName(cmd), argName(cmd, arg, e), res)
	return v
}

// arg names an owner ("me", "-pgrp" ...) for F_SETOWN; other commands take numbers.
func argName(cmd, arg int, e *env) string {
	if cmd == fSETOWN && arg != 0 {
		if arg < 0 && arg != -arg {
			return "-" + e.who(-arg)
		}
		if arg > 0 {
			return e.who(arg)
		}
	}
	if cmd == fSETFL {
		return flagNames(arg)
	}
	return fmt.Sprint(arg)
}

// setown is F_SETOWN with a named owner: "me", "-pgrp", "gone", "0".
func (e *env) setown(fd, who string) {
	arg := 0
	if strings.HasPrefix(who, "-") {
		arg = -e.ids[who[1:]]
	} else if who != "0" {
		arg = e.ids[who]
	}
	e.fcntl(fd, fSETOWN, arg)
}

var ownerTypes = map[int]string{0: "F_OWNER_TID", 1: "F_OWNER_PID", 2: "F_OWNER_PGRP"}

func ownerType(t int) string {
	if n, ok := ownerTypes[t]; ok {
		return n
	}
	return fmt.Sprint(t)
}

func (e *env) setownEx(fd string, typ int, who string) {
	id := 0
	if who != "0" {
		id = e.ids[who]
	}
	err := e.s.setownEx(e.fd(fd), typ, id)
	e.log("fcntl(%s, F_SETOWN_EX, {%s, %s}) -> %s", fd, ownerType(typ), who, errStr(err))
}

// setownRaw is F_SETOWN_EX with a literal id (bad ids).
func (e *env) setownExRaw(fd string, typ, id int) {
	err := e.s.setownEx(e.fd(fd), typ, id)
	e.log("fcntl(%s, F_SETOWN_EX, {%s, %d}) -> %s", fd, ownerType(typ), id, errStr(err))
}

func (e *env) getownEx(fd string) {
	typ, id, err := e.s.getownEx(e.fd(fd))
	res := errStr(err)
	if err == nil {
		res = fmt.Sprintf("{%s, %s}", ownerType(typ), e.who(id))
	}
	e.log("fcntl(%s, F_GETOWN_EX) -> %s", fd, res)
}

// own makes the main thread the owner of fd (F_OWNER_TID), chooses sig
// (0 = plain SIGIO) and sets O_ASYNC, as a signal-driven reader does.
func (e *env) own(fd string, sig int) { e.ownBy(fd, "me", sig) }

// ownBy makes who the owner of fd (F_OWNER_TID), with sig and O_ASYNC.
func (e *env) ownBy(fd, who string, sig int) {
	e.setownEx(fd, 0, who)
	e.fcntl(fd, fSETSIG, sig)
	fl, _ := e.s.fcntl(e.fd(fd), fGETFL, 0)
	e.fcntl(fd, fSETFL, fl|oASYNC)
}

func (e *env) fd(name string) int {
	if fd, ok := e.fds[name]; ok {
		return fd
	}
	return 1 << 20 // a descriptor no side has open: EBADF
}

// pattern is n bytes of a repeating pattern that reads back recognisably.
func pattern(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = 'a' + byte(i%26)
	}
	return p
}

func (e *env) write(fd string, n int) int {
	got, err := e.s.write(e.fd(fd), pattern(n))
	if err != nil {
		e.log("write(%s, %d) -> %s", fd, n, errStr(err))
		return 0
	}
	e.log("write(%s, %d) -> %d", fd, n, got)
	return got
}

func (e *env) read(fd string, n int) int {
	data, err := e.s.read(e.fd(fd), n)
	if err != nil {
		e.log("read(%s, %d) -> %s", fd, n, errStr(err))
		return 0
	}
	e.log("read(%s, %d) -> %d %s", fd, n, len(data), digest(data))
	return len(data)
}

// digest summarises read data: short data verbatim, long data by its ends.
func digest(p []byte) string {
	if len(p) <= 12 {
		return fmt.Sprintf("%q", p)
	}
	return fmt.Sprintf("%q..%q", p[:4], p[len(p)-4:])
}

func (e *env) poll(fd string, events int16) {
	rev, err := e.s.poll(e.fd(fd), events)
	res := errStr(err)
	if err == nil {
		res = pollNames(int(rev))
	}
	e.log("poll(%s, %s) -> %s", fd, pollNames(int(events)), res)
}

// dupfdQuery is F_DUPFD_QUERY: whether fd and other name one open file.
func (e *env) dupfdQuery(fd, other string) {
	v, err := e.s.fcntl(e.fd(fd), fDUPFDQUERY, e.fd(other))
	res := errStr(err)
	if err == nil {
		res = fmt.Sprint(v)
	}
	e.log("fcntl(%s, F_DUPFD_QUERY, %s) -> %s", fd, other, res)
}

func (e *env) close(fd string) {
	err := e.s.close(e.fd(fd))
	e.log("close(%s) -> %s", fd, errStr(err))
}

func (e *env) dup(fd string) string {
	nfd, err := e.s.dup(e.fd(fd))
	name := ""
	if err == nil {
		e.ndup++
		name = e.add(fmt.Sprintf("d%d", e.ndup), nfd)
	}
	e.log("dup(%s) -> %s", fd, orErr(name, err))
	return name
}

func orErr(s string, err error) string {
	if err != nil {
		return errStr(err)
	}
	return s
}

func (e *env) ioctl(fd string, req, arg int) {
	v, err := e.s.ioctl(e.fd(fd), req, arg)
	res := errStr(err)
	if err == nil {
		res = fmt.Sprint(v)
	}
	e.log("ioctl(%s, %s, %d) -> %s", fd, ioctlName(req), arg, res)
}

// sleeper starts a read (write when write is true) of n bytes on the
// second thread and returns once it sleeps; finish logs its result.
func (e *env) sleeper(fd string, n int, write bool) (finish func()) {
	var p []byte
	op := "read"
	if write {
		p, op = pattern(n), "write"
	}
	c, asleep := e.s.startCall(e.fd(fd), n, p)
	e.log("thread 2: %s(%s, %d) sleeps: %v", op, fd, n, asleep)
	return func() {
		data, got, err := c.wait()
		switch {
		case err != nil:
			e.log("thread 2: %s(%s, %d) -> %s", op, fd, n, errStr(err))
		case write:
			e.log("thread 2: write(%s, %d) -> %d", fd, n, got)
		default:
			e.log("thread 2: read(%s, %d) -> %d %s", fd, n, len(data), digest(data))
		}
	}
}

// compare reports how the model's transcript departs from the kernel's.
func compare(real, model *env) string {
	var b bytes.Buffer
	n := max(len(real.lines), len(model.lines))
	for i := range n {
		rl, ml := line(real.lines, i), line(model.lines, i)
		if d, ok := real.expect[i]; ok {
			if ml != d.model {
				fmt.Fprintf(&b, "line %d: model %q, want the declared difference %q (%s); kernel %q\n", i, ml, d.model, d.note, rl)
			}
			continue
		}
		if rl != ml {
			fmt.Fprintf(&b, "line %d: kernel %q\n         model  %q\n", i, rl, ml)
		}
	}
	return b.String()
}

func line(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(none)"
}

// exitOther ends the thread named "other".
func (e *env) exitOther() {
	e.s.exitOther()
	e.log("thread other exits")
}

// A scenario is a sequence of calls run on both sides; its name cites the
// SPEC IDs it checks.
type scenario struct {
	name string
	// unprivileged runs the scenario without CAP_SYS_RESOURCE and
	// CAP_SYS_ADMIN (the model: as a task with a non-root Cred).
	unprivileged bool
	// privileged needs CAP_SYS_RESOURCE on the real side (the model: a
	// root task, as every scenario's task is unless unprivileged).
	privileged bool
	// uid, when not 0, runs the main thread (task) with that real and
	// effective uid and a saved uid of 0.
	uid int
	// masks: the scenario blocks and waits for signals itself (SPEC S5,
	// S8, S9). Both sides start with every watched signal blocked on the
	// main thread, and the harness never takes the main thread's
	// signals: they stay pending for the scenario's sigtimedwait,
	// sigpending and signalfd.
	masks bool
	run   func(e *env)
}

// otherSignals logs what the other thread has received so far.
func (e *env) otherSignals() {
	e.log("thread other collects its signals")
	for _, si := range e.s.otherSignals() {
		e.lines = append(e.lines, "  other got "+e.sigLine(si))
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(cond func() bool) bool {
	end := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(end) {
			return false
		}
		runtime.Gosched()
		time.Sleep(100 * time.Microsecond) // polling interval of a bounded wait, not synchronisation
	}
	return true
}
