package uring

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// register is io_uring_register(2).
func (r *Ring) register(opcode uintptr, arg unsafe.Pointer, nargs uintptr) error {
	for {
		_, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), opcode, uintptr(arg), nargs, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return fmt.Errorf("uring: io_uring_register(opcode %d): %w", opcode, errno)
		}
		return nil
	}
}

// RegisterEventfd makes the kernel signal the eventfd efd whenever it posts
// completions (IORING_REGISTER_EVENTFD), unless IORING_CQ_EVENTFD_DISABLED
// is set (SetEventfdEnabled).
func (r *Ring) RegisterEventfd(efd int) error {
	fd := int32(efd)
	return r.register(IORING_REGISTER_EVENTFD, unsafe.Pointer(&fd), 1)
}

// UnregisterEventfd undoes RegisterEventfd.
func (r *Ring) UnregisterEventfd() error {
	return r.register(IORING_UNREGISTER_EVENTFD, nil, 0)
}

// RegisterBuffers registers bufs as the ring's fixed buffers, index i for
// bufs[i], for READ_FIXED and WRITE_FIXED (IORING_REGISTER_BUFFERS). The
// kernel pins their pages once, instead of once per request, which is what
// makes O_DIRECT cheaper. The memory must stay valid until
// UnregisterBuffers or Close: allocate it outside the Go heap (unix.Mmap)
// or keep it reachable and pinned.
func (r *Ring) RegisterBuffers(bufs [][]byte) error {
	if len(bufs) == 0 {
		return fmt.Errorf("uring: RegisterBuffers with no buffers: %w", unix.EINVAL)
	}
	iov := make([]iovec, len(bufs))
	for i, b := range bufs {
		iov[i] = iovec{Base: uintptr(bufAddr(b)), Len: uint64(len(b))}
	}
	err := r.register(IORING_REGISTER_BUFFERS, unsafe.Pointer(&iov[0]), uintptr(len(iov)))
	runtime.KeepAlive(bufs)
	return err
}

// UnregisterBuffers drops the ring's fixed buffers.
func (r *Ring) UnregisterBuffers() error {
	return r.register(IORING_UNREGISTER_BUFFERS, nil, 0)
}

// RegisterFiles registers fds as the ring's fixed files, index i for fds[i]
// (-1 leaves a slot empty); an SQE with IOSQE_FIXED_FILE then names the
// index instead of the descriptor, which saves a file reference count per
// request. The ring holds its own reference: closing the descriptor does
// not close the registered file.
func (r *Ring) RegisterFiles(fds []int32) error {
	if len(fds) == 0 {
		return fmt.Errorf("uring: RegisterFiles with no descriptors: %w", unix.EINVAL)
	}
	return r.register(IORING_REGISTER_FILES, unsafe.Pointer(&fds[0]), uintptr(len(fds)))
}

// UpdateFiles replaces fixed files from slot off on with fds
// (IORING_REGISTER_FILES_UPDATE; -1 empties a slot).
func (r *Ring) UpdateFiles(off uint32, fds []int32) error {
	if len(fds) == 0 {
		return nil
	}
	up := filesUpdate{Offset: off, Fds: uint64(uintptr(unsafe.Pointer(&fds[0])))}
	err := r.register(IORING_REGISTER_FILES_UPDATE, unsafe.Pointer(&up), uintptr(len(fds)))
	runtime.KeepAlive(fds) // up.Fds hides the pointer from the collector
	return err
}

// UnregisterFiles drops the ring's fixed files.
func (r *Ring) UnregisterFiles() error {
	return r.register(IORING_UNREGISTER_FILES, nil, 0)
}

// EnableRings starts a ring set up with IORING_SETUP_R_DISABLED; with
// SINGLE_ISSUER the calling thread becomes the one allowed to submit.
func (r *Ring) EnableRings() error {
	return r.register(IORING_REGISTER_ENABLE_RINGS, nil, 0)
}

// SetMaxWorkers sets how many kernel workers (io-wq) may run the ring's
// requests that cannot complete inline at once, per submitting task:
// bounded ones (regular files: an fsync, a buffered write the file system
// cannot do without blocking) and unbounded ones (a read of a pipe or a
// socket); 0 leaves a limit as it is (IORING_REGISTER_IOWQ_MAX_WORKERS).
// It returns the limits in force before. The kernel's default for bounded
// work is min(SQ entries, 4 × CPUs). Linux 5.15.
func (r *Ring) SetMaxWorkers(bounded, unbounded uint32) (prevBounded, prevUnbounded uint32, err error) {
	lim := [2]uint32{bounded, unbounded}
	if err := r.register(IORING_REGISTER_IOWQ_MAX_WORKERS, unsafe.Pointer(&lim[0]), 2); err != nil {
		return 0, 0, err
	}
	return lim[0], lim[1], nil
}
