// Package aio is POSIX asynchronous I/O for Go on real files and
// descriptors: aio_read, aio_write, aio_fsync, aio_error, aio_return,
// aio_suspend, aio_cancel and lio_listio as Read, Write, Fsync, Error,
// Return, Suspend, Cancel and ListIO. It implements SPEC section C; tests
// cite the IDs (C1–C14) they check.
//
// # Engines and backends
//
// An Engine (New) queues requests and hands them to a backend: io_uring
// when the kernel allows it, else Linux's native AIO (see below), else a
// pool of worker goroutines running pread(2)/pwrite(2)/fsync(2)/
// fdatasync(2). The choice is automatic (the reason a backend was passed
// over is logged with log/slog at debug level, and Engine.BackendReason
// gives it) and can be forced with WithBackend. The package-level functions use a
// default engine created on first use; programs that want to control an
// engine's life (tests, servers) create their own and Close it.
//
// # File or Request
//
// A File (NewFile, or (*Engine).NewFile for a File on an engine the
// program manages) is the way in for a Go program that wants fast file
// I/O without managing requests, wherever an os.File's ReadAt, WriteAt,
// Sync, Stat or Fd would serve (SPEC C15–C18, C20, C21). What the page
// cache can serve at once is read (or written) on the caller's goroutine
// with preadv2/pwritev2 and RWF_NOWAIT, and, once those keep succeeding,
// with the pread(2) or pwrite(2) os.File makes, trying RWF_NOWAIT on a
// sample of calls to notice when the cache stops serving; what would
// block goes to the engine: on io_uring (and for O_DIRECT files on
// native AIO) the calling goroutine waits in the scheduler holding no OS
// thread, and the calls of many goroutines reach io_uring together, one
// io_uring_enter per batch; on the thread pool, and for buffered files
// on native AIO, whose pool serves what would block, the call makes its
// system call itself in the place of an idle worker, sparing the two
// hand-offs a worker would cost, while the pool's size still bounds the
// threads in the kernel.
// So a File is never much slower than os.File, and on io_uring 1024
// goroutines reading a file not in memory hold a handful of threads
// instead of one each. NewFile without options uses the package's
// default engine: opening a File costs about what os.Open costs. Use the Request API below to keep requests in flight
// without a goroutine each (a completion callback resubmits, as fio's
// loop does), to be told by signal or channel, to cancel or list
// requests, or to submit a whole list at once: it does less work per
// request, and its SIGEV_INLINE rows are the engine's fastest.
//
// # Requests
//
// A Request is the aiocb: descriptor, offset, buffer, priority, ListIO
// opcode and notification. Submission returns as soon as the request is
// queued (C1); from then until it completes the caller must leave the
// request and its buffer alone. Error reports EINPROGRESS, then nil or the
// errno (C2); Return takes the result once, after which the request is
// idle and may be submitted again without allocating (C3).
//
// # Errors at submission
//
// What each call refuses at once, with POSIX's errno (C5, C6, C14),
// leaving the request as it was (one never submitted still reports
// EINVAL from Error):
//
//   - Read and Write: EINVAL for a nil Buf, an Nbytes below 0 or beyond
//     len(Buf), a Priority outside 0..AIO_PRIO_DELTA_MAX, a negative
//     Offset, a read that would end past the offset maximum, a bad Notify,
//     a request still in flight, or an engine closed (ErrClosed, which
//     wraps EINVAL); EFBIG for a write that starts at the offset maximum
//     or would end past it; EAGAIN beyond the in-flight limit, with
//     nothing queued. Opcode is ignored.
//   - Fsync: EINVAL for an op other than O_SYNC or O_DSYNC; EBADF for a
//     descriptor that is not open, not open for writing (F_GETFL, as
//     glibc checks; POSIX requires it though Linux's fsync(2) would sync
//     a read-only descriptor) or opened O_PATH; EINVAL for a pipe, FIFO
//     or socket (fstat) and on a model device; then EINVAL, EAGAIN and
//     ErrClosed as for Read. Priority, Opcode, Offset, Buf and Nbytes are
//     ignored, whatever they hold.
//   - ListIO: EINVAL for a mode other than LIO_WAIT or LIO_NOWAIT, or a
//     bad list notification; ErrClosed. Each entry is checked as Read or
//     Write checks it and a bad one only marks itself (its status is its
//     errno; ListIO returns EIO). Entries beyond the in-flight limit are
//     left out: each has the status EAGAIN, the entries that fit are
//     queued, and ListIO returns EAGAIN.
//   - Cancel: EBADF for a descriptor that is not open; EINVAL for a
//     request on another descriptor or of another engine.
//
// The offset maximum is the largest off_t, 2^63-1: every descriptor of a
// 64-bit process has it (O_LARGEFILE). A file system's own, smaller,
// limit (ext4: 16 TiB - 4 KiB) and RLIMIT_FSIZE are the kernel's: a write
// that starts beyond them completes with EFBIG, one that crosses them is
// short, as pwrite(2) does. A descriptor number outside the kernel's int
// range is not open: never truncated to another descriptor's number. A
// transfer moves at most 2 GiB - 4 KiB (Linux's MAX_RW_COUNT), as read(2)
// and write(2) do: a longer one is short.
//
// Bad descriptors (C4), the behaviour chosen: Read and Write on a
// descriptor that is not open are accepted, and the request completes with
// EBADF (Error reports it and the notification fires), as with a write on
// a read-only descriptor; this keeps submission free of a system call per
// read, and it is what Open POSIX (aio_read 10-1, aio_write 8-1 and 8-2,
// lio_listio 14-1) expects of an implementation that checks late. Fsync
// and Cancel check the descriptor and fail at once with EBADF.
//
// # Order, cancellation and priority
//
// A request lands in the file its descriptor named at submission, as
// POSIX close(2) asks of an operation that is not cancelled: one that
// waits before its transfer begins (held back for order, queued for a
// thread-pool worker, on an io_uring ring's backlog) keeps a duplicate
// of the descriptor, so a close and an open that reuses the number do
// not redirect it (C1; see pin.go).
//
// Requests run in parallel, with no one-request-per-descriptor
// serialisation, except where SPEC C asks for order. An Fsync completes
// after every write submitted before it on its descriptor (C10); writes to
// a descriptor opened with O_APPEND (checked with F_GETFL at submission)
// run one after another, so they land in submission order (C12). On a
// descriptor that cannot seek (pipe, socket, terminal) the thread pool
// uses read and write at the descriptor's position, as glibc does.
//
// Cancel (C8) stops every targeted request that has moved no data and is
// not inside a system call that cannot be interrupted: requests still
// queued in the thread pool or waiting for room in an io_uring ring,
// requests the engine holds back for ordering, and requests waiting on a
// descriptor that may never become ready (a read of an empty pipe, FIFO,
// socket or terminal, a write to a full pipe or socket), which io_uring
// cancels in the kernel and the thread pool in its wait (below). Each
// completes with ECANCELED and is notified. A transfer on a regular file
// or block device, or an fsync, that has begun goes on (AIO_NOTCANCELED);
// on the thread pool Cancel waits for a read or write a worker has just
// taken to reach its first system call, which on a regular file is the
// transfer itself. On io_uring, a transfer the kernel runs on one of its
// worker threads because the file cannot wait without one (a write to a
// terminal) answers AIO_NOTCANCELED while it runs, and the kernel may end
// it with EINTR. Close cancels what it can, stops every wait on a
// stream, and waits for the rest.
//
// The thread pool never sleeps in read(2) or write(2) on a stream: a
// signal could not wake it (the Go runtime's handlers have SA_RESTART, so
// the kernel restarts the call). A worker tries the transfer without
// waiting (RWF_NOWAIT, which pipes and sockets support) and otherwise
// waits in ppoll(2) on the descriptor and its own eventfd, which Cancel
// and Close write. A FIFO opened by name or a terminal has no RWF_NOWAIT:
// the worker waits in ppoll, then makes one plain call (a write in pieces
// of PIPE_BUF), which cannot be stopped and may still block if another
// reader or writer of the file takes the data or the room first. A write
// stopped after part of its data went reports the bytes written, as an
// interrupted write(2) does. A descriptor the caller set O_NONBLOCK gets
// one try, whose EAGAIN is the request's result.
//
// Priority (aio_reqprio, larger is less urgent) orders the requests that
// wait for a backend, most urgent first and FIFO among equals, on every
// backend: the thread pool's queue when every worker is busy, and each
// io_uring ring's backlog when the ring is full (WithQueueDepth sets its
// size). A backend with room takes a request at once, whatever its
// priority, so the path of a request that waits for nothing costs the
// same; and what workers or the kernel already hold runs in their own
// order: Priority is not an I/O scheduling class. (Open POSIX's aio_read
// assertion 2, a request submitted at a lower scheduling priority, is a
// stub there; this order is what the engine promises.)
//
// # Native AIO
//
// Where io_uring is refused (container runtimes' default seccomp
// profiles have refused io_uring_setup with EPERM since 2023; hardened
// kernels set kernel.io_uring_disabled) the "linuxaio" backend uses
// Linux's native AIO, which those profiles allow: one context
// (io_setup(2)) of WithQueueDepth requests; requests that arrive together
// go to the kernel in one io_submit(2), and a goroutine parked in the
// netpoller on an eventfd the kernel signals per completion reaps them
// with io_getevents(2), holding no OS thread while it waits.
//
// Native AIO is asynchronous only for O_DIRECT transfers on regular files
// and block devices, and for fsync (a kernel worker runs it, Linux 4.18
// and later; older kernels send fsyncs to the pool). Elsewhere io_submit
// itself would block, so every read and write is first tried without
// waiting (RWF_NOWAIT), as Seastar does: a page-cache hit is copied at
// once, inside io_submit; a transfer that would have to wait (a page-cache
// miss, an empty pipe or full socket, a file system that cannot try, such
// as ext4 for buffered writes) goes on to a thread pool, and an O_DIRECT
// transfer that would wait is submitted again, allowed to. Streams thus
// wait on the pool, where Cancel stops them as on the thread pool. A
// transfer that moved part of its data without waiting finishes on the
// pool, except a read of a stream, which returns what was there. A
// request in the kernel cannot be cancelled: Linux's io_cancel(2) refuses
// reads, writes and fsyncs, and Cancel reports AIO_NOTCANCELED for them.
//
// # Registered buffers
//
// An engine created WithBufferArena owns an arena of page-aligned memory;
// Buffer lends buffers from it and ReleaseBuffer takes them back (ENOMEM
// when the arena is exhausted, EINVAL for a bad size or foreign memory).
// io_uring registers the arena with every ring, and a read or write whose
// buffer lies wholly inside it runs as READ_FIXED or WRITE_FIXED, sparing
// the kernel a page pin per request (what O_DIRECT pays for most); other
// buffers take the ordinary path.
//
// # Registered files
//
// RegisterFile(fd) puts an open descriptor in every io_uring ring's
// fixed-file table (64 slots), and requests on fd then name the slot
// (IOSQE_FIXED_FILE): the kernel skips the per-request descriptor lookup
// and the reference count on the shared file, which page-cached 4 KiB
// reads on two cores spend about 5% of their time on. The ring holds its
// own reference to the file, so a registered descriptor must stay open
// and unchanged (no close, no dup2 onto it) until UnregisterFile(fd)
// returns; requests on fd would otherwise still reach the registered
// file. UnregisterFile waits until no SQE still to be submitted names the
// slot, so it may race with submissions on fd. On the thread pool both
// calls only check their argument.
//
// # Ring threads
//
// By default a ring's loop is a goroutine that waits in the netpoller and
// holds no OS thread while waiting. WithRingThreads gives each loop an OS
// thread of its own and sets its ring up SINGLE_ISSUER | DEFER_TASKRUN |
// COOP_TASKRUN, as fio does: the kernel then keeps the completion work of
// a request it finishes later (a disk read) for that thread, and one
// wake-up reaches the goroutine that handles it. With O_DIRECT reads
// resubmitted from SIGEV_INLINE callbacks on one ring this gained 6-9%
// IOPS on a virtio disk; with SIGEV_CHAN consumers, which run on other
// threads, it costs a thread hand-off per completion batch (page-cached
// reads fell to a third). Use it with SIGEV_INLINE.
//
// # Model devices
//
// An engine created WithTask(t) serves the descriptors of a model kernel
// task (package kernel) through the same API (C13). A driver that
// implements kernel.AioReader or kernel.AioWriter gets each request as a
// kernel.Kiocb (through t.AioRead or t.AioWrite) and completes it when it
// likes, holding no goroutine meanwhile; it may register a cancel function
// (Kiocb.SetCancel) that Cancel uses. scullpipe's reads take this path.
// Any other driver's synchronous Read or Write runs through t.Read or
// t.Write on a worker goroutine, where Cancel can stop it by ending the
// call's context (AIO_CANCELED). Worker goroutines act as threads of t, so
// t's signal handlers may run on them. A queued kiocb keeps its open file
// (closing the descriptor does not stop it, as in Linux) until it
// completes; Close cancels what it can and waits for kiocbs a driver
// queued without a cancel function. Model devices are streams (offsets
// are ignored) and have no fsync: Fsync fails at submission with EINVAL.
//
// # Notification
//
// Each request's Notify (a Sigevent) says how its completion is announced,
// always after the result is visible to Error and Return, also for a
// cancelled request (C11):
//
//   - SIGEV_NONE, or the zero Sigevent (signal 0, the null signal): nothing.
//   - SIGEV_THREAD: Func runs on a goroutine of its own, never under an
//     engine lock, so it may submit, cancel or wait.
//   - SIGEV_INLINE (fasync's own): Func runs on the goroutine that
//     completed the request (an io_uring ring's loop, a thread-pool
//     worker), with no engine lock held and no goroutine started, so it
//     must not block; it may take the result and submit again, which keeps
//     a queue full with the least work per request (the shape of fio's own
//     loop). During a Cancel or Close, and on model devices, it runs on a
//     goroutine of its own instead.
//   - SIGEV_CHAN: the request is sent on Chan; when Chan has no room the
//     send waits on a goroutine of its own, so nothing is lost and no other
//     completion waits.
//   - SIGEV_SIGNAL and SIGEV_THREAD_ID: the real-time (or any) signal
//     Signo is queued to this process, or to thread ThreadID of it, with
//     rt_sigqueueinfo(2)/rt_tgsigqueueinfo(2), si_code SI_ASYNCIO and Value
//     as its sigval.
//
// Receiving a completion signal in Go. The runtime installs a handler for
// every signal, so:
//
//   - os/signal: signal.Notify(ch, sig) receives a SIGEV_SIGNAL signal, but
//     only its number — the value is lost, and standard signals coalesce.
//     Without Notify the runtime ignores a real-time signal.
//   - With the value: dedicate a goroutine to runtime.LockOSThread (and
//     never unlock it), block the signal on that thread with
//     unix.PthreadSigmask, open unix.Signalfd for it there, and aim
//     SIGEV_THREAD_ID at the thread's unix.Gettid. Each read of the
//     signalfd on that thread gives a unix.SignalfdSiginfo whose Ptr is
//     Value (Int its low 32 bits) and whose Code is SI_ASYNCIO. A
//     process-directed SIGEV_SIGNAL would be taken by the runtime's handler
//     on some other thread before the signalfd saw it. Use signals 35–64
//     (the runtime and libc use 32–34; SIGURG preempts goroutines).
//
// ListIO's own notification (LIO_NOWAIT) is sent once after every entry
// completed; its Func and Chan receive a nil *Request.
//
// # Differences from POSIX
//
// Blocking calls take a context.Context: Suspend and ListIO(LIO_WAIT)
// return an error matching both EINTR and ctx.Err() when it ends. Suspend
// takes a time.Duration (0 checks once, NoTimeout waits without limit).
// Return gives -1 and the errno on failure. Request.Nbytes defaults to
// len(Buf). SIGEV_CHAN is fasync's own.
//
// Where Open POSIX expects glibc's behaviour and the engine differs on
// purpose: requests on one descriptor run in parallel, and a request
// blocked on a stream is cancelled, so Cancel of writes queued behind one
// blocked on a full socket answers AIO_CANCELED with every one of them
// ECANCELED, where aio_cancel 7-1 expects AIO_NOTCANCELED with the blocked
// write still EINPROGRESS (glibc runs one request per descriptor at a time
// and cannot stop a blocked write).
package aio
