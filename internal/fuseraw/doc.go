// Package fuseraw is the FUSE protocol layer devfs (SPEC R3, R4) stands
// on, in pure Go (x/sys/unix and internal/uring only): mounting through
// fusermount3, INIT, request decoding without allocation, deferred
// answers from any goroutine, INTERRUPT and poll notifications, over two
// transports, classic /dev/fuse and FUSE over io_uring. It replaced
// bazil.org/fuse in devfs, which could not negotiate io_uring and
// allocated a reply per request (devfs on bazil: 0.15–0.6× a kernel FIFO
// in 64 KiB transfers; on this layer 0.40–0.80× classic and 0.56–1.26×
// over io_uring, see devfs's doc). A Handler must not block the transport's threads: it answers at
// once or keeps the request and answers later.
//
// What it does:
//
//   - Mount: fusermount3 over a socketpair (_FUSE_COMMFD, the /dev/fuse
//     descriptor comes back as SCM_RIGHTS) with fsname and subtype;
//     fusermount3 adds rootmode, user_id and group_id; no
//     default_permissions. Unmount: fusermount3 -u [-z]. Abort through
//     /sys/fs/fuse/connections/N/abort.
//   - INIT: protocol 7.min(kernel, 42), max_write 128 KiB in 32 pages
//     (FUSE_MAX_PAGES), FUSE_INIT_EXT so flags2 counts, and
//     FUSE_OVER_IO_URING when the io_uring transport is asked for.
//   - Opcodes handed to a Handler, decoded without allocation: LOOKUP,
//     GETATTR, SETATTR, OPEN, READ, WRITE, RELEASE, FLUSH, OPENDIR,
//     READDIR, RELEASEDIR, STATFS, FORGET, BATCH_FORGET, INTERRUPT, POLL
//     (Server.NotifyPoll sends FUSE_NOTIFY_POLL), GETXATTR and LISTXATTR
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
//   - PipeFS, a model file system of the layer's own: files p0..pN-1,
//     each a byte stream over a bounded in-process ring, blocking
//     (deferred answers), O_NONBLOCK → EAGAIN per request, INTERRUPT →
//     EINTR, POLL with wake-ups.
//
// Tests run cat/echo, dd both ways, SIGINT to a blocked cat, 80 readers
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
// # Figures
//
// These are the layer's own, measured with PipeFS before devfs moved
// onto it (devfs's figures are in its doc and the README). devfs's C
// client (devfs/testdata/fbench.c) against a kernel FIFO and
// PipeFS (1 MiB ring for 64 KiB transfers, 4 KiB for the ping) in the same
// run, 10 runs (10000 transfers, 20000 round trips each) on the 2-vCPU
// Firecracker VM, every run under flock /tmp/bench.lock. The VM was noisy:
// steal time near 20%, and the FIFO itself swung between 9 µs and
// 70–130 µs per round trip from one minute to the next, so only same-run
// ratios mean anything. Context switches and CPU are from getrusage, per
// 64 KiB or per round trip, server = every thread of the serving process,
// clients = both fbench processes.
//
//	64 KiB transfers      MB/s (median, range)  ×FIFO (median of per-run ratios)  server csw  client csw  server CPU
//	kernel FIFO           627–724 (517–846)     1                                  0           0.9–1.0     —
//	classic               569–589 (403–652)     0.78 (0.64–0.99)                   3.4         2.0         94–96 µs
//	io_uring              1289–1319 (999–1523)  1.96 (1.43–2.55)                   1.3–2.7     2.0         36–60 µs
//
//	1-byte ping           µs (quiet batch)      ×FIFO time (quiet batch)          server csw  client csw  server CPU
//	kernel FIFO           8.9 (8.6–9.1)         1                                  0           2.0         —
//	classic               136 (67–248)          15.6                               5.5         4.0         88 µs
//	io_uring              47 (39–187)           5.5                                2.3         4.0         27 µs
//
// io_uring against classic in the same run: 2.23× the throughput (median of
// 10 runs, 1.96–3.27×), and ping time 1.21× shorter over all 10 runs,
// 1.71× in the quiet batch; io_uring pings are bimodal: most runs take
// 35–48 µs with 2.2–2.5 server context switches, some 150–188 µs with 7–7.6
// (both seen back to back with GOMAXPROCS=2; GOMAXPROCS=1 gave 40–48 µs in
// two runs). For comparison, devfs on bazil measured 0.22–0.36× the FIFO
// and ~200 µs per ping (README, other runs). PipeFS's 1 MiB ring lets a
// writer run up to 16 blocks ahead where the FIFO holds 64 KiB: that, not
// FUSE, is why io_uring can beat the FIFO here; devfs's benchmark gives
// scullpipe the same 1 MiB.
//
// Where the time went (from the counters above; not profiled with
// perf): the classic transport pays read(2) + write(2) per request and
// ~3.4 server context switches per 64 KiB, ~95 µs of server CPU; over
// io_uring one io_uring_enter both answers and fetches, and a client on
// CPU n is served by the thread pinned to CPU n, so server context
// switches per 64 KiB drop to 1.3–2.7 and server CPU to 36–60 µs. What
// is left: four copies per byte (client → entry payload → ring → entry
// payload → client), the wake-up of the other CPU's queue thread (an
// eventfd write, an IPI in this VM) whenever a writer on one CPU
// completes a read that waits on the other CPU's queue, and the Go
// runtime's hand-off of a P around each blocking io_uring_enter (the
// suspected cause of the slow ping mode).
//
// The recommendation that came with these figures, replace bazil with
// this layer and keep the classic transport as the fallback, was taken
// (issue 5): devfs runs on it with either transport.
package fuseraw
