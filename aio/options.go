package aio

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/kernel"
)

// An Option configures an Engine created by New.
type Option func(*config) error

// config is what the options of New set.
type config struct {
	backend string // "uring", "linuxaio", "threads", or "" for automatic selection
	// passedOver says why automatic selection passed over the backends
	// it preferred to the one it chose ("" when it chose its first).
	passedOver string
	bc         backendConfig
	log        *slog.Logger
	task       *kernel.Task // WithTask: serve this model task's descriptors
	arena      int          // WithBufferArena: bytes, a whole number of pages (0: none)
}

// WithBackend forces the backend: "uring", "linuxaio" or "threads". The
// empty string (the default) selects automatically: io_uring when the
// kernel allows it, else Linux's native AIO (io_setup, io_submit), else
// the thread pool. A forced backend that cannot run makes New fail with
// the reason, rather than quietly using another.
func WithBackend(name string) Option {
	return func(c *config) error {
		c.backend = name
		return nil
	}
}

// WithQueueDepth sets the backend's queue depth: submission queue entries
// per io_uring ring, or requests in the native AIO context (at most 4096;
// a ring or context that is full keeps further requests on a backlog);
// for the thread pool, and linuxaio's, the default worker count is twice
// this, at most 4096. It must be positive.
func WithQueueDepth(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("aio: queue depth %d: %w", n, syscall.EINVAL)
		}
		c.bc.QueueDepth = n
		return nil
	}
}

// WithMaxInFlight sets how many submitted requests may be incomplete at
// once; a submission beyond it fails with EAGAIN and queues nothing
// (SPEC C6). It must be positive.
func WithMaxInFlight(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("aio: in-flight limit %d: %w", n, syscall.EINVAL)
		}
		c.bc.MaxInFlight = n
		return nil
	}
}

// maxWorkers and maxRings bound WithWorkers and WithRings: each worker
// and each ring costs memory and descriptors up front, so a mistaken
// count fails with EINVAL instead of exhausting the process.
const (
	maxWorkers = 4096
	maxRings   = 1024
)

// WithWorkers sets the thread pool's number of worker goroutines (default
// twice the queue depth, at most 4096). Each worker runs one request at a
// time, or lends its place to a File call that makes its system call
// itself (see File): the workers bound the threads the pool keeps in the
// kernel. It must be 1 to 4096.
func WithWorkers(n int) Option {
	return func(c *config) error {
		if n <= 0 || n > maxWorkers {
			return fmt.Errorf("aio: workers %d (want 1 to %d): %w", n, maxWorkers, syscall.EINVAL)
		}
		c.bc.Workers = n
		return nil
	}
}

// WithRings sets the number of io_uring rings (default one per CPU). It
// must be 1 to 1024.
func WithRings(n int) Option {
	return func(c *config) error {
		if n <= 0 || n > maxRings {
			return fmt.Errorf("aio: rings %d (want 1 to %d): %w", n, maxRings, syscall.EINVAL)
		}
		c.bc.Rings = n
		return nil
	}
}

// WithRingThreads gives each io_uring ring's loop an OS thread of its own
// and sets the ring up SINGLE_ISSUER | DEFER_TASKRUN, as fio does: a
// completion that comes later (a disk read) wakes just that thread,
// instead of the submitting thread, the netpoller and the loop goroutine
// in turn. It pays where requests go to a device and are resubmitted from
// SIGEV_INLINE callbacks; it costs an OS thread per ring for the engine's
// life. On the thread pool it changes nothing; on kernels before 6.1 the
// rings work as without it.
func WithRingThreads() Option {
	return func(c *config) error {
		c.bc.RingThreads = true
		return nil
	}
}

// WithLogger sets the logger the engine reports to (backend selection at
// debug level, undeliverable notifications at warn level). The default is
// slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("aio: nil logger: %w", syscall.EINVAL)
		}
		c.log = l
		return nil
	}
}

// selectBackend builds the backend c asks for, or, when c names none, the
// available backend of lowest rank, logging at debug level why each one
// passed over was not used and recording it in c.passedOver.
func selectBackend(c *config, done doneFunc) (backend, error) {
	if c.bc.Rings == 0 {
		c.bc.Rings = runtime.NumCPU()
	}
	if c.bc.Workers == 0 {
		c.bc.Workers = 2 * min(c.bc.QueueDepth, maxWorkers/2)
	}
	if c.task != nil {
		if c.backend != "" && c.backend != "model" {
			return nil, fmt.Errorf("aio: backend %q with a model task: %w", c.backend, syscall.EINVAL)
		}
		return newModelBackend(c.task, c.bc, done), nil
	}
	if c.backend != "" {
		be, ok := registry[c.backend]
		if !ok {
			return nil, fmt.Errorf("aio: unknown backend %q (have %v): %w", c.backend, backendNames(), syscall.EINVAL)
		}
		if err := be.available(); err != nil {
			return nil, fmt.Errorf("aio: backend %s unavailable: %w", be.name, err)
		}
		return be.new(c.bc, done)
	}
	for _, be := range backendsByRank() {
		err := be.available()
		if err == nil {
			var bk backend
			bk, err = be.new(c.bc, done)
			if err == nil {
				c.log.Debug("aio: backend selected", "backend", be.name)
				return bk, nil
			}
		}
		c.log.Debug("aio: backend not used", "backend", be.name, "reason", err)
		if c.passedOver != "" {
			c.passedOver += ", "
		}
		c.passedOver += be.name + " refused: " + errnoName(err)
	}
	return nil, fmt.Errorf("aio: no backend available: %w", syscall.ENOSYS)
}

// errnoName is the name of err's errno (EPERM), or err's text when it
// carries none.
func errnoName(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		if name := unix.ErrnoName(en); name != "" {
			return name
		}
	}
	return err.Error()
}

// backendsByRank lists the registered backends in order of preference.
func backendsByRank() []backendEntry {
	bes := make([]backendEntry, 0, len(registry))
	for _, be := range registry {
		bes = append(bes, be)
	}
	slices.SortFunc(bes, func(a, b backendEntry) int { return a.rank - b.rank })
	return bes
}

// backendNames lists the registered backends' names in order of preference.
func backendNames() []string {
	var names []string
	for _, be := range backendsByRank() {
		names = append(names, be.name)
	}
	return names
}
