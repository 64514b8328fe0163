package pipe_test

import "time"

// Edge cases of epoll, select and FIFOs a differential corpus aims at
// (SPEC E1, E2, E4-E7), run by TestConformanceEdges. Facts from the
// kernel's eventpoll.c, select.c and fs/pipe.c (fifo_open), LTP's
// epoll_ctl*, epoll_wait*, select* and fifo tests, gVisor's epoll.cc and
// select.cc, and the man pages; the code is this suite's.

var edgeEpollScenarios = []scenario{
	{name: "E4/MOD-without-ONESHOT-rearms-level-triggered", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN|epollONESHOT, 1)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
		e.epollCtl(ep, epollCTLMOD, r, epollIN, 2)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E4/MOD-rearms-an-edge-triggered-registration", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN|epollET, 1)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
		e.epollCtl(ep, epollCTLMOD, r, epollIN|epollET, 2)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E4/ONESHOT-disarmed-still-blocks-a-second-ADD", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN|epollONESHOT, 1)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 2)
		e.close(w)
		e.epollWait(ep, 4, 0)
		e.epollCtl(ep, epollCTLDEL, r, 0, 0)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 3)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E4/events-0-still-reports-EPOLLERR-and-EPOLLHUP", run: func(e *env) {
		r, w := e.pipe(0)
		r2, w2 := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, w, 0, 1)
		e.epollCtl(ep, epollCTLADD, r2, 0, 2)
		e.epollWait(ep, 4, 0)
		e.close(r)
		e.close(w2)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E4/wrong-direction-interest-never-fires", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollOUT, 1)
		e.epollCtl(ep, epollCTLADD, w, epollIN|epollPRI, 2)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.read(r, 1)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E4/only-the-asked-bits-come-back", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollRDNORM, 1)
		e.epollCtl(ep, epollCTLADD, w, epollWRNORM|epollRDHUP, 2)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.epollCtl(ep, epollCTLMOD, r, epollIN|epollRDNORM|0x80|0x400, 3)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E2/EPOLLEXCLUSIVE-takes-only-its-bits", run: func(e *env) {
		r, _ := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN|epollEXCLUSIVE|epollRDHUP, 1)
		e.epollCtl(ep, epollCTLADD, r, epollIN|epollEXCLUSIVE|epollRDNORM, 1)
		e.epollCtl(ep, epollCTLADD, r, epollIN|epollEXCLUSIVE|epollPRI, 1)
		e.epollCtl(ep, epollCTLADD, r, epollEXCLUSIVE|epollET|epollERR|epollHUP|epollOUT, 1)
		e.epollCtl(ep, epollCTLDEL, r, 0, 0)
		e.epollCtl(ep, epollCTLADD, r, epollIN|epollEXCLUSIVE|epollWAKEUP, 2)
	}},
	{name: "E2/EPOLLWAKEUP-is-not-reported", run: func(e *env) {
		_, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, w, epollOUT|epollWAKEUP, 1)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E5/dup-into-a-closed-number-is-a-new-registration", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 1)
		d := e.dup(r)
		e.close(r)
		d2 := e.dup(w) // takes r's number
		e.epollCtl(ep, epollCTLADD, d2, epollOUT, 2)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.epollCtl(ep, epollCTLDEL, d2, 0, 0)
		e.epollCtl(ep, epollCTLDEL, d2, 0, 0)
		e.epollWait(ep, 4, 0)
		e.epollCtl(ep, epollCTLMOD, d, epollIN, 3)
	}},
	{name: "E5/one-file-in-two-sets-close-leaves-both", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		ep2 := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 1)
		e.epollCtl(ep2, epollCTLADD, r, epollIN|epollET, 2)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep2, 4, 0)
		e.close(r)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep2, 4, 0)
	}},
	{name: "E6/closing-an-inner-set-leaves-the-outer-quiet", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		inner := e.epollCreate(0)
		e.epollCtl(inner, epollCTLADD, r, epollIN, 1)
		e.epollCtl(ep, epollCTLADD, inner, epollIN, 2)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.close(inner)
		e.epollWait(ep, 4, 0)
		e.poll(ep, all)
	}},
	{name: "E6/inner-set-edge-triggered-in-the-outer", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		inner := e.epollCreate(0)
		e.epollCtl(inner, epollCTLADD, r, epollIN, 1)
		e.epollCtl(ep, epollCTLADD, inner, epollIN|epollET, 2)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.epollWait(inner, 4, 0)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E6/an-epoll-set-never-reports-EPOLLOUT", run: func(e *env) {
		_, w := e.pipe(0)
		ep := e.epollCreate(0)
		inner := e.epollCreate(0)
		e.epollCtl(inner, epollCTLADD, w, epollOUT, 1)
		e.epollCtl(ep, epollCTLADD, inner, epollIN|epollOUT|epollPRI, 2)
		e.epollWait(ep, 4, 0)
		e.poll(inner, all|0x2)
	}},
	{name: "E2/epoll_wait-timeout-then-ready", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 1)
		e.epollWait(ep, 4, 5*time.Millisecond)
		e.write(w, 1)
		e.epollWait(ep, 4, time.Hour)
	}},
	{name: "E4/EPOLLET-write-end-after-reader-returns-room", run: func(e *env) {
		r, w := e.pipe(oNONBLOCK)
		ep := e.epollCreate(0)
		e.fcntl(w, fSETPIPESZ, pageSize)
		e.epollCtl(ep, epollCTLADD, w, epollOUT|epollET, 1)
		e.epollWait(ep, 4, 0)
		e.write(w, pageSize)
		e.epollWait(ep, 4, 0)
		e.read(r, 1)
		e.epollWait(ep, 4, 0)
		e.read(r, pageSize)
		e.epollWait(ep, 4, 0)
		e.close(r)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E2/ready-list-order-and-requeue", run: func(e *env) {
		r, w := e.pipe(0)
		r2, w2 := e.pipe(0)
		r3, w3 := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, w, epollOUT, 1) // ready at once
		e.epollCtl(ep, epollCTLADD, r2, epollIN, 2)
		e.epollCtl(ep, epollCTLADD, w3, epollOUT, 3) // ready at once
		e.epollCtl(ep, epollCTLADD, r3, epollIN, 4)
		e.epollCtl(ep, epollCTLADD, r, epollIN|epollET, 5)
		e.write(w3, 1)
		e.write(w2, 1)
		e.write(w, 1)
		e.write(w3, 1) // already on the ready list: stays in place
		e.epollWait(ep, 2, 0)
		e.epollWait(ep, 8, 0)
		e.epollWait(ep, 8, 0)
		e.read(r3, 2)
		e.epollCtl(ep, epollCTLMOD, w, epollOUT, 6)
		e.epollWait(ep, 8, 0)
	}},
	{name: "E5/a-dup-of-the-epoll-descriptor-is-the-same-set", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		d := e.dup(ep)
		e.epollCtl(d, epollCTLADD, r, epollIN, 1)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 2)
		e.close(ep)
		e.write(w, 1)
		e.epollWait(d, 4, 0)
		e.epollWait(ep, 4, 0)
		e.epollCtl(d, epollCTLADD, d, epollIN, 3)
	}},
	{name: "E4/ONESHOT-with-ET-fires-once-until-MOD", run: func(e *env) {
		r, w := e.pipe(0)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN|epollET|epollONESHOT, 1)
		e.write(w, 1)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.write(w, 1)
		e.epollWait(ep, 4, 0)
		e.epollCtl(ep, epollCTLMOD, r, epollIN|epollET|epollONESHOT, 2)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
		e.close(w)
		e.epollWait(ep, 4, 0)
		e.epollCtl(ep, epollCTLMOD, r, epollIN|epollRDHUP, 3)
		e.epollWait(ep, 4, 0)
	}},
	{name: "E1/select-write-end-full-then-drained", run: func(e *env) {
		r, w := e.pipe(0)
		e.fcntl(w, fSETPIPESZ, 2*pageSize)
		fill(e, w, 2)
		e.selectFds(0, "", w, "", 0)
		e.read(r, 1)
		e.selectFds(0, "", w, "", 0)
		e.read(r, pageSize-1)
		e.selectFds(0, "", w, "", 0)
	}},
	{name: "E1/select-nfds-beyond-the-table", run: func(e *env) {
		r, w := e.pipe(0)
		e.write(w, 1)
		e.selectFds(100, r, w, "", 0)
		e.selectFds(5000, r, w, "", 0)
		e.selectFds(1<<20, r, "", "", 0)
	}},
	{name: "E1/select-same-descriptor-in-every-set", run: func(e *env) {
		r, w := e.pipe(0)
		d := e.dup(w)
		e.selectFds(0, r+","+w+","+d, r+","+w+","+d, r+","+w+","+d, 0)
		e.close(r)
		e.selectFds(0, w+","+d, w+","+d, w+","+d, 0)
	}},
	{name: "E1/select-no-sets-just-sleeps", run: func(e *env) {
		e.selectFds(0, "", "", "", 0)
		e.selectFds(10, "", "", "", 3*time.Millisecond)
	}},
}

// noLargefile is the kernel/doc.go entry on O_LARGEFILE, which Linux's
// open(2) adds and the model's Open does not.
const noLargefile = "kernel/doc.go: F_GETFL never shows O_LARGEFILE, which Linux adds to every open(2) on a 64-bit kernel"

var edgeFifoScenarios = []scenario{
	{name: "E7/data-is-gone-once-every-end-closed", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.open("f", oRDONLY|oNONBLOCK, "fr")
		e.open("f", oWRONLY|oNONBLOCK, "fw")
		e.write("fw", 5)
		e.fcntl("fw", fSETPIPESZ, 2*pageSize)
		e.close("fw")
		e.close("fr")
		e.open("f", oRDONLY|oNONBLOCK, "fr2")
		e.read("fr2", 10)
		e.fcntl("fr2", fGETPIPESZ, 0)
	}},
	{name: "E7/data-survives-while-a-reader-stays", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.open("f", oRDONLY|oNONBLOCK, "fr")
		e.open("f", oWRONLY|oNONBLOCK, "fw")
		e.write("fw", 5)
		e.close("fw")
		e.open("f", oWRONLY|oNONBLOCK, "fw2")
		e.poll("fr", all)
		e.read("fr", 10)
		e.read("fr", 10)
	}},
	{name: "E7/O_RDWR-keeps-writers-when-a-reader-leaves", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.open("f", oRDWR, "f1")
		e.open("f", oRDONLY|oNONBLOCK, "fr")
		e.open("f", oWRONLY|oNONBLOCK, "fw")
		e.close("fr")
		e.write("fw", 3)
		e.poll("f1", all)
		e.close("f1")
		e.write("fw", 1)
		e.poll("fw", all)
	}},
	{name: "E7/reader-POLLHUP-clears-when-a-writer-returns", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.open("f", oRDONLY|oNONBLOCK, "fr")
		e.open("f", oWRONLY|oNONBLOCK, "fw")
		e.close("fw")
		e.poll("fr", all)
		e.read("fr", 1)
		e.open("f", oWRONLY|oNONBLOCK, "fw2")
		e.poll("fr", all)
		e.read("fr", 1)
		e.close("fw2")
		e.read("fr", 1)
	}},
	{name: "E7/E4/write-end-in-epoll-as-readers-come-and-go", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.open("f", oRDONLY|oNONBLOCK, "fr")
		e.open("f", oWRONLY|oNONBLOCK, "fw")
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, "fw", epollOUT|epollET, 1)
		e.epollWait(ep, 4, 0)
		e.close("fr")
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
		e.open("f", oRDONLY|oNONBLOCK, "fr2")
		e.epollWait(ep, 4, 0)
		e.poll("fw", all)
		e.write("fw", 2)
		e.read("fr2", 5)
	}},
	{name: "E7/nonblocking-writer-open-with-an-O_RDWR-reader", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.open("f", oRDWR|oNONBLOCK, "f1")
		e.differs(0, "fcntl(f1, F_GETFL, 0) -> O_RDWR|O_NONBLOCK", noLargefile)
		e.fcntl("f1", fGETFL, 0)
		e.open("f", oWRONLY|oNONBLOCK, "fw")
		e.write("fw", 2)
		e.read("f1", 5)
		e.read("f1", 5)
		e.close("fw")
		e.read("f1", 5)
		e.poll("f1", all)
	}},
	{name: "E7/blocking-opens-meet-at-once-when-the-other-end-is-open", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.open("f", oRDONLY|oNONBLOCK, "fr")
		e.open("f", oWRONLY, "fw")
		e.open("f", oRDONLY, "fr2")
		e.differs(0, "fcntl(fw, F_GETFL, 0) -> O_WRONLY", noLargefile)
		e.fcntl("fw", fGETFL, 0)
		e.write("fw", 4)
		e.read("fr2", 2)
		e.read("fr", 2)
	}},
	{name: "E7/a-reader-that-came-and-went-still-ends-a-blocked-write-open", run: func(e *env) {
		// fifo_open's wait_for_partner waits for the readers' counter
		// to change, not for a reader to be there.
		e.mkfifo("f", 0o600)
		done := e.openBg("f", oWRONLY, "fw")
		e.open("f", oRDONLY|oNONBLOCK, "fr")
		e.close("fr")
		done()
		e.write("fw", 1)
		e.poll("fw", all)
	}},
	{name: "E7/a-writer-that-came-and-went-still-ends-a-blocked-read-open", run: func(e *env) {
		e.mkfifo("f", 0o600)
		done := e.openBg("f", oRDONLY, "fr")
		e.open("f", oWRONLY|oNONBLOCK, "fw")
		e.close("fw")
		done()
		e.fcntl("fr", fSETFL, oNONBLOCK)
		e.read("fr", 1)
		e.poll("fr", all)
	}},
	{name: "E7/two-FIFOs-are-two-pipes", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.mkfifo("g", 0o600)
		e.open("f", oRDWR, "f1")
		e.open("g", oRDWR, "g1")
		e.write("f1", 3)
		e.poll("g1", all)
		e.fcntl("g1", fSETFL, oNONBLOCK)
		e.read("g1", 5)
		e.read("f1", 5)
	}},
	{name: "E7/P2/fifo-writer-owner-hears-POLL_OUT", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.open("f", oRDONLY|oNONBLOCK, "fr")
		e.open("f", oWRONLY|oNONBLOCK, "fw")
		e.setownEx("fw", 0, "me")
		e.fcntl("fw", fSETSIG, sigRT)
		e.fcntl("fw", fSETFL, oNONBLOCK|oASYNC)
		e.write("fw", 3)
		e.read("fr", 3)
		e.close("fr")
		e.open("f", oRDONLY|oNONBLOCK, "fr2")
	}},
}
