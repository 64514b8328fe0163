package devfs

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// callPatience is how long the bridge waits for a call that takes a
// client's exec lock before it gives up on the client for the time being.
const callPatience = 100 * time.Millisecond

// maxStuck is how many such calls may sleep at once, given up on.
const maxStuck = 4

// errStuck is a call given up on, or not made because an earlier call on
// the same client still sleeps or maxStuck calls do: the answer is
// unknown, and the bridge tries again later.
var errStuck = unix.EBUSY

// bounded makes the bridge's calls that can sleep on a client: kcmp,
// pidfd_getfd, reads of a thread's syscall file and of its memory
// (process_vm_readv). The first three take the client's exec lock
// (exec_update_lock) for reading, which an execve(2) holds for writing
// while it closes the close-on-exec descriptors, and a close that sends a
// FLUSH to a FUSE server that never answers keeps it held for good; the
// client also chooses what backs the memory read (a page of such a file,
// or one a userfaultfd never fills). So each call runs on a goroutine of
// its own and the caller waits for it at most callPatience. A call not
// done by then is given up on (ETIMEDOUT): its client is stuck until the
// call returns, and every call on a stuck client fails at once (EBUSY);
// with maxStuck calls asleep every call fails at once. The caller never
// blocks for long, and at most maxStuck threads sleep in clients.
type bounded struct {
	mu    sync.Mutex
	stuck map[int]int // pid: calls given up on that still sleep
	n     int         // calls given up on that still sleep
}

// busy reports whether a call on pid would fail at once.
func (c *bounded) busy(pid int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n >= maxStuck || c.stuck[pid] > 0
}

// asleep reports how many calls given up on still sleep.
func (c *bounded) asleep() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// boundedCall runs f, a call on process pid, within c's bounds: it
// returns f's result, or errStuck (EBUSY) without calling f, or
// ETIMEDOUT once f has run for callPatience; late, if not nil, then
// receives f's result when f returns (to close a descriptor it made).
// f must not share memory with the caller: after a timeout it still runs.
func boundedCall[T any](c *bounded, pid int, f func() (T, error), late func(T)) (T, error) {
	var zero T
	if c.busy(pid) {
		return zero, errStuck
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	timer := time.NewTimer(callPatience)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.v, r.err
	case <-timer.C:
	}
	c.mu.Lock()
	if c.stuck == nil {
		c.stuck = map[int]int{}
	}
	c.stuck[pid]++
	c.n++
	c.mu.Unlock()
	go func() {
		r := <-done
		if late != nil && r.err == nil {
			late(r.v)
		}
		c.mu.Lock()
		if c.stuck[pid]--; c.stuck[pid] == 0 {
			delete(c.stuck, pid)
		}
		c.n--
		c.mu.Unlock()
	}()
	return zero, unix.ETIMEDOUT
}

// stuck reports whether err is a bounded call's unknown answer.
func stuck(err error) bool { return err == errStuck || err == unix.ETIMEDOUT }
