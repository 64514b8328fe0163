package kernel

import "syscall"

// The errors of epoll, select and FIFOs (epoll_ctl.go, fifo.go), beside
// errno.go's.
const (
	ELOOP = syscall.ELOOP // epoll_ctl: the sets would loop or nest too deep
	ENXIO = syscall.ENXIO // open: a FIFO's write end under O_NONBLOCK, no reader
)
