package kernel

import (
	"context"
	"math/bits"
	"time"
)

// FD_SETSIZE is the number of descriptors an FdSet holds (glibc's
// FD_SETSIZE).
const FD_SETSIZE = 1024

// An FdSet is fd_set: one bit per descriptor below FD_SETSIZE. The zero
// value is empty. Set, Clear and IsSet ignore a descriptor outside the
// set's range, where C's FD_SET would overrun it.
type FdSet struct {
	Bits [FD_SETSIZE / 64]uint64
}

// Set adds fd to the set (FD_SET).
func (s *FdSet) Set(fd int) {
	if s != nil && fd >= 0 && fd < FD_SETSIZE {
		s.Bits[fd/64] |= 1 << (fd % 64)
	}
}

// Clear removes fd from the set (FD_CLR).
func (s *FdSet) Clear(fd int) {
	if s != nil && fd >= 0 && fd < FD_SETSIZE {
		s.Bits[fd/64] &^= 1 << (fd % 64)
	}
}

// IsSet reports whether fd is in the set (FD_ISSET).
func (s *FdSet) IsSet(fd int) bool {
	return s != nil && fd >= 0 && fd < FD_SETSIZE && s.Bits[fd/64]&(1<<(fd%64)) != 0
}

// Zero empties the set (FD_ZERO).
func (s *FdSet) Zero() {
	if s != nil {
		*s = FdSet{}
	}
}

// What select counts as ready for each set (fs/select.c).
const (
	pollinSet  = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR
	polloutSet = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR
	pollexSet  = POLLPRI
)

// Select is select(2) on the drivers' poll methods (SPEC E1). It waits
// until a descriptor below nfds in readfds is ready for reading (POLLIN,
// POLLHUP or POLLERR), one in writefds for writing (POLLOUT or POLLERR),
// or one in exceptfds has an exceptional condition (POLLPRI), then
// leaves in each non-nil set only the ready descriptors and returns how
// many bits are set in all three. A nil set is empty. timeout nil waits
// forever; otherwise the wait ends after *timeout (0: at once), with 0
// returned and the sets emptied, and the time not slept is written back
// to *timeout (Linux's behaviour), in microseconds, whatever the result.
//
// EINVAL for a negative *timeout, a negative nfds or a nil ctx; EBADF when a
// descriptor in a set is not open (the sets are then left as they were).
// An nfds beyond the size of the task's descriptor table (64, growing as
// Linux's does) is cut down to it, as core_sys_select does, so bits at or
// above it are ignored and left as they were, and a huge nfds is no
// error (the man page's EINVAL for nfds above RLIMIT_NOFILE is not what
// the kernel does). A signal whose handler runs returns EINTR, never
// restarted, with the sets unchanged; the caller's ctx ending returns
// its error; the task exiting returns EBADF.
func (t *Task) Select(ctx context.Context, nfds int, readfds, writefds, exceptfds *FdSet, timeout *time.Duration) (int, error) {
	defer t.safePoint()
	wait := time.Duration(-1)
	if timeout != nil {
		if *timeout < 0 {
			return 0, EINVAL
		}
		wait = *timeout
	}
	if nfds < 0 || ctx == nil {
		return 0, EINVAL
	}
	start := time.Now()
	n, err := t.doSelect(ctx, nfds, [3]*FdSet{readfds, writefds, exceptfds}, wait)
	if timeout != nil && *timeout > 0 {
		left := max(*timeout-time.Since(start), 0)
		*timeout = left.Truncate(time.Microsecond)
	}
	return n, err
}

// doSelect is core_sys_select after the argument checks: the sets are
// copied in, checked, waited on, and copied back only on success (the
// 64-bit words holding descriptors below nfds).
func (t *Task) doSelect(ctx context.Context, nfds int, sets [3]*FdSet, wait time.Duration) (int, error) {
	nfds = min(nfds, t.fdtableSize(), FD_SETSIZE)
	var in, out [3]FdSet
	for i, s := range sets {
		if s != nil {
			in[i] = *s
		}
	}
	if err := t.selectCheck(nfds, &in); err != nil {
		return 0, err
	}
	n, err := t.pollLoop(ctx, wait, func(pt *PollTable) int {
		return t.selectScan(nfds, &in, &out, pt)
	})
	if err != nil {
		return 0, err
	}
	// set_fd_set writes back the words that hold descriptors below nfds.
	words := (nfds + 63) / 64
	for i, s := range sets {
		if s != nil {
			copy(s.Bits[:words], out[i].Bits[:words])
		}
	}
	return n, nil
}

// fdtableSize is Linux's max_fds for a table like t's: 64 descriptors
// (NR_OPEN_DEFAULT), then powers of two from 128 as it grows.
func (t *Task) fdtableSize() int {
	t.mu.Lock()
	n := len(t.fds)
	t.mu.Unlock()
	if n <= 64 {
		return 64
	}
	return 1 << bits.Len(uint(n-1))
}

// selectCheck is max_select_fd: EBADF when a descriptor in a set is not
// open.
func (t *Task) selectCheck(nfds int, in *[3]FdSet) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for fd := 0; fd < nfds; fd++ {
		if in[0].IsSet(fd) || in[1].IsSet(fd) || in[2].IsSet(fd) {
			if _, err := t.entryLocked(fd); err != nil {
				return EBADF
			}
		}
	}
	return nil
}

// selectScan polls every descriptor in the sets, registering pt, fills
// out with the ready ones and returns how many bits it set. A descriptor
// closed since the check is not ready, as Linux's select_poll_one finds.
func (t *Task) selectScan(nfds int, in, out *[3]FdSet, pt *PollTable) int {
	*out = [3]FdSet{}
	n := 0
	for fd := 0; fd < nfds; fd++ {
		r, w, x := in[0].IsSet(fd), in[1].IsSet(fd), in[2].IsSet(fd)
		if !r && !w && !x {
			continue
		}
		e, err := t.getEntry(fd)
		if err != nil {
			continue
		}
		mask := e.file.Poll(pt)
		e.file.put()
		for i, want := range [3]struct {
			asked bool
			set   int16
		}{{r, pollinSet}, {w, polloutSet}, {x, pollexSet}} {
			if want.asked && mask&want.set != 0 {
				out[i].Set(fd)
				n++
			}
		}
	}
	return n
}
