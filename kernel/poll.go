package kernel

import (
	"context"
	"time"
)

// PollFd is struct pollfd: a descriptor, the events asked for, and the
// events that occurred (filled in by Poll).
type PollFd struct {
	Fd      int
	Events  int16
	Revents int16
}

// Poll waits until one of fds is ready (SPEC M3), as poll(2): each
// entry's Revents gets the driver's mask restricted to Events plus POLLERR
// and POLLHUP, POLLNVAL for a descriptor that is not open (including one
// closed while Poll waits), 0 for a negative Fd. It returns the number of
// entries with non-zero Revents, 0 when timeout passes first (timeout < 0
// waits forever, 0 does not wait). A signal whose handler runs returns
// EINTR, never restarted, as Linux does for poll; the caller's ctx ending
// returns its error; the task exiting or the kernel closing returns EBADF.
// EINVAL for more entries than the descriptor limit.
func (t *Task) Poll(ctx context.Context, fds []PollFd, timeout time.Duration) (int, error) {
	defer t.safePoint()
	if ctx == nil || len(fds) > t.k.nofile {
		return 0, EINVAL
	}
	return t.pollLoop(ctx, timeout, func(pt *PollTable) int { return t.pollScan(fds, pt) })
}

// pollLoop is the sleep of poll and select (do_poll, do_select): scan
// registers a poll table on every queue it looks at and reports how many
// entries are ready; pollLoop returns that count when non-zero, or
// sleeps until a wake-up of one of the queues, the timeout (< 0: none; 0:
// one scan), a signal (EINTR after its handler ran, never restarted),
// the end of ctx (its error) or the task's exit (EBADF), and scans again.
// A timeout ends the wait after one last scan, as Linux does.
func (t *Task) pollLoop(ctx context.Context, timeout time.Duration, scan func(*PollTable) int) (int, error) {
	ready := make(chan struct{}, 1)
	pt := NewPollTable(func() {
		select {
		case ready <- struct{}{}:
		default:
		}
	})
	pt.task = t
	defer pt.Free()
	var expired <-chan time.Time
	if timeout > 0 {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		expired = timer.C
	}
	timedOut := timeout == 0
	for {
		// Scan registers pt on every queue before reading each mask, so a
		// wake-up after the scan lands in ready.
		if n := scan(pt); n > 0 || timedOut {
			return n, nil
		}
		c, err := t.beginCall(ctx, nil, false)
		if err != nil {
			return 0, err
		}
		cancelled, done := c.sleepChans()
		select {
		case <-ready:
		case <-expired:
			timedOut = true // one last scan, as Linux does
		case <-cancelled: // a signal, or the task exiting
		case <-done: // the caller's ctx
		}
		if cause := t.endCall(c); cause != nil {
			if restart, err := t.interrupted(ctx, cause, false); !restart {
				return 0, err
			}
		}
	}
}

// pollScan fills every entry's Revents and returns how many are non-zero.
func (t *Task) pollScan(fds []PollFd, pt *PollTable) int {
	n := 0
	for i := range fds {
		p := &fds[i]
		p.Revents = t.pollOne(p, pt)
		if p.Revents != 0 {
			n++
		}
	}
	return n
}

// pollOne returns one entry's revents.
func (t *Task) pollOne(p *PollFd, pt *PollTable) int16 {
	if p.Fd < 0 {
		return 0
	}
	e, err := t.getEntry(p.Fd)
	if err != nil {
		return POLLNVAL
	}
	defer e.file.put()
	pt.Wait(&e.closeQ)
	if e.closed.Load() {
		return POLLNVAL
	}
	return e.file.Poll(pt) & (p.Events | POLLERR | POLLHUP)
}
