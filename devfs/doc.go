// Package devfs exports the devices of a model kernel (package kernel) to
// unmodified processes on the real machine through FUSE, with
// bazil.org/fuse. It implements SPEC R3 and R4 (/work/shared/SPEC.md):
// cat, dd, shell redirection and C or Python poll/select/epoll clients use
// the model devices as M1–M3 and B1–B10 describe.
//
// The file system is one flat directory. Every device in the kernel's
// device table appears as a regular file (S_IFREG: a character-device or
// FIFO type would make the kernel treat it as a real device and never call
// the server), opened with direct I/O, non-seekable and with stream
// semantics (FOPEN_STREAM, so a reader blocked on a shared O_RDWR
// descriptor does not hold the file-position lock a writer needs). An
// optional read-only status file (Options.Status, for example scull's
// status view, SPEC B10) sits beside the devices; reading it never blocks.
//
// How real processes map onto the model:
//
//   - An open comes from a real process (the request's pid, folded to its
//     thread-group id so the threads of one process share one task). The
//     first open of a process creates a model task standing for it; the
//     task exits when the last file it opened is released.
//   - An open file is an open file description of that task (Task.Open);
//     reads and writes go to the driver through Task.Read and Task.Write.
//   - O_NONBLOCK is taken from every read and write request's file flags,
//     so an fcntl(F_SETFL) made after open counts (M2).
//   - poll, select and epoll reach the driver's Poll through FUSE poll; the
//     model wait queues fire the server's poll wake-up notification (M3).
//   - A FUSE interrupt (Ctrl-C, a caught signal) cancels the blocked call's
//     context and the client sees EINTR. FUSE cannot restart a call, so a
//     client whose handler has SA_RESTART still sees EINTR; so does a Go
//     client doing raw read(2) when the runtime's preemption signal lands
//     (os.File retries EINTR and hides it).
//   - release closes the model file (Task.Close).
//
// Everything else is refused cleanly: unknown names ENOENT; create, mkdir,
// mknod, unlink, rename, link, symlink, setxattr and removexattr EPERM;
// chmod, chown and utimes EPERM; truncation of a device to zero is
// accepted and does nothing (shell ">" redirection sends it); fsync EINVAL,
// as for a pipe; opening the status file for writing EACCES.
//
// Kernel FUSE has no fasync: fcntl(F_SETFL, O_ASYNC) on an exported file
// succeeds, F_GETFL does not show O_ASYNC, and no SIGIO ever arrives. The
// asynchronous notification of SPEC A and B5/B6 is therefore a property of
// the model only; processes on the real machine use poll, select or epoll.
//
// devfs answers requests with its own loop on bazil.org/fuse's
// connection (not bazil's fs.Server): a pool of workers each reads a
// request and handles it where it was read, and a new worker starts
// reading whenever the last idle one takes a request, so a handler that
// sleeps in the driver never stops the file system. That saves a thread
// hand-off and the allocation of a reply-sized buffer per request.
//
// Where the time goes (fasync bench fuse; perf on a 2-vCPU Firecracker
// VM, 64 KiB transfers through a 1 MiB scullpipe). Every 64 KiB crosses the
// server twice, a FUSE_WRITE and a FUSE_READ, each a round trip in which
// the client sleeps, a server thread wakes, and the reply wakes the client:
// 7.3 context switches per 64 KiB against a FIFO's 2.3. The server thread
// is busy about one core; 41% of its time is the scheduler's switch and
// wake-up paths (a wake-up of the other vCPU is an IPI, costly in a VM),
// 15% copies (five per byte against a FIFO's two: client to request
// buffer, to the scull ring, to a read buffer, to bazil's reply buffer,
// to the client), 3% pinning client pages, 6% bazil's reply-sized
// allocation and the garbage collection it causes. Only the last and one
// copy are within this package's reach, and bazil's API offers no reply
// without its allocation. Fewer round trips would need FUSE over io_uring
// (CONFIG_FUSE_IO_URING, fuse.enable_uring), which bazil does not speak.
//
// Stopping (R4): Mount.Close unmounts; while clients still hold files open
// it detaches the mount lazily and returns once they have closed them. If
// the serving process dies, the kernel aborts the connection and clients
// get ECONNABORTED (later ENOTCONN) instead of hanging.
//
// A process must not use its own mount through os.Open and friends. Go
// registers every pollable file with its netpoller, FUSE files are
// pollable, and the runtime's epoll_wait then asks this very server for
// readiness (FUSE_POLL) from a thread the server may need: the process
// can deadlock itself and, once a thread is stuck in a request to its
// own mount, cannot even exit. Clients belong in other processes (or use
// raw system calls); Mount.Abort is the way out of a stuck connection.
//
// Mounting needs /dev/fuse and fusermount3 (Debian package fuse3);
// CheckHost reports which is missing.
package devfs
