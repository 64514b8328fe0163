// Package kernel is fasync's model kernel: the pieces of Linux that
// asynchronous notification stands on — tasks and signals, open files and
// fcntl, wait queues and poll, fasync notification lists, and
// character-device drivers — in-process, instance-based and pure Go.
// It implements docs/SPEC.md sections "IO models" (M1–M3, M4(a)), A
// (fasync and fcntl), S (signals, masks, sigsuspend, sigtimedwait,
// signalfd), T (threads, fork, exec, wait), I (ioctl, ioctl.go), K (what
// a driver may know and do) and E (select, epoll and FIFO nodes:
// select.go, epoll*.go, fifo.go; the FIFO driver is package pipe's), and
// the kernel side of C13 (drivers' asynchronous I/O, kiocb.go);
// docs/SPEC.md is its contract.
//
// A Kernel (New) has its own device table (Register), pid space and
// limits; nothing is package-level. A Task is a thread, as Linux's
// task_struct: Kernel.NewTask makes a process with one thread, NewThread
// more threads (Pid is the process's id, Tid the thread's), Fork a child
// process, Exec a new program, Wait4 reaps children (SPEC T1–T5). A task
// opens devices by name and gets descriptors, reads, writes, polls,
// and uses fcntl and ioctl exactly as a C program would, with Linux's
// names and values (F_SETOWN, F_SETSIG, FASYNC, POLL_IN, SIGIO, FIONBIO,
// _IOR ...). A driver is any value implementing some of the small
// interfaces in driver.go (Opener, Releaser, Reader, Writer, Poller,
// Fasyncer, Fcntler, FlagChecker), ioctl.go (Ioctler) and kiocb.go
// (AioReader, AioWriter); the kernel checks which, as Linux checks which
// file_operations are set. A driver method learns the calling thread from
// its ctx (TaskFromContext: its credentials, and the target of a
// SIGPIPE sent with Task.SendSigInfo). Drivers sleep on a WaitQueue, register poll
// tables with PollTable.Wait, and keep their asynchronous readers on a
// FasyncList (Helper from their Fasync method, Kill when data arrives).
// A driver serving AIO queues the Kiocb that Task.AioRead or
// Task.AioWrite hands it and completes it later (Kiocb.Complete), holding
// no goroutine meanwhile.
//
// # Delivery model
//
// The threads of a process share its descriptor table, its signal
// handlers, its process-directed pending signals, its process group,
// credentials and children (the process struct, Linux's signal_struct,
// sighand_struct and files_struct in one); each thread has its own
// blocked mask (Sigprocmask) and thread-directed pending signals.
//
// Sending a signal (Task.Kill, Task.Sigqueue, Task.Tgkill, Kernel.Kill,
// Task.SendSigInfo, or FasyncList.Kill on behalf of a file's owner)
// never runs the target's code. A thread-directed signal (Tgkill, Tkill,
// SendSigInfo — so a pipe's SIGPIPE —, F_OWNER_TID) is queued on that
// thread; a process-directed one (kill, sigqueue, F_SETOWN, F_OWNER_PID,
// F_OWNER_PGRP, SIGCHLD) on the process, and one thread that does not
// block it is chosen to take it: the thread the pid named (the main
// thread for a process's pid) first, then the others in creation order
// (SPEC T2). The disposition at send time decides, as Linux's
// prepare_signal and complete_signal: a signal the named thread does not
// block and whose disposition ignores it is discarded; standard signals
// coalesce to one pending instance per set keeping the first SigInfo,
// real-time ones (32..64) queue in order up to Config.SigPendingMax per
// process (beyond it Sigqueue and Tgkill fail with EAGAIN and a fasync
// notification falls back to plain SIGIO, SPEC A7, while kill(2) and the
// kernel's own signals are sent with their siginfo lost: pending once,
// delivered as SI_USER from pid 0). If the chosen thread
// does not block it, a default-fatal signal ends the process at once, a
// default stop signal stops it, and a handled one interrupts the chosen
// thread's blocking calls: the context its driver sleeps on is
// cancelled, and WaitQueue.Wait returns ERESTARTSYS. A signal blocked by
// every candidate interrupts nothing and waits; unblocking it delivers
// it. SIGCONT continues a stopped process whatever its disposition. Each
// signal that becomes pending wakes the process's signalfd queue.
//
// Handlers run on a thread's own goroutines at safe points, as Linux
// delivers on return to user space: when an interrupted blocking call
// unwinds, on return from any Task system-call method, and in Pause,
// Sigsuspend and Sigtimedwait. A thread takes its own pending signals
// first, then its process's, lowest number first (the synchronous ones,
// SIGSYS among them, before the rest), and sets up a handler frame for
// each it takes before any handler runs, each under the mask the frames
// below it left: the frame set up last runs first, as on Linux, so
// signals unblocked together run their handlers highest number first
// unless an earlier one's sa_mask holds a later one back. A handler runs
// with its sa_mask and, unless SA_NODEFER, its own signal added to the thread's
// mask, restored when it returns; SA_RESETHAND resets the action as the
// signal is delivered (S6). A safe point reached inside a handler (it
// calls a Task method) delivers the signals its mask leaves unblocked, so
// handlers nest as in Linux. After an interrupted call's handler ran, the
// kernel returns EINTR, or restarts the call transparently when the
// handler had SA_RESTART (SPEC S3) — of several handlers, the first
// signal taken's decides; Poll, Pause, Sigsuspend and
// Sigtimedwait always return EINTR, as in Linux. A call interrupted by a
// stop restarts once the process continues, since no handler ran, except
// Sigtimedwait and EpollWait, which return EINTR as signal(7) says they
// do. A
// blocked call also returns the caller's ctx error when ctx ends, and
// EBADF when its descriptor is closed, its thread exits or the kernel
// closes. ERESTARTSYS never escapes a Task method. Every method that
// takes a ctx returns EINVAL for a nil one.
//
// # Deliberate differences from Linux
//
// Each of these is kept for the reason given.
//
//   - Goroutines calling one *Task act as that one thread: they share its
//     mask and its handler frames, so a nested handler may run on a
//     goroutine other than the one running the outer handler. A Go
//     program cannot interrupt a goroutine, and one *Task shared by
//     several goroutines is how the model's callers (devfs, aio) use it.
//   - A stopped process's threads stop at their next safe point: a
//     blocked call is interrupted and its caller held until SIGCONT (or
//     SIGKILL); a thread computing between calls runs on until its next
//     call returns. A goroutine cannot be stopped from outside. Wait4
//     reports the stop when the stop signal is sent, before the threads
//     reach it; Linux reports it once every thread has stopped.
//   - The real-time queue limit (Config.SigPendingMax) is per process,
//     not per user: a model kernel has no user accounting. Its default,
//     1024, is a model's size, not the machine's RLIMIT_SIGPENDING
//     (tens of thousands on a typical host): a program queueing more
//     than 1024 gets EAGAIN sooner than on Linux unless its Config
//     raises the limit.
//   - A signal to a process is taken by the thread named or the first
//     other thread that does not block it, in creation order; Linux also
//     prefers a thread that is running or has nothing pending, which
//     depends on its scheduler.
//   - A process whose parent has exited, or that has none (Kernel.NewTask),
//     is reaped when it exits and its Getppid is 0: the model has no init
//     or subreaper to adopt it. A zombie leaves its process group at
//     exit, so kill(-pgid) no longer counts it.
//   - There are no sessions or terminals, so no process group is
//     orphaned: SIGTSTP, SIGTTIN and SIGTTOU stop a process by default
//     wherever it is, where Linux discards them for a member of an
//     orphaned process group.
//   - The default action of the core-dumping signals (SIGQUIT, SIGSEGV
//     ...) terminates without a core: WCOREDUMP is never set (Linux with
//     RLIMIT_CORE 0 does the same).
//   - Closing a descriptor wakes calls blocked on it with EBADF (Linux lets
//     them sleep on); a poll over it reports POLLNVAL. Kernel.Close
//     wakes every blocked call with EBADF. A model call has no other way
//     to end when its file goes.
//   - A queued kiocb survives its task's exit and Kernel.Close (it keeps
//     its file, unreleased, until it completes): its submitter cancels it
//     (aio.Engine.Close does). Linux cancels a process's kiocbs when its
//     address space goes (exit_aio); the model has no such hook.
//   - FASYNC is set by FasyncList.Helper, so it shows in F_GETFL exactly
//     while the file is on a list (SPEC A4); a driver without Fasyncer
//     accepts F_SETFL|FASYNC and never shows it (SPEC A11).
//   - Every model file is a character device. Open keeps the access mode,
//     O_NONBLOCK and O_APPEND (F_SETFL sets O_DIRECT and O_NOATIME);
//     F_GETFL never shows O_LARGEFILE, which Linux adds to every open(2)
//     on a 64-bit kernel; a device node belongs to root, so only root
//     sets O_NOATIME.
//   - fcntl and ioctl take fd, cmd and arg as the system calls do: cmd is
//     truncated to C's unsigned int and fcntl's arg to C's int (fd is
//     taken as given). Record locks, leases, F_NOTIFY, seals and write
//     hints are not modelled (EINVAL); of the ioctls do_vfs_ioctl answers
//     the model answers FIOCLEX, FIONCLEX, FIONBIO, FIOASYNC and FIOQSIZE,
//     and hands the filesystem ones (FIFREEZE, FIGETBSZ, FICLONE ...) to
//     the driver.
//   - Credentials carry no capabilities: effective uid 0 stands for the
//     capability a check asks for (CAP_SYS_RESOURCE, to grow a pipe past
//     pipe-max-size), and a task that is not root has none. Pipes are
//     not charged to their user (pipe-user-pages-soft and -hard).
//   - Pipes (package pipe, on Task.InstallFiles) and FIFOs (Task.Mknod,
//     served by pipe.FIFO) follow fs/pipe.c; splice, tee, vmsplice and
//     notification pipes are not modelled. The model has no directories
//     and no file modes: a FIFO's name lives beside the devices' names
//     (no '/'), its permission bits are not kept or checked, and Mknod
//     makes only FIFOs (device nodes come from Kernel.Register).
//   - epoll: the limits Linux sets against wake-up storms and memory
//     use are not modelled (reverse_path_check's EINVAL for too many
//     wake-up paths into one file, max_user_watches' ENOSPC), nor the
//     busy-poll ioctls (EINVAL); EPOLLWAKEUP is kept for root and has no
//     effect (no suspend). EpollWait on a descriptor closed meanwhile
//     returns EBADF (as every blocked call does here); Linux sleeps on.
//   - select cuts nfds to the table size Linux's fdtable would have for
//     the task (64 descriptors, then powers of two from 128, as
//     alloc_fdtable grows it); Linux's depends on the process's history.
//   - A signalfd polled without a task (a PollTable that names none)
//     reports the signals of the thread that made it; Linux always uses
//     the polling task.
//
// # Event polling
//
// Poll, Select (select.go) and EpollWait (epoll*.go) all stand on the
// drivers' Poll methods and wait queues (SPEC E1–E6). Poll and Select
// register one poll table per call and rescan after each wake-up. An
// epoll set keeps a poll table per registration, whose wake function
// (ep_poll_callback) runs on the waker's goroutine, possibly under the
// driver's lock: it takes only the set's leaf lock (eventpoll.lock),
// queues the registration on the ready list in O(1), wakes one waiter,
// and after dropping the lock wakes the set's own pollers (nested sets,
// Poll, Select). The set's mtx serialises EpollCtl, the scans of the
// ready list (which call the drivers' Poll) and removals, including the
// one a watched file's last close makes before its Release (File.final).
// Adding a set to a set runs the loop check under Kernel.epnested.
//
// # Tracing
//
// Tracepoints (trace*.go, SPEC X1) record each step of a notification's
// path into the Tracer attached with Kernel.Trace: system calls, fcntl's
// owner, signal and flags, ->fasync, fasync_helper, kill_fasync,
// send_sigio with its verdict, signal generation, interruption and
// delivery, wake-ups of wait queues, poll tables and epoll, and kiocbs.
// With no kernel traced each costs one atomic load. Package ktrace
// renders a trace as ftrace-style text or an SVG sequence diagram.
//
// # Lock ordering
//
// Kernel locks are taken in this order, and none is held while a driver
// method or a signal handler runs (drivers' own locks therefore come
// before all of them; a driver may call WakeUp, FasyncList.Kill and
// Task.SendSigInfo with its lock held):
//
//	FasyncList.mu → fasyncEntry.mu → Kernel.mu → Task.mu
//	FasyncList.mu → File.mu (FASYNC updates)
//	PollTable.mu → WaitQueue.mu
//	Kernel.epnested → eventpoll.mtx (containing set first) →
//	    drivers' locks → eventpoll.lock
//	eventpoll.mtx → File.epolls.mu
//
//	Task.mu → call.mu (cancelling a system call's context)
//	Task.mu → WaitQueue.mu (a stopped thread sleeping on its process's
//	          stop queue with Task.mu as the Wait's lock)
//
// Task.mu is the process's lock (process.mu), shared by its threads: it
// guards the descriptor table, the threads and their calls, masks and
// pending signals. Kernel.mu guards the pid tables, process groups and
// the process tree (parents, children, zombies and wait reports); a
// parent's Task.mu may be taken under Kernel.mu to read its SIGCHLD
// action, and nothing holding one process's Task.mu takes another's.
// WaitQueue.mu, File.mu, call.mu, Kiocb.mu, eventpoll.lock and
// File.epolls.mu are leaves. Task.mu may be
// held while a call's context is cancelled: cancellation runs no user
// code. A process's signalfd queue is woken after Task.mu is dropped,
// since its poll tables' wake functions may take other locks. Kiocb.Complete
// is the exception to "with its lock held": it may run the driver's
// Release and the submitter's completion, so a driver calls it with its
// own locks dropped. Tracer.mu and the tracepoints' table of calls in
// progress (trace_current.go) are leaves too: a tracepoint takes no other
// lock, except Task.mu to read a task's name where the order above
// allows it (under Task.mu it reads the name directly).
//
// # Cost of a system call
//
// The context a driver method receives is the kernel's own per-call
// record (callctx.go), recycled by its task: a call the driver completes
// without sleeping allocates nothing. WaitQueue.Wait sleeps on it
// without making a Done channel; a driver that calls Done or Value gets a
// real context.WithCancelCause child of the caller's context, made then,
// so derived contexts and context.Cause behave as usual.
package kernel
