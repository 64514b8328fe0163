// Package devfs exports the devices of a model kernel (package kernel) to
// unmodified processes on the real machine through FUSE, on the project's
// own protocol layer (internal/fuseraw) and either of its transports:
// FUSE over io_uring, or classic /dev/fuse reads and writes
// (Options.Transport; Auto takes io_uring when the kernel offers it, and
// classic, logged, when the io_uring mount fails). It implements SPEC R3,
// R4 and F (docs/SPEC.md): cat, dd, shell redirection and C or Python
// poll/select/epoll clients use the model devices as M1–M3 and B1–B10
// describe, and a process that owns an exported file gets the driver's
// fasync signals (the signal bridge, below).
//
// Mount refuses a mount point that would hide files or hang the
// server (CheckMountDir, SPEC U5): it must be an existing directory,
// empty unless MountOptions.NonEmpty says otherwise, and never /, /proc,
// /sys, /dev or a directory beneath them.
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
// Nothing a request does costs in proportion to the number of devices
// except listing the directory: a lookup is one map look-up in the
// kernel's device table (Kernel.Device), a directory open copies the
// kernel's sorted list of names (kept sorted between changes), and the
// status file is made a read window at a time, as a /proc seq_file is,
// so an open holds nothing and a read makes only the lines it returns.
// scull.MaxDevices bounds the devices fasync mount creates.
//
// How real processes map onto the model:
//
//   - An open comes from a real process (the request's pid, folded to its
//     thread-group id so the threads of one process share one task). The
//     first open of a process creates a model task standing for it; the
//     task exits when the last file it opened is released.
//   - An open file is an open file description of that task (Task.Open);
//     reads and writes go to the driver through the task.
//   - O_NONBLOCK is taken from every read and write request's file flags,
//     so an fcntl(F_SETFL) made after open counts (M2).
//   - poll, select and epoll reach the driver's Poll through FUSE poll; the
//     model wait queues fire the server's poll wake-up notification (M3).
//   - A FUSE interrupt (Ctrl-C, a caught signal) cancels the blocked call
//     and the client sees EINTR. FUSE cannot restart a call, so a
//     client whose handler has SA_RESTART still sees EINTR; so does a Go
//     client doing raw read(2) when the runtime's preemption signal lands
//     (os.File retries EINTR and hides it).
//   - release closes the model file (Task.Close).
//
// One gap is the kernel's, on the io_uring transport (Linux 6.18): a
// signal that interrupts a request while it is on its way to the server
// (taken off the kernel's queue, not yet in a ring entry) brings no
// INTERRUPT, since the ring's send marks the request sent without
// looking whether it was interrupted meanwhile, as a /dev/fuse read does.
// A read that then waits in the driver holds its client, even one killed
// by SIGKILL, until data comes or the mount is aborted. Over the classic
// transport the INTERRUPT always comes.
//
// ioctl(2) on a device reaches the driver through FUSE_IOCTL (SPEC I3):
// the command goes to Task.Ioctl on the opener's task and descriptor
// with its argument, and the result and output come back (ioctl.go), so
// LDD3's SCULL_P_IOCTSIZE and SCULL_P_IOCQSIZE work from C. The kernel
// forwards a regular file's ioctls restricted: only the bytes the
// command's _IOC size and direction name travel, and a command that
// passes a pointer without encoding it (a pre-_IOC number) reaches the
// driver without its memory. Some commands never reach the server,
// because the real VFS answers them for any regular file: FIOCLEX and
// FIONCLEX (the client's close-on-exec flag), FIONBIO (the client's
// O_NONBLOCK, which the next read or write carries), FIOASYNC (FUSE has
// no fasync: ENOTTY), FIONREAD and FIOQSIZE (the bytes allocated, 0).
//
// FIONREAD on an exported device is therefore not the bytes the device
// holds. The VFS answers it from the inode's size minus the file
// position, and a FUSE file's size is what the kernel last fetched (0:
// a stream has no size) extended by the end of each write made through
// the mount since: after writing 11 bytes and reading 5 a client's
// FIONREAD says 11 while 6 are held, and 0 once a stat has refreshed
// the attributes. The server cannot make it true: the ioctl never
// reaches it, the kernel does not fetch attributes for it, and FUSE has
// no notification that sets a size (invalidating the attributes only
// makes the next stat ask). A client learns that data is waiting from
// poll, select or epoll, or the signal bridge, and how much by reading
// with O_NONBLOCK until EAGAIN.
//
// Everything else is refused cleanly: unknown names ENOENT; create, mkdir,
// mknod, unlink, rename, link, symlink, setxattr and removexattr EPERM;
// chmod, chown and utimes EPERM; truncation of a device to zero is
// accepted and does nothing (shell ">" redirection sends it); fsync EINVAL,
// as for a pipe; opening the status file for writing EACCES; extended
// attributes other than XattrSigio ENODATA.
//
// # The signal bridge (SPEC F)
//
// Kernel FUSE has no fasync: fcntl(F_SETFL, O_ASYNC) on an exported file
// succeeds, F_GETFL does not show O_ASYNC, F_SETOWN and F_SETSIG never
// reach the server, and the kernel raises no SIGIO. The bridge
// (Options.Sigio, on when this process may run it) makes LDD3's
// asynctest work anyway:
//
//   - Every exported device file is put on the driver's notification
//     lists (FASYNC on the model file, so the status view counts every
//     open file as an async listener) with a hook (File.SetSigioHook) that
//     hears each kill_fasync for it (B5, B6).
//   - The first notification for a file sends the bridge's worker looking
//     for the client's descriptor: the processes that used the file, then
//     all of them, through /proc/PID/fd and fdinfo (mount id and inode);
//     pidfd_getfd duplicates a candidate, the duplicate's own fdinfo must
//     show the same node (a client may have put another file at that
//     number meanwhile; a foreign duplicate is closed off the worker, as
//     its close may wait on another FUSE server), and a poll(2) of the
//     duplicate, whose FUSE POLL carries the file handle, tells which
//     open file it is.
//     F_GETOWN_EX and F_GETSIG on the duplicate read what the client set;
//     an owner set counts as subscribed (F2), since O_ASYNC cannot be seen.
//     A file nobody owns is let go again, and looked at again after a
//     later notification, at most once per millisecond: the write path of
//     an unsubscribed file makes no system call of the bridge's.
//   - An owned file's duplicate is kept. Where the driver raises a
//     notification for it (a FUSE write on a transport thread, say) it is
//     counted and handed to the bridge's sender goroutine, with no system
//     call: a transport thread never calls into a client (F8). The sender
//     checks with kcmp that a client still holds the file, rereads the
//     owner and signal, reads the target's /proc status (kept open, tied
//     to that process) for its disposition and credentials, and queues
//     the signal with pidfd_send_signal (a thread pidfd for F_OWNER_TID).
//     A process group's members are found per signal from /proc by the
//     worker.
//   - The signal is F_SETSIG's with si_code SI_SIGIO, si_band the band's
//     poll mask (A8) and si_fd the owner's lowest descriptor for the file
//     (Linux reports the one O_ASYNC was set through, which cannot be
//     seen); plain SIGIO, with SI_SIGIO and zeros, when F_SETSIG is 0;
//     plain SIGIO too when the real-time queue is full (A7). No process
//     may send another a kernel code such as POLL_IN (F3); SI_SIGIO is
//     the one code it may send whose layout (SIL_POLL) is that of the
//     POLL_* codes, the one Linux's fasync itself uses for signals with
//     codes of their own. So si_signo, si_fd and si_band are exact
//     wherever the signal is taken: a handler's siginfo, signalfd's
//     ssi_fd and ssi_band, and Python's signal.sigtimedwait (si_band; the
//     descriptor shows as si_status, the word si_fd overlays). si_code
//     is SI_SIGIO where Linux has POLL_IN and friends (SI_KERNEL for
//     plain SIGIO). In that layout si_pid and si_uid are not fields: a
//     handler that reads them anyway finds the band's low half (0x41 for
//     POLL_IN) and 0, and must not take them for a sender.
//   - A target the signal would kill is skipped (F2): the bridge cannot
//     see O_ASYNC, so it cannot tell a process that asked for the signal
//     and dies of it, as on Linux, from one that never asked. Linux's own
//     rule decides what kills: a signal whose action is the default one
//     that terminates, taken by a thread that neither blocks it nor
//     waits for it in rt_sigtimedwait. The target's status file shows the
//     disposition and blocked mask; a thread in sigwaitinfo or
//     sigtimedwait has the signals it waits for out of its blocked mask
//     for the wait, so its syscall file (/proc/PID/task/TID/syscall) is
//     read too, and the set it waits for from its memory
//     (process_vm_readv, by the bridge's worker only, bounded as below:
//     a client may back the set with a page that never comes, and the
//     bridge then judges the thread as not waiting). A process-directed signal is judged for every
//     thread, an F_OWNER_TID one for the named thread; a signal that
//     every thread blocks is sent and stays pending. /proc does not show
//     whether a waiting thread blocked the signal before the wait (the
//     kernel's real_blocked), which POSIX requires and Linux's fatal rule
//     looks at: one that did not is killed by the signal, from the bridge
//     as from Linux's own fasync. A signalfd changes nothing here.
//   - Permission (F4) is Linux's rule (fs/fcntl.c sigio_perm), judged
//     by the same ids: F_SETOWN records the real and effective uid of
//     its caller in the file's owner, and F_GETOWNER_UIDS on the
//     duplicate reads them, with the owner and F_SETSIG, for every
//     signal. A target gets it only if that euid is root's or either id
//     equals the target's real or saved uid (read from its status now);
//     each member of an owning group is judged on its own. So a process
//     that may not signal a root process cannot make the bridge do it,
//     however it got the file (fork then setuid, SCM_RIGHTS) and whether
//     it closed its copy since or not; and, as on Linux, a process may
//     name as the owner any process it may signal, holding the file or
//     not. Refused although Linux allows: a target whose status cannot
//     be read; outside the initial user namespace, an owner set with
//     root's euid (the ids read are the namespace's view, and its root
//     is not the kernel's) or an id the namespace does not map; a target
//     this process itself may not signal (pidfd_send_signal refuses).
//     The bridge does not ask the security module: a kernel whose LSM
//     judges SIGIO (SELinux and Smack have a file_send_sigiotask hook)
//     refuses by that policy what the bridge sends. The owner and its ids
//     are separate fcntl reads, compared with what the bridge armed: they
//     pair an owner with ids that did not set it only if the owner was
//     set twice since the arming, the second time between the reads (a
//     microsecond apart), to another target, by a process with the armed
//     ids; that one signal is then judged by those ids.
//   - A POLL_IN sent goes again while the data stays unread, and a
//     POLL_OUT while the space stays unwritten (F1, a deliberate
//     deviation): a signal through the server reaches the owner about as
//     late as the reply to its read, so LDD3's asynctest, which reads
//     once per signal and clears its flag after the read, loses the
//     signal for the next chunk in between and sleeps on data it was told
//     of. Each READ (WRITE) of a client of the file is counted (an atomic
//     add on the FUSE path); after a signal the worker looks at the file
//     again after 5 ms, doubling to 80 ms, and, if the model file still
//     polls readable (writable) and no client of the file has read
//     (written) since, makes the notification again, judged like the
//     driver's (owner, permission, disposition, last close). A read
//     meanwhile starts the wait over; a repeat goes only to a file read
//     (written) before the signal, at most 10 times between two reads
//     (writes). Like any signal, a repeat interrupts what the owner is
//     blocked in, such as a write to a full pipe, which then returns short.
//   - Device files are opened with FOPEN_NOFLUSH, so the bridge's closes
//     of duplicates send no FLUSH: a FLUSH sent while this process dies
//     would wait for an answer nobody is left to give (the dying process
//     closes its descriptors before the deferred release of /dev/fuse
//     aborts the connection). The kernel thus tells the server nothing
//     when a client closes a file the bridge also holds (the permission
//     rule needs no closes: the owner's ids stay on the file); the
//     worker checks the owned files every few milliseconds (kcmp) and
//     closes the duplicate of one no client holds, and the kernel's
//     release follows. A signal whose last check began just
//     before a client's last close may still arrive just after it (F5).
//   - Device files carry the extended attribute XattrSigio while the
//     bridge runs; package sigio accepts such a file although O_ASYNC does
//     not stick, and decodes the bridged signals (F7).
//
// The bridge needs pidfd_open, pidfd_getfd, kcmp and fcntl
// F_GETOWNER_UIDS (CONFIG_CHECKPOINT_RESTORE), and ptrace access to the
// clients (root, CAP_SYS_PTRACE, or clients of the same user where
// Yama allows it), which pidfd_getfd, process_vm_readv and
// /proc/PID/task/TID/syscall need: SigioAvailable says what is missing.
// Without it, SigioAuto serves without signals and logs why once;
// SigioOn fails the mount. Write-to-handler latency is in docs/PERFORMANCE.md.
//
// Calls that wait for a client (F8): kcmp, pidfd_getfd and reads of
// /proc/PID/task/TID/syscall take the client's exec lock
// (exec_update_lock) for reading, and process_vm_readv takes it too and
// may fault on a page the client chose. execve(2) holds that lock for
// writing from the moment it replaces the memory map until the new
// program is set up, across the closes of the close-on-exec
// descriptors; a close that sends a FLUSH to a FUSE server that never
// answers (any user may mount one with fusermount3) sleeps, without
// interruption, and keeps the lock held for as long. Unbounded, a call
// of the bridge on such a client would hang the thread that made it: a
// FUSE transport thread, so the device's writes and reads, and unmount.
// So no transport thread calls into a client (the sender does, off the
// FUSE path), and every such call runs on a goroutine of its own that
// the bridge waits for at most 100 ms. A client that has not answered
// by then is skipped, and every later call on it fails at once until
// the sleeping call returns; its signals wait (the sender hands them to
// the worker, which tries again every 100 ms until the client answers);
// a group member is skipped for that signal; a thread
// whose wait cannot be read counts as not waiting. At most four calls
// sleep in clients at once: beyond that every call on a client fails at
// once and every owner's signals wait, until one returns. Other
// clients' signals, and the device's reads and writes, go on.
//
// # Serving
//
// How requests are served: fuseraw calls the server on its transport
// threads (a /dev/fuse reader, or a CPU's io_uring queue thread), which
// must never sleep. A device read or write is first made in place with
// RWF_NOWAIT (Task.ReadFlags, Task.WriteFlags): when data or room is
// there, which is the common case, the driver moves it and the answer
// goes at once, a read's data straight into the transport's reply area.
// A read that must wait is left with the driver as a kiocb (Task.AioRead,
// for drivers with AioReader, such as scullpipe): the write that brings
// data completes it and answers on the writer's own thread. A write that
// must wait, a read on a driver without AioReader, and every open (a
// driver's Open may sleep) run on a goroutine of their own with a context
// the INTERRUPT cancels; an INTERRUPT withdraws a queued kiocb. So a
// driver's AioRead that queues a kiocb must register its cancel function
// (Kiocb.SetCancel), as kernel.AioReader asks: a kiocb without one can
// be ended only by data, so its client cannot be interrupted and an
// unmount or abort, which waits for every queued read, waits for data.
//
// Where the time goes (the figures are in docs/PERFORMANCE.md, from
// fasync bench fuse): every block written to a device crosses the server
// twice, a FUSE_WRITE and a FUSE_READ, each a round trip in which the
// client sleeps and the answer wakes it. Over io_uring one io_uring_enter
// answers a request and fetches the next, and a client on CPU n is served
// by the thread pinned to CPU n; the classic transport pays a read(2) and
// a write(2) per request. A scullpipe buffer larger than a FIFO's 64 KiB
// lets a writer run several blocks ahead, which is how the export keeps
// pace with a FIFO; with a buffer smaller than a block the round trip
// sets the rate. Nearly all of the server's CPU time is in those system
// calls (the kernel's copies of the payload and its wake-ups of the
// clients are inside them); devfs and the model kernel take a few
// percent. A read that has to wait is a kiocb in the driver, completed
// on the writer's own transport thread, so no goroutine hand-off lies on
// the round trip: a goroutine woken there would wait for a P while that
// thread sleeps in read(2) or io_uring_enter. A bridged signal does take
// a hand-off (F8: the transport thread never calls into a client), to
// the sender's thread, which an eventfd write wakes for that reason; it
// costs the signal about as much again as the poll wake-up.
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
