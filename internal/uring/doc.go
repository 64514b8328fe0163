// Package uring is a small io_uring in pure Go: raw io_uring_setup,
// io_uring_enter and io_uring_register through golang.org/x/sys/unix, no
// cgo. It is the fast backend of package aio (SPEC section C, C13: POSIX
// AIO on real files through io_uring when the kernel allows it).
//
// Two layers:
//
//   - Ring is one io_uring: setup with flag fallback and the mmap'd SQ, CQ
//     and SQE array (one mapping with IORING_FEAT_SINGLE_MMAP; ring.go),
//     batched submission (sq.go), reaping and waiting with a timeout
//     (cq.go), SQE preparation (READ, WRITE, READ_FIXED, WRITE_FIXED,
//     FSYNC, ASYNC_CANCEL, NOP, multishot POLL_ADD; prep.go), registered
//     buffers, files and eventfd (register.go). Its SQ side and CQ side
//     are each for one goroutine at a time.
//   - Loop drives a Ring from one goroutine and is safe for concurrent
//     use: submitters queue SQEs, the loop hands them to the kernel with one
//     io_uring_enter per round (one per SQE while they go to a device),
//     reaps, calls a Handler, and waits holding no OS thread: in the Go
//     netpoller on the ring's eventfd while requests are in the kernel, on
//     a channel when nothing is in flight (loop_poll.go). With
//     LoopConfig.Thread it keeps an OS thread instead and waits inside
//     io_uring_enter, as fio does (loop_thread.go). What the two share is
//     in loop.go, loop_submit.go and loop_run.go. A ring the kernel
//     refuses with an unexpected errno fails the Loop's requests with it
//     and closes the Loop, logged (loop_fail.go); the Loop never panics
//     for it.
//
// Available reports whether io_uring can be used here, and if not, why
// (the kernel.io_uring_disabled sysctl, seccomp EPERM, ENOSYS).
//
// Kernel facts this package leans on: a page-cached read completes inline,
// inside io_uring_enter, on the entering thread, so a ring uses at most one
// core for such reads and more cores need more rings; a read that would
// block (an empty pipe) is parked on a poll and can be cancelled; disk
// reads in flight cannot.
package uring
