package pipe_test

// Conformance of FIFOs (SPEC E7): the open rules of fs/pipe.c's
// fifo_open, then the pipe of P1. Facts from LTP's mkfifo, open and
// pipe tests and fifo(7); the code is this suite's.

var fifoScenarios = []scenario{
	{name: "E7/mkfifo-EEXIST-and-open-ENOENT", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.mkfifo("f", 0o600)
		e.open("nosuch", oRDONLY|oNONBLOCK, "x")
	}},
	{name: "E7/nonblocking-read-open-succeeds-alone", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.open("f", oRDONLY|oNONBLOCK, "fr")
		e.read("fr", 10)
		e.poll("fr", all)
		e.close("fr")
	}},
	{name: "E7/nonblocking-write-open-alone-ENXIO", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.open("f", oWRONLY|oNONBLOCK, "fw")
		e.open("f", oRDONLY|oNONBLOCK, "fr")
		e.open("f", oWRONLY|oNONBLOCK, "fw")
		e.close("fr")
		e.open("f", oWRONLY|oNONBLOCK, "fw2")
	}},
	{name: "E7/P1/fifo-is-a-pipe-once-both-ends-met", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.open("f", oRDONLY|oNONBLOCK, "fr")
		e.open("f", oWRONLY|oNONBLOCK, "fw")
		e.write("fw", 5)
		e.poll("fr", all)
		e.poll("fw", all)
		e.read("fr", 10)
		e.read("fr", 10)
		e.fcntl("fw", fGETPIPESZ, 0)
		e.close("fw")
		e.poll("fr", all)
		e.read("fr", 10)
	}},
	{name: "E7/reader-sees-POLLHUP-only-after-a-writer", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.open("f", oRDONLY|oNONBLOCK, "fr")
		e.poll("fr", all)
		e.open("f", oWRONLY|oNONBLOCK, "fw")
		e.poll("fr", all)
		e.close("fw")
		e.poll("fr", all)
		e.open("f", oRDONLY|oNONBLOCK, "fr2")
		e.poll("fr2", all)
	}},
	{name: "E7/blocking-read-open-waits-for-a-writer", run: func(e *env) {
		e.mkfifo("f", 0o600)
		done := e.openBg("f", oRDONLY, "fr")
		e.open("f", oWRONLY, "fw")
		done()
		e.write("fw", 3)
		e.read("fr", 10)
	}},
	{name: "E7/blocking-write-open-waits-for-a-reader", run: func(e *env) {
		e.mkfifo("f", 0o600)
		done := e.openBg("f", oWRONLY, "fw")
		e.open("f", oRDONLY|oNONBLOCK, "fr")
		done()
		e.write("fw", 3)
		e.read("fr", 10)
	}},
	{name: "E7/O_RDWR-open-never-waits", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.open("f", oRDWR, "f1")
		e.write("f1", 4)
		e.read("f1", 10)
		e.open("f", oWRONLY|oNONBLOCK, "fw")
		e.poll("f1", all)
	}},
	{name: "E7/P2/fifo-POLL_IN-and-SIGPIPE", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.open("f", oRDONLY|oNONBLOCK, "fr")
		e.open("f", oWRONLY|oNONBLOCK, "fw")
		e.setownEx("fr", 0, "me")
		e.fcntl("fr", fSETSIG, sigRT)
		e.fcntl("fr", fSETFL, oNONBLOCK|oASYNC)
		e.write("fw", 2)
		e.close("fr")
		e.write("fw", 1)
	}},
	{name: "E7/E2/fifo-in-epoll", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.open("f", oRDONLY|oNONBLOCK, "fr")
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, "fr", epollIN|epollET, 1)
		e.epollWait(ep, 4, 0)
		e.open("f", oWRONLY|oNONBLOCK, "fw")
		e.epollWait(ep, 4, 0)
		e.write("fw", 1)
		e.epollWait(ep, 4, 0)
		e.close("fw")
		e.epollWait(ep, 4, 0)
	}},
	{name: "E7/E1/select-on-a-fifo-reader", run: func(e *env) {
		e.mkfifo("f", 0o600)
		e.open("f", oRDONLY|oNONBLOCK, "fr")
		e.selectFds(0, "fr", "", "", 0)
		e.open("f", oWRONLY|oNONBLOCK, "fw")
		e.selectFds(0, "fr", "fw", "", 0)
		e.write("fw", 1)
		e.selectFds(0, "fr", "fw", "", 0)
		e.close("fw")
		e.read("fr", 1)
		e.selectFds(0, "fr", "", "", 0)
	}},
}
