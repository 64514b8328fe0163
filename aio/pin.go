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
// it. A duplicate costs two system calls (and, with many threads, a
// contended descriptor-table lock: pinning every thread-pool request
// made cached 4 KiB reads 40-70% slower), so only requests that wait are
// pinned: held ones; those waiting on an io_uring ring's backlog for
// room (unless the rings hold the file: a registered descriptor, as
// every File's on io_uring); those queued in the thread pool when no
// idle worker is left to take them; and a stream transfer a worker
// begins, which may wait without bound. What is not pinned reaches the
// kernel within moments of its submission: an io_uring SQE when the
// ring's loop enters it, a request a waiting worker takes. A descriptor
// closed, and its number reused, in that moment is the program's own
// race, as it would be with a read(2) on another thread.
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
