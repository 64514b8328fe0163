package pipe_test

import (
	"fmt"
	"slices"
	"time"
)

// Conformance of epoll and select over pipes (SPEC E1, E2, E4, E5, E6).
// Facts from LTP's epoll_create1_01/02, epoll_ctl01–05, epoll_wait01–07,
// epoll-ltp and select01–04, gVisor's epoll.cc and select.cc, and the man
// pages; the code is this suite's.

var epollScenarios = []scenario{
	{name: "E2/epoll_create1-flags", run: func(e *env) {
		ep := e.epollCreate(0)
		e.fcntl(ep, fGETFD, 0)
		e.fcntl(ep, fGETFL, 0)
		ep2 := e.epollCreate(epollCLOEXEC)
		e.fcntl(ep2, fGETFD, 0)
		e.epollCreate(1)
		e.epollCreate(oNONBLOCK)
	}},
	{name: "E2/epoll_ctl02-errors", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 1)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 1)
		e.epollCtl(ep, epollCTLMOD, w, epollOUT, 2)
		e.epollCtl(ep, epollCTLDEL, w, 0, 0)
		e.epollCtl(ep, epollCTLADD, ep, epollIN, 3)
		e.epollCtl(ep, 4, w, epollOUT, 2)
		e.epollCtl(r, epollCTLADD, w, epollOUT, 2)
		e.epollCtl(ep, epollCTLADD, "nosuch", epollIN, 4)
		e.epollCtl("nosuch", epollCTLADD, w, epollIN, 4)
		e.epollCtl(ep, epollCTLDEL, r, 0, 0)
		e.epollCtl(ep, epollCTLDEL, r, 0, 0)
	}},
	{name: "E2/E6/epoll_ctl-ELOOP", run: func(e *env) {
		ep := e.epollCreate(0)
		ep2 := e.epollCreate(0)
		ep3 := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, ep2, epollIN, 1)
		e.epollCtl(ep2, epollCTLADD, ep3, epollIN, 2)
		e.epollCtl(ep3, epollCTLADD, ep, epollIN, 3)
		e.epollCtl(ep2, epollCTLADD, ep, epollIN, 3)
	}},
	{name: "E2/E4/EPOLLEXCLUSIVE-rules", run: func(e *env) {
		r, _ := e.pipe(0)
		ep := e.epollCreate(0)
		ep2 := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN|epollEXCLUSIVE, 1)
		e.epollCtl(ep, epollCTLMOD, r, epollIN, 1)
		e.epollCtl(ep, epollCTLMOD, r, epollIN|epollEXCLUSIVE, 1)
		e.epollCtl(ep2, epollCTLADD, r, epollIN|epollEXCLUSIVE|epollONESHOT, 1)
		e.epollCtl(ep2, epollCTLADD, ep, epollIN|epollEXCLUSIVE, 1)
		e.epollCtl(ep, epollCTLDEL, r, 0, 0)
	}},
	{name: "E2/epoll_wait-errors", run: func(e *env) {
		r, _ := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollWait(ep, 0, 0)
		e.epollWait(ep, -1, 0)
		e.epollWait(r, 4, 0)
		e.epollWait("nosuch", 4, 0)
		e.epollWait(ep, 4, 10*time.Millisecond)
	}},
	{name: "E2/E4/epoll_wait01-level-triggered", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 1)
		e.epollCtl(ep, epollCTLADD, w, epollOUT, 2)
		e.epollWait(ep, 4, 0)
		e.write(w, 5)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
		e.read(r, 5)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E2/epoll_wait-maxevents-rotates", run: func(e *env) {
		r, w := e.pipe(0)
		r2, w2 := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 1)
		e.epollCtl(ep, epollCTLADD, r2, epollIN, 2)
		e.write(w2, 1)
		e.write(w, 1)
		for range 4 {
			e.epollWait(ep, 1, 0)
		}
	}},
	{name: "E2/data-handed-back-as-given", run: func(e *env) {
		_, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, w, epollOUT, 0xfeedfacecafebeef)
		e.epollWait(ep, 4, 0)
		e.epollCtl(ep, epollCTLMOD, w, epollOUT, 1<<63)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E4/EPOLLET-partial-reads", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN|epollET, 1)
		e.epollWait(ep, 4, 0)
		e.write(w, 10)
		e.epollWait(ep, 4, 0)
		e.read(r, 3)
		e.epollWait(ep, 4, 0)
		e.read(r, 3)
		e.epollWait(ep, 4, 0)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E4/EPOLLET-writer", run: func(e *env) {
		r, w := e.pipe(oNONBLOCK)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, w, epollOUT|epollET, 1)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
		e.write(w, 100000)
		e.epollWait(ep, 4, 0)
		e.read(r, 10)
		e.epollWait(ep, 4, 0)
		e.read(r, pageSize)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E4/EPOLLONESHOT-and-MOD", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN|epollONESHOT, 1)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.epollCtl(ep, epollCTLMOD, r, epollIN|epollONESHOT, 2)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 3)
		e.epollCtl(ep, epollCTLMOD, r, epollIN, 4)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E4/hangup-and-error", run: func(e *env) {
		r, w := e.pipe(0)
		r2, w2 := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN|epollRDHUP, 1)
		e.epollCtl(ep, epollCTLADD, w2, epollOUT, 2)
		e.write(w, 1)
		e.close(w)
		e.close(r2)
		e.epollWait(ep, 4, 0)
		e.read(r, 1)
		e.epollWait(ep, 4, 0)
		e.epollCtl(ep, epollCTLMOD, r, 0, 3)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E5/close-removes-the-registration", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 1)
		e.write(w, 1)
		e.close(r)
		e.epollWait(ep, 4, 0)
		e.epollCtl(ep, epollCTLDEL, r, 0, 0)
	}},
	{name: "E5/registration-lives-while-a-dup-is-open", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 1)
		d := e.dup(r)
		e.epollCtl(ep, epollCTLADD, d, epollIN, 2)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.close(r)
		e.epollWait(ep, 4, 0)
		e.close(d)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E6/nested-epoll", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		inner := e.epollCreate(0)
		e.epollCtl(inner, epollCTLADD, r, epollIN, 1)
		e.epollCtl(ep, epollCTLADD, inner, epollIN, 2)
		e.epollWait(ep, 4, 0)
		e.poll(inner, all)
		e.write(w, 1)
		e.poll(inner, all)
		e.epollWait(ep, 4, 0)
		e.epollWait(inner, 4, 0)
		e.read(r, 1)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E6/epoll-watched-by-select", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 1)
		e.selectFds(0, ep, ep, ep, 0)
		e.write(w, 1)
		e.selectFds(0, ep, ep, ep, 0)
	}},
	{name: "E6/A11/epoll-takes-O_ASYNC-and-never-signals", masks: true, run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 1)
		e.setownEx(ep, 0, "me")
		e.fcntl(ep, fSETSIG, 40)
		e.fcntl(ep, fSETFL, oASYNC)
		e.differs(0, "fcntl(ep, F_GETFL, 0) -> O_RDWR", "kernel/doc.go: a driver without Fasyncer accepts F_SETFL|FASYNC and never shows it (SPEC A11)")
		e.fcntl(ep, fGETFL, 0)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.sigpending()
	}},
	{name: "E2/E3/epoll_wait-sleeps-until-a-write", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 1)
		done := e.epollWaitBg(0, ep, 4, -1)
		e.write(w, 3)
		done()
	}},
	{name: "E4/EPOLLET-sleeper-wakes-once-per-write", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN|epollET, 1)
		e.write(w, 3)
		e.epollWait(ep, 4, 0)
		done := e.epollWaitBg(0, ep, 4, -1)
		e.write(w, 3)
		done()
	}},
	{name: "E4/EPOLLEXCLUSIVE-wakes-one-of-two-waiters", run: exclusiveWaiters},
	{name: "E1/select01-pipe", run: func(e *env) {
		r, w := e.pipe(0)
		e.selectFds(0, r, w, r+","+w, 0)
		e.write(w, 1)
		e.selectFds(0, r+","+w, r+","+w, "", 0)
	}},
	{name: "E1/select-EBADF", run: func(e *env) {
		r, w := e.pipe(0)
		d := e.dup(r)
		e.close(d)
		e.selectFds(0, r+","+d, "", "", 0)
		e.selectFds(0, "", d, "", 0)
		e.selectFds(0, "", "", w+","+d, 0)
	}},
	{name: "E1/select-EINVAL", run: func(e *env) {
		r, _ := e.pipe(0)
		e.selectFds(-1, r, "", "", 0)
		e.selectFds(-1, "", "", "", 0)
	}},
	{name: "E1/select-timeout-left", run: func(e *env) {
		r, w := e.pipe(0)
		e.selectFds(0, r, "", "", 10*time.Millisecond)
		e.write(w, 1)
		e.selectFds(0, r, "", "", time.Hour)
		e.selectFds(0, "", "", "", 5*time.Millisecond)
	}},
	{name: "E1/select-hangup-and-error", run: func(e *env) {
		r, w := e.pipe(0)
		r2, w2 := e.pipe(0)
		e.close(w)
		e.close(r2)
		e.selectFds(0, r+","+w2, r+","+w2, r+","+w2, 0)
	}},
	{name: "E1/select-sleeps-until-a-write", run: func(e *env) {
		r, w := e.pipe(0)
		rfd := e.fd(r)
		done := e.bg(0, nrSelect, "select({r}, NULL)", func(on pollSys) string {
			n, out, err := on.selectFds(rfd+1, [3][]int{{rfd}}, nil)
			if err != nil {
				return errStr(err)
			}
			return fmt.Sprintf("%d r=%s", n, e.fdNames(out[0]))
		})
		e.write(w, 1)
		done()
	}},
}

// exclusiveWaiters (SPEC E4): two threads wait in two epoll sets that
// both watch r with EPOLLEXCLUSIVE and a sentinel s without it; a write
// to r wakes one of them, which reports r; a write to s then wakes the
// other, which reports s alone, since r's wake-up never reached its set.
func exclusiveWaiters(e *env) {
	r, w := e.pipe(0)
	s, ws := e.pipe(0)
	eps := []string{e.epollCreate(0), e.epollCreate(0)}
	for _, ep := range eps {
		e.epollCtl(ep, epollCTLADD, r, epollIN|epollEXCLUSIVE, 1)
		e.epollCtl(ep, epollCTLADD, s, epollIN, 2)
	}
	var res [2]string
	var done [2]<-chan struct{}
	for i, ep := range eps {
		fd := e.fd(ep)
		var asleep bool
		done[i], asleep = e.ps().background(i, nrEpollWait, func(on pollSys) {
			res[i] = epollResult(on.epollWait(fd, 4, -1))
		})
		e.log("thread %d: epoll_wait(%s, 4, NULL) sleeps: %v", i+2, ep, asleep)
	}
	e.write(w, 1)
	first := -1
	waitFor(func() bool {
		for i := range done {
			select {
			case <-done[i]:
				first = i
				return true
			default:
			}
		}
		return false
	})
	if first < 0 {
		e.log("no waiter returned")
		return
	}
	e.log("first waiter -> %s", res[first])
	e.write(ws, 1)
	other := 1 - first
	select {
	case <-done[other]:
		e.log("second waiter -> %s", res[other])
	case <-time.After(10 * time.Second):
		e.log("second waiter still asleep after 10s")
	}
	got := []string{res[0], res[1]}
	slices.Sort(got)
	e.log("both: %q", got)
}
