package sigio

import "golang.org/x/sys/unix"

// An errnoSentinel is an error of this package that also matches the errno
// the man pages would give for the same mistake, so callers may test either:
// errors.Is(err, sigio.ErrWatched) and errors.Is(err, unix.EEXIST) both hold.
type errnoSentinel struct {
	msg   string
	errno unix.Errno
}

func (e *errnoSentinel) Error() string { return e.msg }

// Is reports whether target is the errno e stands for.
func (e *errnoSentinel) Is(target error) bool {
	errno, ok := target.(unix.Errno)
	return ok && errno == e.errno
}

// Errors returned by this package, always wrapped with the operation and the
// descriptor. Each also matches the errno shown beside it.
var (
	// ErrClosed: the Watcher or Classic was used after Close (EBADF).
	ErrClosed error = &errnoSentinel{"watcher closed", unix.EBADF}
	// ErrCannotSignal: the descriptor's file type has no fasync method
	// (regular file, eventfd, timerfd, signalfd, epoll, /dev/null ...), so
	// F_SETFL accepted O_ASYNC but dropped it and no signal would ever come
	// (SPEC R2) (EINVAL).
	ErrCannotSignal error = &errnoSentinel{"descriptor cannot signal: its file type has no fasync support (regular file, eventfd, timerfd, signalfd, epoll ...)", unix.EINVAL}
	// ErrWatched: the descriptor is already watched by this Watcher (EEXIST).
	ErrWatched error = &errnoSentinel{"descriptor already watched", unix.EEXIST}
	// ErrNotWatched: Unwatch of a descriptor this Watcher does not watch (ENOENT).
	ErrNotWatched error = &errnoSentinel{"descriptor not watched", unix.ENOENT}
	// ErrAsyncBusy: the open file already has O_ASYNC set, so someone else
	// (another Watcher, a Classic, a dup of this descriptor, a C library)
	// owns its signals (EBUSY). The kernel keeps one fasync entry per open
	// file, so two owners cannot share one.
	ErrAsyncBusy error = &errnoSentinel{"open file already has O_ASYNC set (signal-driven I/O owned elsewhere)", unix.EBUSY}
	// ErrSignalRange: a signal outside MinSignal..MaxSignal (EINVAL).
	ErrSignalRange error = &errnoSentinel{"signal outside 35..64 (32-34 belong to libc, below 32 are standard signals)", unix.EINVAL}
	// ErrSignalInUse: the signal is held by another Watcher of this process
	// or ignored through os/signal (EBUSY).
	ErrSignalInUse error = &errnoSentinel{"signal already in use in this process", unix.EBUSY}
	// ErrStale: the descriptor was closed (and possibly reused for another
	// file) while watched; nothing was restored because the file it named
	// is gone (EBADF).
	ErrStale error = &errnoSentinel{"descriptor was closed or reused while watched; nothing restored", unix.EBADF}
)
