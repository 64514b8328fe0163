package kernel

// epoll's names and values (uapi/linux/eventpoll.h), for EpollCreate1,
// EpollCtl and EpollWait (SPEC E2–E6).
const (
	// EPOLL_CLOEXEC is EpollCreate1's only flag: FD_CLOEXEC on the new
	// descriptor (the value of O_CLOEXEC).
	EPOLL_CLOEXEC = O_CLOEXEC

	// EpollCtl operations.
	EPOLL_CTL_ADD = 1
	EPOLL_CTL_DEL = 2
	EPOLL_CTL_MOD = 3
)

// Event bits of EpollEvent.Events: the poll bits, and epoll's own
// input flags in the top bits.
const (
	EPOLLIN     = 0x1
	EPOLLPRI    = 0x2
	EPOLLOUT    = 0x4
	EPOLLERR    = 0x8
	EPOLLHUP    = 0x10
	EPOLLNVAL   = 0x20
	EPOLLRDNORM = 0x40
	EPOLLRDBAND = 0x80
	EPOLLWRNORM = 0x100
	EPOLLWRBAND = 0x200
	EPOLLMSG    = 0x400
	EPOLLRDHUP  = 0x2000

	// EPOLLEXCLUSIVE (ADD only): of the epoll sets watching one file
	// with it, a wake-up wakes one that has a waiter.
	EPOLLEXCLUSIVE = 1 << 28
	// EPOLLWAKEUP keeps the system awake while an event is pending; the
	// model has no suspend, and drops it for a task that is not root, as
	// Linux does without CAP_BLOCK_SUSPEND.
	EPOLLWAKEUP = 1 << 29
	// EPOLLONESHOT disables the registration after one report, until
	// EPOLL_CTL_MOD arms it again.
	EPOLLONESHOT = 1 << 30
	// EPOLLET makes the registration edge-triggered.
	EPOLLET = 1 << 31
)

// POLLRDHUP is the poll bit a driver reports when the peer has shut
// down its writing half (a stream socket); epoll reports it as
// EPOLLRDHUP to a registration that asked for it.
const POLLRDHUP = 0x2000

// epoll's internal masks (fs/eventpoll.c).
const (
	// epPrivateBits are the input flags that are no events.
	epPrivateBits = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE
	// epExclusiveOK are the flags EPOLLEXCLUSIVE may come with.
	epExclusiveOK = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE
	// epMaxNests is EP_MAX_NESTS: how deep epoll sets may nest.
	epMaxNests = 4
	// epMaxEvents is EP_MAX_EVENTS: INT_MAX / sizeof(struct epoll_event).
	epMaxEvents = 0x7fffffff / 12
)

// EpollEvent is struct epoll_event: the events asked for (EpollCtl) or
// that occurred (EpollWait), and the caller's data, handed back as given.
type EpollEvent struct {
	Events uint32
	Data   uint64
}
