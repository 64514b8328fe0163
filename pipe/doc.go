// Package pipe is a Linux pipe (fs/pipe.c) written against the model
// kernel's driver interfaces (package kernel) and nothing else: the second
// model driver, beside scull's scullpipe, and the one to copy when a
// device must behave exactly as Linux does rather than as LDD3 does.
//
// Pipe2 is pipe2(2): it makes a pipe and gives the task a descriptor for
// each end. The ends then take read, write, poll, close, dup, ioctl
// (FIONREAD) and fcntl, including the pipe's own F_SETPIPE_SZ and
// F_GETPIPE_SZ, as on Linux. The behaviour is SPEC.md section P (P1):
//
//   - a ring of 16 page-sized slots (64 KiB); F_SETPIPE_SZ rounds up to a
//     power-of-two number of pages, EBUSY below what the ring holds, EPERM
//     above pipe-max-size for an unprivileged task;
//   - read returns what is there, end of file once the last writer has
//     closed, EAGAIN under O_NONBLOCK; write to a pipe with no reader
//     fails with EPIPE and sends SIGPIPE to the writing thread; a write of
//     at most PIPE_BUF bytes is atomic;
//   - poll reports POLLHUP to readers without writers and POLLERR to
//     writers without readers;
//   - fasync readers hear POLL_IN after every write and when a writer goes
//     to sleep on a full ring; fasync writers hear POLL_OUT after every
//     read; both hear when the last reader or the last writer closes.
//
// The conformance suite (conformance_linux_test.go, SPEC P2) runs each scenario
// on a real Linux pipe and on this one and compares what both did, signal
// by signal.
package pipe
