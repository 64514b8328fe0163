package aio

import "golang.org/x/sys/unix"

// A request that waits before its transfer begins keeps its own
// reference to the open file.
//
// POSIX close(2): an I/O operation that is not cancelled "completes as
// if the close() operation had not yet occurred". A request the engine
// holds back for ordering (an fsync behind earlier writes, SPEC C10; an
// O_APPEND write behind the one before, C12), or one a thread-pool
// worker has not taken yet (or waits with in ppoll on a stream), would
// otherwise reach the kernel by descriptor number only once it starts:
// if its owner closed the descriptor meanwhile and the number went to
// another file (the next open takes the lowest free number), the data
// would land there. So such a request is pinned at submission, on the
// submitter's goroutine, while the number still names the file it was
// submitted for: the engine duplicates the descriptor (F_DUPFD_CLOEXEC),
// the backend transfers through the duplicate, and the completion closes
// it. A duplicate costs two system calls, so only requests that may wait
// are pinned: held ones, those waiting on an io_uring ring's backlog for
// room, and every request of the host thread pool (where a worker picks
// a request up later, and a stream wait can last forever). A request
// io_uring takes into its ring is resolved by the kernel when the ring's
// loop enters it, right after submission, and a registered descriptor
// (RegisterFile, as every File's on io_uring) is the ring's own
// reference, so its requests need no pin on the backlog.
//
// A process out of descriptors (EMFILE) leaves the request unpinned, as
// it was before: it then follows the number.

// pinFd gives r its own descriptor for the file r.fd names now, unless
// it has one. A descriptor that is not open is left alone: the request
// reports EBADF when it runs.
func (r *Request) pinFd() {
	if r.pinned != 0 || r.fd < 0 {
		return
	}
	if d, err := unix.FcntlInt(uintptr(r.fd), unix.F_DUPFD_CLOEXEC, 0); err == nil {
		r.pinned = int32(d) + 1
	}
}

// unpinFd closes r's own descriptor, if it has one. The backend is done
// with r.
func (r *Request) unpinFd() {
	if r.pinned != 0 {
		unix.Close(int(r.pinned - 1))
		r.pinned = 0
	}
}

// ioFd is the descriptor a backend transfers through: r's own when it
// is pinned, else the number it was submitted with.
func (r *Request) ioFd() int {
	if r.pinned != 0 {
		return int(r.pinned - 1)
	}
	return r.fd
}
