package sigio

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/linux"
)

// Classic is signal-driven I/O as LDD3's asynctest does it: the process is
// the owner (F_SETOWN getpid), the signal is plain SIGIO, and it arrives
// through os/signal on any thread. SIGIO is a standard signal, so several
// notifications pending at once coalesce into one, and it carries no
// descriptor or band: on every receive from C, check every watched
// descriptor. Use a Watcher for per-descriptor events.
//
// A Classic is safe for concurrent use.
type Classic struct {
	// C receives syscall.SIGIO after one or more notifications. Its
	// capacity is one: like the signal itself, notifications that arrive
	// before the receive merge into one.
	C <-chan os.Signal

	c      chan os.Signal
	mu     sync.Mutex // guards fds and closed
	fds    map[int]*armed
	closed bool
}

// NewClassic registers for SIGIO with os/signal and returns a Classic
// watching nothing yet.
func NewClassic() *Classic {
	c := &Classic{c: make(chan os.Signal, 1), fds: map[int]*armed{}}
	c.C = c.c
	signal.Notify(c.c, syscall.SIGIO)
	regMu.Lock()
	classics[c] = true
	regMu.Unlock()
	return c
}

// Watch makes fd raise SIGIO at this process: F_SETSIG 0, F_SETOWN_EX
// {F_OWNER_PID, getpid()} (which the kernel treats exactly as F_SETOWN
// getpid()), then O_ASYNC, in the order arm explains. If fd is already ready, C is notified at once (data
// already waiting raises no signal). Errors are those of Watcher.Watch.
func (c *Classic) Watch(fd int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("sigio: classic watch fd %d: %w", fd, ErrClosed)
	}
	if a := c.fds[fd]; a != nil {
		if a.sameFile() {
			return fmt.Errorf("sigio: classic watch fd %d: %w", fd, ErrWatched)
		}
		delete(c.fds, fd)
	}
	a, err := arm(fd, 0, linux.FOwnerEx{Type: F_OWNER_PID, Pid: int32(unix.Getpid())})
	if err != nil {
		return fmt.Errorf("sigio: classic watch fd %d: %w", fd, err)
	}
	c.fds[fd] = a
	if len(readiness(fd)) > 0 {
		c.nudge()
	}
	return nil
}

// Unwatch restores fd's O_ASYNC bit, owner and F_SETSIG. Errors are those
// of Watcher.Unwatch.
func (c *Classic) Unwatch(fd int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("sigio: classic unwatch fd %d: %w", fd, ErrClosed)
	}
	a := c.fds[fd]
	if a == nil {
		return fmt.Errorf("sigio: classic unwatch fd %d: %w", fd, ErrNotWatched)
	}
	delete(c.fds, fd)
	if err := a.disarm(); err != nil {
		return fmt.Errorf("sigio: classic unwatch fd %d: %w", fd, err)
	}
	return nil
}

// Close unwatches every descriptor and stops the os/signal registration.
// C is not closed (os/signal may still hold it briefly); a second Close
// returns ErrClosed.
func (c *Classic) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("sigio: classic close: %w", ErrClosed)
	}
	c.closed = true
	var errs []error
	for fd, a := range c.fds {
		delete(c.fds, fd)
		if err := a.disarm(); err != nil && !errors.Is(err, ErrStale) {
			errs = append(errs, fmt.Errorf("fd %d: %w", fd, err))
		}
	}
	signal.Stop(c.c)
	regMu.Lock()
	delete(classics, c)
	regMu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sigio: classic close: %w", err)
	}
	return nil
}

// nudge notifies C without blocking, as a coalescing signal would.
func (c *Classic) nudge() {
	select {
	case c.c <- syscall.SIGIO:
	default:
	}
}
