package uring

import (
	"errors"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A failed Loop. An io_uring_enter that fails with an errno other than
// "try again" (EAGAIN, EBUSY, ENOMEM), or a wait the kernel refuses,
// means the ring can no longer be used: a bad descriptor, a fault on the
// shared memory, a kernel that refuses the operation. A library must not
// bring its host down for that, so the Loop fails: it logs the error
// (LoopConfig.Logf), refuses new work as a closed Loop does (ErrClosed),
// and completes every request it still holds with that errno. Close then
// returns as for any Loop.
//
// What the Loop can name, it fails at once: the SQEs queued and not yet
// taken by the kernel (their user_data is in the SQ). Requests the kernel
// has taken complete as the kernel finishes them, if it can post them
// without an enter (a Loop without a thread), for up to failGrace; what
// is left after that, or at once on a Loop with a thread (whose
// completions need an enter), the Loop abandons: it logs how many, and
// their Handler calls never come; the kernel cancels them when Close
// releases the ring.

// failGrace bounds how long a failed Loop waits for the completions of
// requests the kernel had already taken.
const failGrace = time.Second

// fail fails the Loop for err, once; loop goroutine only.
func (l *Loop) fail(err error) {
	if l.failed {
		return
	}
	l.failed, l.failedAt, l.failErr = true, time.Now(), err
	errno := errnoOf(err)
	l.logf("uring: Loop on ring fd %d: %v: failing its requests with %v and closing", l.ring.fd, err, errno)
	l.mu.Lock()
	l.closed = true
	queued := l.unqueue()
	l.mu.Unlock()
	l.closing.Store(true)
	for _, ud := range queued {
		l.failOne(ud, errno)
	}
}

// unqueue takes back the SQEs published and not yet consumed by the
// kernel, which the failed Loop never enters, and reports their
// user_data. Called with mu held: no Batch is open, so every reserved
// SQE is published.
func (l *Loop) unqueue() []uint64 {
	r := l.ring
	head := atomic.LoadUint32(r.sqHead)
	var uds []uint64
	for i := head; i != r.sqeTail; i++ {
		uds = append(uds, r.sqes[(i&r.sqMask)<<r.sqeShift].UserData)
	}
	r.sqeTail = head
	atomic.StoreUint32(r.sqTail, head)
	return uds
}

// failOne completes the request or internal op whose SQE carried ud with
// -errno, as if the kernel had.
func (l *Loop) failOne(ud uint64, errno unix.Errno) {
	if ud == wakeUD {
		return // a threadMode's eventfd poll: not counted, nobody waits
	}
	l.inflight.Add(-1)
	if ud&internalTag == 0 {
		l.handle(ud, -int32(errno), 0)
		return
	}
	l.mu.Lock()
	ch := l.waiters[ud]
	delete(l.waiters, ud)
	l.mu.Unlock()
	if ch != nil {
		ch <- -int32(errno)
	}
}

// abandon gives up on the requests the kernel still holds for a failed
// Loop: it logs how many, and answers the callers of Cancel and Barrier
// still waiting with -EIO.
func (l *Loop) abandon() {
	l.mu.Lock()
	waiters := l.waiters
	l.waiters = map[uint64]chan int32{}
	l.mu.Unlock()
	l.logf("uring: Loop on ring fd %d: abandoning %d requests the kernel holds", l.ring.fd, l.inflight.Load())
	for _, ch := range waiters {
		ch <- -int32(unix.EIO)
	}
	l.inflight.Store(0)
}

// errnoOf is the errno err carries, or EIO.
func errnoOf(err error) unix.Errno {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return unix.EIO
}
