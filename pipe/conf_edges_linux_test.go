package pipe_test

import (
	"testing"
	"time"
)

// Edge cases of masks, sigtimedwait, signalfd, epoll, select and FIFOs
// that a differential corpus aims at (SPEC S5, S8, S9, E1, E2, E4–E7):
// each runs on both sides and compares line by line. Facts from the
// kernel's signal.c (next_signal, rt_sigtimedwait), signalfd.c,
// eventpoll.c, select.c and pipe.c, LTP's signalfd*, epoll_ctl*,
// epoll_wait*, select* and fifo tests, gVisor's signalfd.cc, epoll.cc and
// select.cc, and the man pages; the code is this suite's.

var edgeMaskScenarios = []scenario{
	{name: "S8/synchronous-SIGSYS-is-taken-before-lower-numbers", masks: true, run: func(e *env) {
		// next_signal takes the synchronous signals (SIGSEGV, SIGBUS,
		// SIGILL, SIGTRAP, SIGFPE, SIGSYS) before any other.
		for _, s := range []int{40, sigUSR2, sigSYS, sigUSR1, sigIO} {
			e.tgkill("me", s)
		}
		for range 6 {
			e.sigtimedwait(sigs(sigUSR1, sigUSR2, sigIO, sigSYS, 40), 0)
		}
	}},
	{name: "S9/signalfd-reads-SIGSYS-first", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1, sigSYS, 41), sfdNonblock)
		e.tgkill("me", 41)
		e.tgkill("me", sigUSR1)
		e.tgkill("me", sigSYS)
		e.readSiginfo(sfd, 4*siginfoSize)
	}},
	{name: "S8/sigtimedwait-drops-SIGKILL-and-SIGSTOP-from-its-set", masks: true, run: func(e *env) {
		e.sigtimedwait(sigs(sigKILL, sigSTOP), 0)
		e.tgkill("me", sigUSR1)
		e.sigtimedwait(sigs(sigKILL, sigSTOP, sigUSR1), 0)
		e.sigtimedwait(sigs(sigKILL, sigSTOP, sigUSR1), 0)
	}},
	{name: "S8/sigtimedwait-empty-set-times-out", masks: true, run: func(e *env) {
		e.tgkill("me", sigUSR1)
		e.sigtimedwait(0, 0)
		e.sigtimedwait(0, 5*time.Millisecond)
		e.sigpending()
	}},
	{name: "S8/S1/realtime-queue-order-across-numbers-and-repeats", masks: true, run: func(e *env) {
		for _, s := range []int{41, 40, 41, 64, 40, 42, 41} {
			e.tgkill("me", s)
		}
		e.sigpending()
		e.sigtimedwait(sigs(41), 0)
		e.sigpending()
		for range 7 {
			e.sigtimedwait(sigs(40, 41, 42, 64), 0)
		}
	}},
	{name: "S1/realtime-queue-beyond-1024", masks: true, run: func(e *env) {
		const n = 1100
		sent, first := 0, "none"
		for range n {
			if err := e.sig().tgkill("me", 41); err != nil {
				if first == "none" {
					first = errStr(err)
				}
				continue
			}
			sent++
		}
		e.differs(0, "tgkill(me, 41) x1100 -> 1024 ok, first error EAGAIN",
			"kernel/doc.go: the real-time queue limit's default, 1024, is a model's size, not the machine's RLIMIT_SIGPENDING")
		e.log("tgkill(me, 41) x%d -> %d ok, first error %s", n, sent, first)
		taken := 0
		for {
			if _, err := e.sig().sigtimedwait(sigs(41), 0); err != nil {
				break
			}
			taken++
		}
		e.differs(0, "sigtimedwait({41}, 0s) took 1024", "kernel/doc.go: as above")
		e.log("sigtimedwait({41}, 0s) took %d", taken)
		e.sigpending()
	}},
	{name: "S5/sigprocmask-unblock-and-setmask-keep-pending", masks: true, run: func(e *env) {
		e.tgkill("me", 40)
		e.tgkill("me", 40)
		e.sigprocmask(sigBlock, setp(sigUSR1))
		e.sigpending()
		e.sigprocmask(sigSetmask, &watchedSet)
		e.sigpending()
		e.sigtimedwait(sigs(40), 0)
		e.sigtimedwait(sigs(40), 0)
	}},
	{name: "S10/S5/stop-and-continue-signals-cancel-each-other", masks: true, run: func(e *env) {
		// prepare_signal: a stop signal discards a pending SIGCONT, and
		// SIGCONT every pending stop signal, blocked or not.
		e.sigprocmask(sigBlock, setp(sigCONT, sigTSTP))
		e.tgkill("me", sigCONT)
		e.sigpending()
		e.tgkill("me", sigTSTP)
		e.sigpending()
		e.tgkill("me", sigCONT)
		e.sigpending()
		e.sigtimedwait(sigs(sigCONT, sigTSTP), 0)
		e.sigtimedwait(sigs(sigCONT, sigTSTP), 0)
		e.sigprocmask(sigSetmask, &watchedSet)
	}},
	{name: "S9/signalfd-ignores-SIGKILL-and-SIGSTOP-in-its-mask", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigKILL, sigSTOP), sfdNonblock)
		e.readSiginfo(sfd, siginfoSize)
		e.poll(sfd, all)
		e.signalfd(sfd, sigs(sigKILL, sigUSR1), 0)
		e.tgkill("me", sigUSR1)
		e.readSiginfo(sfd, 2*siginfoSize)
	}},
	{name: "S9/signalfd-read-of-zero-and-short-buffers", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1), sfdNonblock)
		e.readSiginfo(sfd, 0)
		e.readSiginfo(sfd, 1)
		e.readSiginfo(sfd, siginfoSize)
		e.tgkill("me", sigUSR1)
		e.readSiginfo(sfd, 0)
		e.readSiginfo(sfd, 2*siginfoSize-1)
		e.readSiginfo(sfd, siginfoSize)
	}},
	{name: "S9/M2/signalfd-O_NONBLOCK-set-by-F_SETFL", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1), 0)
		e.fcntl(sfd, fSETFL, oNONBLOCK)
		e.fcntl(sfd, fGETFL, 0)
		e.readSiginfo(sfd, siginfoSize)
		e.ioctl(sfd, fionbio, 0)
		e.fcntl(sfd, fGETFL, 0)
	}},
	{name: "S9/signalfd-mask-update-ignores-SFD_NONBLOCK", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1), 0)
		e.signalfd(sfd, sigs(sigUSR1), sfdNonblock|sfdCloexec)
		e.fcntl(sfd, fGETFL, 0)
		e.fcntl(sfd, fGETFD, 0)
		e.signalfd(sfd, sigs(sigUSR1), 4)
	}},
	{name: "S9/signalfd-of-an-epoll-or-closed-descriptor-EINVAL-EBADF", masks: true, run: func(e *env) {
		ep := e.epollCreate(0)
		e.signalfd(ep, sigs(sigUSR1), 0)
		sfd := e.signalfd("", sigs(sigUSR1), 0)
		d := e.dup(sfd)
		e.close(sfd)
		e.signalfd(d, sigs(sigUSR2), sfdNonblock)
		e.tgkill("me", sigUSR2)
		e.fcntl(d, fSETFL, oNONBLOCK)
		e.readSiginfo(d, siginfoSize)
		e.signalfd(sfd, sigs(sigUSR2), 0)
	}},
	{name: "S9/two-signalfds-share-one-queue", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1, 40), sfdNonblock)
		sfd2 := e.signalfd("", sigs(40), sfdNonblock)
		e.tgkill("me", 40)
		e.tgkill("me", sigUSR1)
		e.tgkill("me", 40)
		e.readSiginfo(sfd2, siginfoSize)
		e.poll(sfd2, all)
		e.readSiginfo(sfd, 4*siginfoSize)
		e.poll(sfd2, all)
		e.readSiginfo(sfd2, siginfoSize)
	}},
	{name: "S9/E4/signalfd-mask-change-seen-by-epoll", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1), sfdNonblock)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, sfd, epollIN, 1)
		e.tgkill("me", sigUSR2)
		e.epollWait(ep, 4, 0)
		e.signalfd(sfd, sigs(sigUSR2), 0)
		e.epollWait(ep, 4, 0)
		e.readSiginfo(sfd, siginfoSize)
		e.epollWait(ep, 4, 0)
	}},
	{name: "S9/E1/signalfd-in-select-write-and-except-sets", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1), sfdNonblock)
		e.tgkill("me", sigUSR1)
		e.selectFds(0, sfd, sfd, sfd, 0)
		e.poll(sfd, 0)
	}},
}

// TestConformanceEdges runs the edge-case scenarios of masks, signalfd,
// epoll, select and FIFOs (SPEC S5, S8, S9, E1, E2, E4–E7) on both sides.
func TestConformanceEdges(t *testing.T) {
	t.Run("masks", func(t *testing.T) { runScenarios(t, edgeMaskScenarios) })
	t.Run("epoll", func(t *testing.T) { runScenarios(t, edgeEpollScenarios) })
	t.Run("fifo", func(t *testing.T) { runScenarios(t, edgeFifoScenarios) })
}
