// Package fuseraw is the FUSE protocol layer devfs (SPEC R3, R4) stands
// on, in pure Go (x/sys/unix and internal/uring only): mounting through
// fusermount3, INIT, request decoding without allocation, deferred
// answers from any goroutine, INTERRUPT and poll notifications, over two
// transports, classic /dev/fuse and FUSE over io_uring. It negotiates
// FUSE over io_uring when the kernel offers it, and answers without
// allocating per request. A Handler must not block the transport's
// threads: it answers at once or keeps the request and answers later.
//
// What it does:
//
//   - Mount: fusermount3 over a socketpair (_FUSE_COMMFD, the /dev/fuse
//     descriptor comes back as SCM_RIGHTS) with fsname and subtype;
//     fusermount3 adds rootmode, user_id and group_id. MountOptions adds
//     allow_other with default_permissions (every user, modes enforced)
//     and auto_unmount (fusermount3 stays as a monitor and detaches the
//     mount if the server dies). Unmount: fusermount3 -u [-z]. Abort
//     through /sys/fs/fuse/connections/N/abort.
//   - INIT: protocol 7.min(kernel, 42), max_write 128 KiB in 32 pages
//     (FUSE_MAX_PAGES), FUSE_INIT_EXT so flags2 counts, and
//     FUSE_OVER_IO_URING when the io_uring transport is asked for.
//   - Opcodes handed to a Handler, decoded without allocation: LOOKUP,
//     GETATTR, SETATTR, OPEN, READ, WRITE, RELEASE, FLUSH, OPENDIR,
//     READDIR, RELEASEDIR, STATFS, FORGET, BATCH_FORGET, INTERRUPT, POLL
//     (Server.NotifyPoll sends FUSE_NOTIFY_POLL), IOCTL (restricted: the
//     input the command's _IOC size and direction say, Request.ReplyIoctl
//     with the result and output), GETXATTR and LISTXATTR
//     (Request.ReplyXattr). READLINK, SYMLINK,
//     MKNOD, MKDIR, UNLINK, RMDIR, RENAME, RENAME2, LINK, CREATE, FSYNC,
//     FSYNCDIR, SETXATTR, REMOVEXATTR and ACCESS
//     reach it with the header alone, to be refused with the errno the
//     file system chooses (ENOSYS would make the kernel treat FSYNC as
//     done and retry CREATE as MKNOD). DESTROY is answered here,
//     everything else ENOSYS. A handler may keep a request and answer
//     it later from any goroutine (a read waiting for a writer); answers
//     reuse the transport's buffers, and a read answered from DataBuf is
//     not copied by this package.
//   - Transport Classic: a few goroutines read(2) /dev/fuse into 132 KiB
//     buffers and answer with one write(2) (writev(2) for data elsewhere).
//   - Transport URing: FUSE over io_uring (fs/fuse/dev_uring.c, Linux
//     6.14+, fuse.enable_uring=Y): one ring per possible CPU (SQE128,
//     SINGLE_ISSUER, DEFER_TASKRUN) on a goroutine locked to its thread and
//     pinned to its CPU; entries (header + 128 KiB payload, mmap'd) are
//     registered with FUSE_IO_URING_CMD_REGISTER, and an answer plus the
//     fetch of the next request is one FUSE_IO_URING_CMD_COMMIT_AND_FETCH.
//     A queue registers more entries when requests kept by the handler use
//     them up. Answers from other goroutines reach the queue's thread
//     through an eventfd read in its ring. INTERRUPT and FORGET still come
//     through /dev/fuse (one classic reader), notifications go there.
//   - EnableURing turns fuse.enable_uring on for tests and benchmarks and
//     puts it back.
//
// The tests serve a model file system of the layer's own (pipeFS, in
// pipefs_test.go): files p0..pN-1, each a byte stream over a bounded
// in-process ring, blocking (deferred answers), O_NONBLOCK → EAGAIN per
// request, INTERRUPT → EINTR, POLL with wake-ups. They run cat/echo, dd both ways, SIGINT to a blocked cat, 80 readers
// waiting on one CPU, and Python EAGAIN and poll clients on both
// transports (they turn enable_uring on
// and put it back).
//
// On the io_uring transport a request the handler keeps holds its ring
// entry, so a queue registers more whenever fewer than two are left in
// the kernel, without limit (a fixed cap let 64 waiting readers on one
// CPU keep out the write that would wake them): each entry is 132 KiB
// of address space, mostly never touched, kept until unmount.
//
// # Where the time goes
//
// The figures are in docs/PERFORMANCE.md (go test -bench . on this
// package: its test file system, pipeFS, against a kernel FIFO, both transports, in one run).
// The classic transport pays read(2) and write(2) per request and a few
// server context switches per 64 KiB; over io_uring one io_uring_enter
// both answers and fetches, and a client on CPU n is served by the
// thread pinned to CPU n, so the server switches less and spends less
// CPU per request. What is left on either: four copies per byte (client
// → entry payload → ring → entry payload → client), the wake-up of the
// other CPU's queue thread (an eventfd write, an IPI in a VM) whenever a
// writer on one CPU completes a read that waits on the other CPU's
// queue, and the Go runtime's hand-off of a P around each blocking
// io_uring_enter. pipeFS's 1 MiB ring lets a writer run up to 16 blocks
// ahead where a FIFO holds 64 KiB: that, not FUSE, is how io_uring can
// beat the FIFO in 64 KiB transfers.
package fuseraw
