package pipe_test

import (
	"strings"
	"testing"
)

// The conformance suite (SPEC P2): every scenario runs on a real pipe and
// on the model's, and the two transcripts — return values, errnos, flags,
// owners, and every signal's number, code, descriptor and band — must be
// the same line for line. The facts come from LTP's fcntl*, pipe* and
// pipe2* tests and gVisor's fcntl.cc and pipe.cc; the code is this suite's.

// all asks poll for every readiness bit a pipe can report.
const all = 0x1 | 0x4 | 0x40 | 0x100 // POLLIN|POLLOUT|POLLRDNORM|POLLWRNORM

// fill writes whole pages until the ring is full (count pages).
func fill(e *env, w string, pages int) {
	for range pages {
		e.write(w, pageSize)
	}
}

var scenarios = []scenario{
	// Reading and end of file (P1).
	{name: "P1/eof-after-data", run: func(e *env) {
		r, w := e.pipe(0)
		e.write(w, 5)
		e.close(w)
		e.read(r, 10)
		e.read(r, 10)
	}},
	{name: "P1/eof-empty-never-sleeps", run: func(e *env) {
		r, w := e.pipe(0)
		e.close(w)
		e.read(r, 1)
	}},
	{name: "P1/M2/eagain-empty", run: func(e *env) {
		r, _ := e.pipe(oNONBLOCK)
		e.read(r, 1)
	}},
	{name: "P1/null-read-and-write-notify-nobody", run: func(e *env) {
		r, w := e.pipe(oNONBLOCK)
		e.own(r, sigRT)
		e.own(w, sigRT+1)
		e.read(r, 0)
		e.write(w, 0)
	}},
	{name: "P1/read-returns-what-is-there", run: func(e *env) {
		r, w := e.pipe(0)
		e.write(w, 10)
		e.read(r, 4)
		e.read(r, 100)
	}},
	{name: "P1/read-spans-slots", run: func(e *env) {
		r, w := e.pipe(0)
		e.write(w, pageSize)
		e.write(w, 100)
		e.write(w, pageSize)
		e.read(r, 3*pageSize)
	}},
	{name: "P1/read-write-wrong-end-EBADF", run: func(e *env) {
		r, w := e.pipe(0)
		e.read(w, 1)
		e.write(r, 1)
	}},
	{name: "P1/M1/blocked-reader-gets-data", run: func(e *env) {
		r, w := e.pipe(0)
		done := e.sleeper(r, 100, false)
		e.write(w, 7)
		done()
	}},
	{name: "P1/M1/blocked-reader-gets-eof", run: func(e *env) {
		r, w := e.pipe(0)
		done := e.sleeper(r, 100, false)
		e.close(w)
		done()
	}},

	// EPIPE and SIGPIPE to the writer (P1, K1).
	{name: "P1/K1/epipe-sigpipe", run: func(e *env) {
		r, w := e.pipe(0)
		e.close(r)
		e.write(w, 1)
		e.write(w, 0) // a null write checks nothing
	}},
	{name: "P1/K1/epipe-sigpipe-nonblock", run: func(e *env) {
		r, w := e.pipe(oNONBLOCK)
		e.close(r)
		e.write(w, 100000)
	}},
	{name: "P1/K1/blocked-writer-epipe", run: func(e *env) {
		r, w := e.pipe(0)
		fill(e, w, 16)
		done := e.sleeper(w, 10, true)
		e.hold()
		e.close(r)
		done()
		// The kernel sends SIGPIPE to the writing thread (thread 2),
		// which the main thread does not see, in the model as in Linux
		// (T2).
		e.release()
	}},

	// Capacity: F_GETPIPE_SZ and F_SETPIPE_SZ (P1, K2).
	{name: "P1/K2/default-capacity", run: func(e *env) {
		r, w := e.pipe(0)
		e.fcntl(r, fGETPIPESZ, 0)
		e.fcntl(w, fGETPIPESZ, 0)
		fill(e, w, 16)
		e.fcntl(w, fSETFL, oNONBLOCK)
		e.write(w, 1)
	}},
	{name: "P1/K2/setpipe-rounds-up", run: func(e *env) {
		r, w := e.pipe(0)
		for _, size := range []int{0, 1, pageSize - 1, pageSize + 1, 3 * pageSize, 65535, 100000, 1 << 20} {
			e.fcntl(w, fSETPIPESZ, size)
		}
		e.fcntl(r, fGETPIPESZ, 0)
	}},
	{name: "P1/K2/setpipe-EINVAL", run: func(e *env) {
		_, w := e.pipe(0)
		e.fcntl(w, fSETPIPESZ, -1)
		e.fcntl(w, fSETPIPESZ, 1<<31+1)
		e.fcntl(w, fGETPIPESZ, 0)
	}},
	{name: "P1/K2/setpipe-EBUSY-counts-slots", run: func(e *env) {
		r, w := e.pipe(0)
		e.write(w, 100)
		e.write(w, 100) // merged into the first page: one slot
		e.fcntl(w, fSETPIPESZ, pageSize)
		e.fcntl(r, fSETPIPESZ, 4*pageSize)
		fill(e, w, 2)
		e.fcntl(w, fSETPIPESZ, 2*pageSize)
		e.fcntl(w, fSETPIPESZ, 0)
		e.read(r, pageSize)
		e.fcntl(w, fSETPIPESZ, 2*pageSize)
	}},
	{name: "P1/K2/setpipe-unprivileged-EPERM", unprivileged: true, run: func(e *env) {
		_, w := e.pipe(0)
		e.fcntl(w, fSETPIPESZ, 2<<20)
		e.fcntl(w, fSETPIPESZ, 1<<20)
		e.fcntl(w, fSETPIPESZ, 1<<20+1)
		e.fcntl(w, fSETPIPESZ, pageSize)
	}},
	{name: "P1/K2/setpipe-privileged-above-max", privileged: true, run: func(e *env) {
		_, w := e.pipe(0)
		e.fcntl(w, fSETPIPESZ, 2<<20)
		e.fcntl(w, fGETPIPESZ, 0)
	}},
	{name: "P1/K2/M1/setpipe-wakes-blocked-writer", run: func(e *env) {
		r, w := e.pipe(0)
		e.fcntl(w, fSETPIPESZ, pageSize)
		e.write(w, pageSize)
		done := e.sleeper(w, 10, true)
		e.fcntl(r, fSETPIPESZ, 2*pageSize)
		done()
	}},

	// PIPE_BUF atomicity (P1).
	{name: "P1/M2/pipe-buf-atomic-nonblock", run: func(e *env) {
		r, w := e.pipe(oNONBLOCK)
		fill(e, w, 15)
		e.write(w, 4000) // the sixteenth and last slot
		e.write(w, 97)   // does not fit in the last page: nothing is written
		e.write(w, 96)   // fits exactly: merged into it
		e.write(w, 1)
		e.write(w, pageSize)
		e.ioctl(r, fionread, 0)
	}},
	{name: "P1/M2/large-write-split-nonblock", run: func(e *env) {
		r, w := e.pipe(oNONBLOCK)
		e.fcntl(w, fSETPIPESZ, 2*pageSize)
		e.write(w, 10)
		e.write(w, 3*pageSize+5) // 5 bytes merged, then one page
		e.read(r, 5*pageSize)
		e.write(w, 3*pageSize)
		e.read(r, 5*pageSize)
	}},
	{name: "P1/packet-mode-O_DIRECT", run: func(e *env) {
		r, w := e.pipe(oDIRECT | oNONBLOCK)
		e.fcntl(r, fGETFL, 0)
		e.fcntl(w, fGETFL, 0)
		e.write(w, 10)
		e.write(w, 20)
		e.write(w, pageSize+3)
		e.read(r, 100)
		e.read(r, 5)
		e.read(r, 2*pageSize)
		e.read(r, 100)
		e.read(r, 100)
	}},

	// Poll masks (P1).
	{name: "P1/M3/poll-empty", run: func(e *env) {
		r, w := e.pipe(0)
		e.poll(r, all)
		e.poll(w, all)
	}},
	{name: "P1/M3/poll-data-and-full", run: func(e *env) {
		r, w := e.pipe(0)
		e.fcntl(w, fSETPIPESZ, pageSize)
		e.write(w, 1)
		e.poll(r, all)
		e.poll(w, all)
		e.write(w, 10) // merged: the one slot is still the only one
		e.poll(w, all)
	}},
	{name: "P1/M3/poll-hup-without-writers", run: func(e *env) {
		r, w := e.pipe(0)
		e.write(w, 3)
		e.close(w)
		e.poll(r, all)
		e.poll(r, 0) // POLLHUP is reported even when not asked for
		e.read(r, 10)
		e.poll(r, all)
	}},
	{name: "P1/M3/poll-err-without-readers", run: func(e *env) {
		r, w := e.pipe(0)
		e.close(r)
		e.poll(w, all)
		e.poll(w, 0) // POLLERR too
	}},
	{name: "P1/M3/poll-closed-descriptor", run: func(e *env) {
		r, _ := e.pipe(0)
		e.close(r)
		e.poll(r, all)
	}},

	// Notifications: who hears what, and when (P1, P2, A7, A8).
	{name: "P2/A7/A8/POLL_IN-after-write", run: func(e *env) {
		r, w := e.pipe(0)
		e.own(r, sigRT)
		e.write(w, 3)
		e.write(w, pageSize)
	}},
	{name: "P2/A7/A8/POLL_OUT-after-read", run: func(e *env) {
		r, w := e.pipe(0)
		e.own(w, sigRT)
		e.write(w, 3)
		e.read(r, 1)
		e.read(r, 10)
	}},
	{name: "P2/POLL_OUT-after-read-that-found-nothing", run: func(e *env) {
		r, w := e.pipe(oNONBLOCK)
		e.own(w, sigRT)
		e.read(r, 1)
	}},
	{name: "P2/POLL_IN-after-write-that-found-no-room", run: func(e *env) {
		r, w := e.pipe(oNONBLOCK)
		e.fcntl(w, fSETPIPESZ, pageSize)
		e.write(w, pageSize)
		e.own(r, sigRT)
		e.write(w, 1)
	}},
	// While a call sleeps on the second thread, the notifications go to
	// the "other" owner, whose signals are read on their own.
	{name: "P2/reader-going-to-sleep-tells-nobody", run: func(e *env) {
		r, w := e.pipe(0)
		e.ownBy(w, "other", sigRT)
		done := e.sleeper(r, 10, false)
		e.otherSignals() // nothing: the sleeping reader sent no POLL_OUT
		e.write(w, 3)
		done()
		e.otherSignals() // the read that found the data did
	}},
	{name: "P2/writer-going-to-sleep-sends-POLL_IN", run: func(e *env) {
		r, w := e.pipe(0)
		e.fcntl(w, fSETPIPESZ, pageSize)
		e.write(w, pageSize)
		e.ownBy(r, "other", sigRT)
		e.ownBy(w, "other", sigRT+1)
		done := e.sleeper(w, 10, true)
		e.otherSignals() // POLL_IN, sent as the writer went to sleep
		e.read(r, pageSize)
		done()
		e.otherSignals() // POLL_OUT for the read, POLL_IN for the write it let finish
	}},
	{name: "P2/last-writer-close-sends-POLL_IN", run: func(e *env) {
		r, w := e.pipe(0)
		e.own(r, sigRT)
		e.close(w)
		e.read(r, 1)
	}},
	{name: "P2/last-reader-close-sends-POLL_OUT", run: func(e *env) {
		r, w := e.pipe(0)
		e.own(w, sigRT)
		e.close(r)
		e.write(w, 1)
	}},
	{name: "P2/A3/close-of-a-dup-is-not-a-release", run: func(e *env) {
		r, w := e.pipe(0)
		e.own(r, sigRT)
		d := e.dup(w)
		e.close(w)
		e.write(d, 2)
		e.close(d)
	}},
	{name: "P2/A13/closed-file-hears-nothing", run: func(e *env) {
		r, w := e.pipe(0)
		e.own(r, sigRT)
		e.own(w, sigRT+1)
		e.close(r)
		e.write(w, 1)
	}},
	{name: "P2/A7/plain-SIGIO-carries-no-fd", run: func(e *env) {
		r, w := e.pipe(0)
		e.own(r, 0)
		e.write(w, 1)
		e.own(w, 0)
		e.read(r, 1)
	}},
	{name: "P2/S1/plain-SIGIO-coalesces", run: func(e *env) {
		r, w := e.pipe(0)
		e.setownEx(r, 0, "other")
		e.fcntl(r, fSETFL, oASYNC)
		e.write(w, 1)
		e.write(w, 1)
		e.write(w, 1)
		e.otherSignals()
	}},
	{name: "P2/S1/realtime-signals-queue", run: func(e *env) {
		r, w := e.pipe(0)
		e.setownEx(r, 0, "other")
		e.fcntl(r, fSETSIG, sigRT)
		e.fcntl(r, fSETFL, oASYNC)
		e.write(w, 1)
		e.write(w, 1)
		e.write(w, 1)
		e.otherSignals()
	}},
	{name: "P2/A7/SI_SIGIO-for-SIGSYS-and-SIGCHLD", run: func(e *env) {
		r, w := e.pipe(0)
		e.own(r, sigSYS)
		e.write(w, 1)
		e.own(w, sigCHLD)
		e.read(r, 1)
	}},
	{name: "P2/A7/band-code-for-SIGUSR1-and-SIGIO", run: func(e *env) {
		r, w := e.pipe(0)
		e.own(r, sigUSR1)
		e.write(w, 1)
		e.fcntl(r, fSETSIG, sigIO)
		e.write(w, 1)
	}},
	{name: "P2/A2/A3/dup-shares-one-entry", run: func(e *env) {
		r, w := e.pipe(0)
		d := e.dup(r)
		e.own(r, sigRT)
		e.fcntl(d, fGETFL, 0)
		e.write(w, 1)
		// Turning O_ASYNC off and on through the dup stores its number.
		e.fcntl(d, fSETFL, 0)
		e.fcntl(r, fGETFL, 0)
		e.fcntl(d, fSETFL, oASYNC)
		e.write(w, 1)
		e.fcntl(d, fGETSIG, 0)
	}},
	{name: "P2/A9/owner-is-another-thread", run: func(e *env) {
		r, w := e.pipe(0)
		e.setownEx(r, 0, "other")
		e.fcntl(r, fSETSIG, sigRT)
		e.fcntl(r, fSETFL, oASYNC)
		e.write(w, 1)
		e.otherSignals()
		e.getownEx(r)
	}},
	{name: "I1/P2/FIOASYNC-subscribes", run: func(e *env) {
		r, w := e.pipe(0)
		e.setownEx(r, 0, "me")
		e.fcntl(r, fSETSIG, sigRT)
		e.ioctl(r, fioasync, 1)
		e.fcntl(r, fGETFL, 0)
		e.write(w, 1)
		e.ioctl(r, fioasync, 0)
		e.fcntl(r, fGETFL, 0)
		e.write(w, 1)
	}},

	{name: "P2/A6/no-owner-no-signal", run: func(e *env) {
		r, w := e.pipe(0)
		e.fcntl(r, fSETSIG, sigRT)
		e.fcntl(r, fSETFL, oASYNC)
		e.write(w, 1)
		e.setownEx(r, 0, "me")
		e.write(w, 1)
		e.setownEx(r, 0, "0")
		e.write(w, 1)
	}},
	{name: "P2/A10/owner-set-by-another-user", uid: 1000, run: func(e *env) {
		r, w := e.pipe(0)
		// Set by uid 1000, the owner is a root thread: not signalled.
		e.ownBy(r, "other", sigRT)
		e.write(w, 1)
		e.otherSignals()
		// uid 1000 may signal itself.
		e.own(r, sigRT)
		e.write(w, 1)
	}},

	// fcntl: owners and signals (A9, A12).
	{name: "A12/setsig-range", run: func(e *env) {
		r, _ := e.pipe(0)
		e.fcntl(r, fGETSIG, 0)
		e.fcntl(r, fSETSIG, 64)
		e.fcntl(r, fGETSIG, 0)
		e.fcntl(r, fSETSIG, 65)
		e.fcntl(r, fSETSIG, -1)
		e.fcntl(r, fGETSIG, 0)
		e.fcntl(r, fSETSIG, 0)
		e.fcntl(r, fGETSIG, 0)
	}},
	{name: "A9/setown-INT_MIN-EINVAL", run: func(e *env) {
		r, _ := e.pipe(0)
		e.fcntl(r, fSETOWN, -1<<31)
		e.getownEx(r)
	}},
	{name: "A9/S4/setown-process-group", run: func(e *env) {
		r, _ := e.pipe(0)
		e.setown(r, "-pgrp")
		e.fcntl(r, fGETOWN, 0)
		e.getownEx(r)
		e.setownEx(r, 2, "pgrp")
		e.fcntl(r, fGETOWN, 0)
	}},
	{name: "A9/setown-process", run: func(e *env) {
		r, _ := e.pipe(0)
		e.setown(r, "pid")
		e.fcntl(r, fGETOWN, 0)
		e.getownEx(r)
		e.setown(r, "0")
		e.fcntl(r, fGETOWN, 0)
		e.getownEx(r)
	}},
	{name: "A9/setown-ESRCH", run: func(e *env) {
		r, _ := e.pipe(0)
		e.setown(r, "gone")
		e.setown(r, "-gone")
		e.setownEx(r, 0, "gone")
		e.setownEx(r, 2, "gone")
		e.setownExRaw(r, 1, -1)
		e.getownEx(r)
	}},
	{name: "A9/setownex-bad-type-EINVAL", run: func(e *env) {
		r, _ := e.pipe(0)
		e.setownExRaw(r, 3, 1)
		e.setownExRaw(r, -1, 1)
	}},
	{name: "A9/getown-of-exited-owner-is-0", run: func(e *env) {
		r, w := e.pipe(0)
		e.setownEx(r, 0, "other")
		e.fcntl(r, fSETFL, oASYNC)
		e.exitOther()
		e.fcntl(r, fGETOWN, 0)
		e.getownEx(r)
		e.write(w, 1) // nobody to tell
	}},

	// Descriptors and flags (K2, A14).
	{name: "K2/dupfd-cloexec", run: func(e *env) {
		r, _ := e.pipe(0)
		d := "d1"
		e.fcntl(r, fDUPFDCLOEXEC, 10)
		e.fcntl(d, fGETFD, 0)
		e.fcntl(r, fGETFD, 0)
		e.fcntl(r, fDUPFD, 20)
		e.fcntl("d2", fGETFD, 0)
		e.fcntl(r, fDUPFDCLOEXEC, -1)
		e.fcntl(r, fDUPFD, 1<<20)
	}},
	{name: "K2/A3/dupfd-query", run: func(e *env) {
		r, w := e.pipe(0)
		d := e.dup(r)
		e.dupfdQuery(r, d)
		e.dupfdQuery(d, r)
		e.dupfdQuery(r, w)
		e.dupfdQuery(r, "nosuch")
	}},
	{name: "I1/M2/FIONBIO", run: func(e *env) {
		_, w := e.pipe(0)
		e.ioctl(w, fionbio, 1)
		e.fcntl(w, fGETFL, 0)
		e.write(w, 100000) // fills the ring's 16 pages and returns
		e.write(w, 1)
		e.ioctl(w, fionbio, 0)
		e.fcntl(w, fGETFL, 0)
	}},
	{name: "P1/pipe2-flags", run: func(e *env) {
		r, w := e.pipe(oNONBLOCK | oCLOEXEC)
		e.fcntl(r, fGETFL, 0)
		e.fcntl(w, fGETFL, 0)
		e.fcntl(r, fGETFD, 0)
		e.fcntl(w, fGETFD, 0)
		e.pipe(oAPPEND)
		e.pipe(oASYNC)
	}},
	{name: "K2/setfl-masks-flags", run: func(e *env) {
		r, w := e.pipe(0)
		e.fcntl(r, fSETFL, 1|oAPPEND|oNONBLOCK|oCLOEXEC)
		e.fcntl(r, fGETFL, 0)
		e.fcntl(w, fSETFL, oNOATIME)
		e.fcntl(w, fGETFL, 0)
		e.fcntl(w, fSETFL, oDIRECT)
		e.fcntl(w, fGETFL, 0)
		e.fcntl(r, fSETFL, 0)
		e.fcntl(r, fGETFL, 0)
	}},
	{name: "A14/K2/bad-descriptor-and-command", run: func(e *env) {
		r, _ := e.pipe(0)
		e.fcntl(r, 0x4ff, 0)
		e.fcntl(r, 1032+100, 0)
		e.close(r)
		e.fcntl(r, fGETFL, 0)
		e.fcntl(r, fGETPIPESZ, 0)
		e.read(r, 1)
		e.close(r)
	}},
	{name: "P1/FIONREAD", run: func(e *env) {
		r, w := e.pipe(0)
		e.ioctl(r, fionread, 0)
		e.write(w, 10)
		e.write(w, pageSize)
		e.ioctl(r, fionread, 0)
		e.ioctl(w, fionread, 0)
		e.read(r, 5)
		e.ioctl(r, fionread, 0)
		e.ioctl(r, 0x5401, 0) // TCGETS: not a terminal
	}},
}

// TestConformance runs every scenario on the real kernel and on the model
// and compares the transcripts (SPEC P2).
func TestConformance(t *testing.T) { runScenarios(t, scenarios) }

// runScenarios runs each scenario on the real kernel and on the model and
// compares the transcripts.
func runScenarios(t *testing.T, list []scenario) {
	for _, sc := range list {
		t.Run(sc.name, func(t *testing.T) {
			real := runReal(t, sc)
			model := runModel(t, sc)
			if d := compare(real, model); d != "" {
				t.Errorf("model departs from the kernel:\n%s\nkernel transcript:\n%s\nmodel transcript:\n%s",
					d, strings.Join(real.lines, "\n"), strings.Join(model.lines, "\n"))
			}
			if testing.Verbose() {
				t.Logf("kernel transcript:\n%s", strings.Join(real.lines, "\n"))
			}
		})
	}
}
