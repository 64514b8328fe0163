// Package sigio is signal-driven I/O on real Linux descriptors: pipes,
// FIFOs, sockets, ttys and ptys, inotify — anything whose file type has a
// fasync method. It implements SPEC R1 and R2 (docs/SPEC.md, section R)
// and is what `fasync asynctest` (SPEC B11) runs on.
//
// # Watcher: every event with its descriptor and band
//
// A Watcher dedicates one OS thread to being the owner of every descriptor
// it watches. The design follows from how Linux and the Go runtime behave:
//
//   - Standard SIGIO coalesces and carries nothing useful, so each descriptor
//     is given a real-time signal with F_SETSIG (35..64; 32-34 belong to libc,
//     SIGURG to the runtime's preemption). The kernel then queues one signal
//     per notification, with si_fd and si_code = POLL_IN, POLL_OUT, POLL_HUP ...
//   - A process-directed real-time signal is taken by the Go runtime's own
//     handler on whatever thread it lands, and lost. So the owner is one
//     thread: F_SETOWN_EX with F_OWNER_TID.
//   - signalfd returns only signals pending for the thread that reads it (or
//     for the whole process), so the reader must be that same thread. The
//     owner goroutine therefore calls runtime.LockOSThread and never unlocks:
//     the runtime then runs nothing else on that thread, and when the goroutine
//     ends (Close) the thread ends with it, taking its signal mask along.
//   - On that thread the real-time signal and SIGIO are blocked with
//     pthread_sigmask, so no handler ever runs; a signalfd with the same mask
//     reads them with their siginfo. The thread sleeps in a blocking read(2)
//     of the signalfd, one system call per wake-up. Watch, Unwatch and Close
//     wake it with the watcher's own signal (queued to the thread with
//     SI_QUEUE and a cookie) and run on the owner thread too, so they are
//     ordered with the events: no event for a descriptor after its Unwatch
//     returns, none dropped between arming and the first read.
//
// Events reach Go either through a channel (Events) or a callback
// (Options.Handler) that runs on the owner thread, one event at a time.
//
// Arming is F_SETSIG, then the owner, then O_ASYNC OR'd into the existing
// flags, so no notification goes out before signal and owner are final. It
// is the order that is safe for ttys: when O_ASYNC goes on and no owner is
// set, a tty makes its foreground process group the owner, and a key pressed
// before the owner is changed would send the real-time signal to every
// process of the group (whose default action kills them); an owner already
// set is kept. A descriptor whose file type has no fasync method
// (regular files, eventfd, timerfd, signalfd, epoll, /dev/null) accepts
// O_ASYNC and drops it; Watch checks F_GETFL and refuses it with
// ErrCannotSignal (SPEC R2). Data already waiting raises no signal, so Watch
// polls the descriptor once and reports what it finds as Polled events.
// Unwatch puts back the O_ASYNC bit, the owner and F_SETSIG.
//
// A device exported by devfs (fasync mount) is a FUSE file, which keeps no
// O_ASYNC; the export's signal bridge sends its signals instead, reading
// the owner and F_SETSIG from the client's own open file (SPEC F). Such a
// file carries the extended attribute devfs.XattrSigio, and Watch and
// Classic accept it although O_ASYNC did not stick (an owner already set
// there means it is owned elsewhere: ErrAsyncBusy). Its signals come with
// si_code SI_SIGIO, whose layout is that of the kernel's POLL_* codes:
// signalfd reports the band's mask and the descriptor as ssi_band and
// ssi_fd, and the Watcher turns them into ordinary events (see
// bridged.go).
//
// The kernel queues real-time signals up to RLIMIT_SIGPENDING per user. When
// the queue is full it sends plain SIGIO to the owner instead; the Watcher
// reports that as a Resync event: some notifications were not queued, so
// re-check every watched descriptor (Options.Repoll makes the Watcher do it).
// Nothing is lost silently.
//
// # Classic: LDD3's way
//
// Classic is the mode of LDD3's asynctest: F_SETOWN to this process, plain
// SIGIO through os/signal, no descriptor information, several notifications
// merging into one. It is there for programs that want exactly that.
//
// # Sharing the process
//
// signalfd also dequeues signals aimed at the whole process. A Watcher may
// therefore take a process-directed SIGIO meant for os/signal. It passes
// every such SIGIO on to the live Classics, so use Classic, not
// signal.Notify(c, syscall.SIGIO) directly, while a Watcher runs. A SIGIO the
// kernel raises for a Classic's descriptor cannot be told from the overflow
// fallback and also yields a (harmless) Resync; one sent by kill can and does
// not. Signals registered with os/signal.Notify cannot be detected (there is
// no API for it), so pick Options.Signal away from any your program notifies.
package sigio
