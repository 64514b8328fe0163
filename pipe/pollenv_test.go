package pipe_test

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// A pollSys is the part of a side that waits on many files (SPEC E1–E7):
// select, epoll and FIFOs, and calls that sleep on another thread.
type pollSys interface {
	epollCreate1(flags int) (int, error)
	epollCtl(ep, op, fd int, ev *epEvent) error
	// epollWait waits for at most max events; a negative timeout waits
	// for ever.
	epollWait(ep, max int, timeout time.Duration) ([]epEvent, error)
	// selectFds is select(2) on lists of descriptors; timeout nil waits
	// for ever, and the time left is written back to it.
	selectFds(nfds int, sets [3][]int, timeout *time.Duration) (int, [3][]int, error)
	mkfifo(name string, perm uint32) error
	open(name string, flags int) (int, error)
	// background runs f on a thread of the process other than the main
	// one (which: 0 or 1), giving it the calls of that thread, and
	// returns once the thread sleeps in system call nr (the model: in
	// the kernel), or reports false when f returns first.
	background(which, nr int, f func(on pollSys)) (done <-chan struct{}, asleep bool)
}

// An epEvent is struct epoll_event.
type epEvent struct {
	Events uint32
	Data   uint64
}

const (
	epollIN        = 0x1
	epollPRI       = 0x2
	epollOUT       = 0x4
	epollERR       = 0x8
	epollHUP       = 0x10
	epollRDNORM    = 0x40
	epollWRNORM    = 0x100
	epollRDHUP     = 0x2000
	epollEXCLUSIVE = 1 << 28
	epollWAKEUP    = 1 << 29
	epollONESHOT   = 1 << 30
	epollET        = 1 << 31

	epollCTLADD = 1
	epollCTLDEL = 2
	epollCTLMOD = 3

	epollCLOEXEC = oCLOEXEC

	// System call numbers (x86-64) a background call sleeps in.
	nrRead         = 0
	nrSelect       = 23
	nrRtSigtimedwt = 128
	nrEpollWait    = 232
	nrOpenat       = 257
)

func epollNames(m uint32) string {
	var parts []string
	for _, f := range []struct {
		bit  uint32
		name string
	}{{epollIN, "EPOLLIN"}, {epollPRI, "EPOLLPRI"}, {epollOUT, "EPOLLOUT"}, {epollERR, "EPOLLERR"},
		{epollHUP, "EPOLLHUP"}, {epollRDNORM, "EPOLLRDNORM"}, {0x80, "EPOLLRDBAND"}, {epollWRNORM, "EPOLLWRNORM"},
		{0x200, "EPOLLWRBAND"}, {0x400, "EPOLLMSG"}, {epollRDHUP, "EPOLLRDHUP"}, {epollEXCLUSIVE, "EPOLLEXCLUSIVE"},
		{epollWAKEUP, "EPOLLWAKEUP"}, {epollONESHOT, "EPOLLONESHOT"}, {epollET, "EPOLLET"}} {
		if m&f.bit != 0 {
			parts = append(parts, f.name)
			m &^= f.bit
		}
	}
	if m != 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%#x", m))
	}
	return strings.Join(parts, "|")
}

var ctlNames = map[int]string{epollCTLADD: "EPOLL_CTL_ADD", epollCTLDEL: "EPOLL_CTL_DEL", epollCTLMOD: "EPOLL_CTL_MOD"}

func (e *env) ps() pollSys { return e.s.(pollSys) }

// epollCreate makes an epoll file, named ep, ep2 ...
func (e *env) epollCreate(flags int) string {
	fd, err := e.ps().epollCreate1(flags)
	name := ""
	if err == nil {
		e.nep++
		name = "ep"
		if e.nep > 1 {
			name = fmt.Sprintf("ep%d", e.nep)
		}
		e.add(name, fd)
	}
	fl := fmt.Sprintf("%#x", flags)
	if flags == epollCLOEXEC {
		fl = "EPOLL_CLOEXEC"
	}
	e.log("epoll_create1(%s) -> %s", fl, orErr(name, err))
	return name
}

// epollCtl adds, changes or removes fd in ep; data is the event's data.
func (e *env) epollCtl(ep string, op int, fd string, events uint32, data uint64) {
	ev := &epEvent{Events: events, Data: data}
	arg := fmt.Sprintf("{%s, %d}", epollNames(events), data)
	if op == epollCTLDEL {
		ev, arg = nil, "NULL"
	}
	opName := ctlNames[op]
	if opName == "" {
		opName = fmt.Sprint(op)
	}
	e.log("epoll_ctl(%s, %s, %s, %s) -> %s", ep, opName, fd, arg, errStr(e.ps().epollCtl(e.fd(ep), op, e.fd(fd), ev)))
}

func epollResult(evs []epEvent, err error) string {
	if err != nil {
		return errStr(err)
	}
	parts := []string{fmt.Sprint(len(evs))}
	for _, ev := range evs {
		parts = append(parts, fmt.Sprintf("{%s, %d}", epollNames(ev.Events), ev.Data))
	}
	return strings.Join(parts, " ")
}

func (e *env) epollWait(ep string, max int, timeout time.Duration) {
	evs, err := e.ps().epollWait(e.fd(ep), max, timeout)
	e.log("epoll_wait(%s, %d, %s) -> %s", ep, max, durName(timeout), epollResult(evs, err))
}

// bg starts call on background thread which (0 or 1) and logs whether it
// sleeps in system call nr; finish waits for it, logs its result and
// reports whether it returned.
func (e *env) bg(which, nr int, desc string, call func(on pollSys) string) (finish func() bool) {
	var res string
	done, asleep := e.ps().background(which, nr, func(on pollSys) { res = call(on) })
	who := fmt.Sprintf("thread %d", which+2)
	e.log("%s: %s sleeps: %v", who, desc, asleep)
	return func() bool {
		select {
		case <-done:
			e.log("%s: %s -> %s", who, desc, res)
			return true
		case <-time.After(10 * time.Second):
			e.log("%s: %s still asleep after 10s", who, desc)
			return false
		}
	}
}

// epollWaitBg runs epoll_wait on a background thread.
func (e *env) epollWaitBg(which int, ep string, max int, timeout time.Duration) (finish func() bool) {
	fd := e.fd(ep)
	return e.bg(which, nrEpollWait, fmt.Sprintf("epoll_wait(%s, %d, %s)", ep, max, durName(timeout)), func(on pollSys) string {
		return epollResult(on.epollWait(fd, max, timeout))
	})
}

// fdList names descriptors for select: "r,w".
func (e *env) fdList(names string) []int {
	var out []int
	for _, n := range strings.Split(names, ",") {
		if n != "" {
			out = append(out, e.fd(n))
		}
	}
	return out
}

func (e *env) fdNames(fds []int) string {
	var parts []string
	for _, fd := range fds {
		parts = append(parts, e.name(fd))
	}
	slices.Sort(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

// selectFds is select over the named descriptors ("r,w" per set). nfds
// < 0 is passed as given; otherwise the call's nfds is this side's
// highest descriptor in the sets plus one plus nfds. timeout < 0 waits
// for ever.
func (e *env) selectFds(nfds int, rd, wr, ex string, timeout time.Duration) {
	sets := [3][]int{e.fdList(rd), e.fdList(wr), e.fdList(ex)}
	n, arg := nfds, fmt.Sprint(nfds)
	if nfds >= 0 {
		hi := -1
		for _, s := range sets {
			for _, fd := range s {
				hi = max(hi, fd)
			}
		}
		n, arg = hi+1+nfds, "maxfd+1"
		if nfds > 0 {
			arg = fmt.Sprintf("maxfd+1+%d", nfds)
		}
	}
	var tp *time.Duration
	if timeout >= 0 {
		left := timeout
		tp = &left
	}
	got, out, err := e.ps().selectFds(n, sets, tp)
	res := errStr(err)
	if err == nil {
		res = fmt.Sprintf("%d r=%s w=%s e=%s", got, e.fdNames(out[0]), e.fdNames(out[1]), e.fdNames(out[2]))
		if tp != nil {
			res += " left=" + leftName(*tp, timeout)
		}
	}
	e.log("select(%s, %s, %s, %s, %s) -> %s", arg, e.fdNames(sets[0]), e.fdNames(sets[1]), e.fdNames(sets[2]),
		durName(timeout), res)
}

// leftName describes the time select left of its timeout: the exact
// figure depends on the clock, its being 0 or some does not.
func leftName(left, timeout time.Duration) string {
	switch {
	case left == 0:
		return "0"
	case left > 0 && left <= timeout:
		return "some"
	}
	return "bad " + left.String()
}

func (e *env) mkfifo(name string, perm uint32) {
	e.log("mkfifo(%s, %#o) -> %s", name, perm, errStr(e.ps().mkfifo(name, perm)))
}

// open opens the FIFO name; the descriptor is called as.
func (e *env) open(name string, flags int, as string) {
	fd, err := e.ps().open(name, flags)
	if err == nil {
		e.add(as, fd)
	}
	e.log("open(%s, %s) -> %s", name, flagNames(flags), orErr(as, err))
}

// openBg opens the FIFO name on background thread 0, which may sleep in
// the open; the descriptor is called as.
func (e *env) openBg(name string, flags int, as string) (finish func()) {
	var fd int
	var err error
	f := e.bg(0, nrOpenat, fmt.Sprintf("open(%s, %s)", name, flagNames(flags)), func(on pollSys) string {
		fd, err = on.open(name, flags)
		if err != nil {
			return errStr(err)
		}
		return as
	})
	return func() {
		if f() && err == nil {
			e.add(as, fd)
		}
	}
}
