package aio

import (
	"encoding/binary"
	"syscall"

	"golang.org/x/sys/unix"
)

// Transfers on streams in the thread pool.
//
// A read or write on a descriptor that cannot seek (a pipe, FIFO, socket
// or terminal) may wait without bound: for a writer, for a reader, for
// the other end. A worker asleep in read(2) cannot be woken without a
// signal, and a signal does not help in Go: the runtime installs its
// handlers with SA_RESTART, so the kernel restarts the read. So a worker
// never sleeps in the transfer itself. It tries the transfer without
// waiting (preadv2/pwritev2 with RWF_NOWAIT, which pipes and sockets
// support), and when that would block it sleeps in ppoll(2) on the
// descriptor and on its own eventfd. cancel marks the request (bkState
// tbRunning to tbStopping) and writes the eventfd; Close does the same
// for every worker (interrupt). The mark is the request's own stage word,
// which the worker writes anyway, so a request that waits for nothing
// pays nothing for it. A request stopped before it moved
// any data completes with ECANCELED; a write stopped after part of its
// data went reports the bytes written, as an interrupted write(2) does.
//
// A file without RWF_NOWAIT (a FIFO opened by name, a terminal) is
// waited for in ppoll too, then transferred with one plain call: reads
// of whatever is there, writes in pieces of at most PIPE_BUF, which a
// pipe that polls writable takes without blocking. That call is not
// stopped (the stage is tbBlocking across it), and it can still block when
// another reader or writer of the same file takes the data or the room
// first. A descriptor the caller set O_NONBLOCK gets one plain try, whose
// EAGAIN is the request's result, as with read(2).

// pipeBuf is PIPE_BUF: the most a pipe that polls writable takes at once.
const pipeBuf = 4096

// stream moves r's data at the descriptor's position (see above).
func stream(r *Request, w *workerSlot) (int, syscall.Errno) {
	// A stream may keep r waiting without bound: r keeps its own
	// reference to the file meanwhile (pin.go).
	r.pinFd()
	if len(r.buf) == 0 || nonblocking(r.ioFd()) {
		return plainOnce(r)
	}
	events := int16(unix.POLLIN)
	if r.op == opWrite {
		events = unix.POLLOUT
	}
	nowait, done := true, 0
	for {
		if !nowait {
			if w.await(r, events) || !r.bkState.CompareAndSwap(tbRunning, tbBlocking) {
				return stopped(done)
			}
		}
		n, err := streamCall(r, r.buf[done:], nowait)
		if !nowait {
			r.bkState.Store(tbRunning) // stoppable again while it waits
		}
		switch {
		case err == syscall.EINTR:
			continue
		case nowait && err == syscall.EOPNOTSUPP:
			nowait = false
			continue
		case nowait && err == syscall.EAGAIN:
			if w.await(r, events) {
				return stopped(done)
			}
			continue
		case err != nil:
			if done > 0 {
				return done, 0
			}
			return 0, errnoOf(err)
		}
		done += n
		if r.op == opRead || n == 0 || done == len(r.buf) {
			return done, 0
		}
	}
}

// stopped is the result of a stream transfer stopped after done bytes.
func stopped(done int) (int, syscall.Errno) {
	if done > 0 {
		return done, 0
	}
	return 0, syscall.ECANCELED
}

// streamCall makes one transfer of p at the descriptor's position: without
// waiting (RWF_NOWAIT), or one plain read or write, a write of at most
// pipeBuf bytes.
func streamCall(r *Request, p []byte, nowait bool) (int, error) {
	if !nowait {
		if r.op == opRead {
			return unix.Read(r.ioFd(), p)
		}
		return unix.Write(r.ioFd(), p[:min(len(p), pipeBuf)])
	}
	iov := [1][]byte{p}
	if r.op == opRead {
		return unix.Preadv2(r.ioFd(), iov[:], -1, unix.RWF_NOWAIT)
	}
	return unix.Pwritev2(r.ioFd(), iov[:], -1, unix.RWF_NOWAIT)
}

// plainOnce makes r's transfer with one read(2) or write(2), retried only
// when a signal interrupted it before any data moved.
func plainOnce(r *Request) (int, syscall.Errno) {
	for {
		var n int
		var err error
		if r.op == opRead {
			n, err = unix.Read(r.ioFd(), r.buf)
		} else {
			n, err = unix.Write(r.ioFd(), r.buf)
		}
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, errnoOf(err)
		}
		return n, 0
	}
}

// nonblocking reports whether fd's file is in O_NONBLOCK mode.
func nonblocking(fd int) bool {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	return err == nil && fl&unix.O_NONBLOCK != 0
}

// await sleeps until r's descriptor polls ready for events, or until r is
// to stop (cancel marked it, or Close interrupts the pool), and reports
// whether r is to stop. Without an eventfd (none could be made) it waits
// for the descriptor alone, and only a ready descriptor ends the wait.
func (w *workerSlot) await(r *Request, events int16) (stop bool) {
	efd := w.eventfd()
	fds := [2]unix.PollFd{{Fd: int32(r.ioFd()), Events: events}, {Fd: efd, Events: unix.POLLIN}}
	for {
		// After the eventfd is published: a cancel that marks r later
		// finds it and wakes the poll below.
		if r.bkState.Load() == tbStopping || w.pool.stopping.Load() {
			return true
		}
		_, err := unix.Ppoll(fds[:], nil, nil)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return false // the transfer itself reports what is wrong
		}
		if fds[1].Revents != 0 {
			var v [8]byte
			unix.Read(int(efd), v[:]) // reset; the loop looks at why it was written
		}
		if fds[0].Revents != 0 {
			return r.bkState.Load() == tbStopping || w.pool.stopping.Load()
		}
	}
}

// eventfd returns the worker's eventfd, made on its first stream wait, or
// -1 (which ppoll ignores) when none can be made.
func (w *workerSlot) eventfd() int32 {
	if v := w.wake.Load(); v != 0 {
		return v - 1
	}
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return -1
	}
	w.wake.Store(int32(fd) + 1)
	return int32(fd)
}

// kick wakes the worker's stream wait, if it has ever waited. The pool's
// mu is held, so the eventfd is not closed meanwhile.
func (w *workerSlot) kick() {
	if v := w.wake.Load(); v != 0 {
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		unix.Write(int(v-1), one[:])
	}
}
