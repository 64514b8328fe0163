package pipe_test

import "time"

// Conformance of signal masks, sigtimedwait and signalfd (SPEC S5, S8,
// S9), on the scenario's main thread with every watched signal blocked
// at the start. Facts from LTP's sigprocmask01, rt_sigtimedwait01 and
// signalfd01, gVisor's sigprocmask.cc, sigtimedwait.cc and signalfd.cc,
// and the man pages; the code is this suite's.

// watchedSet is the mask both sides start a masks scenario with.
var watchedSet = sigs(watched...)

var maskScenarios = []scenario{
	{name: "S5/sigprocmask01-block-unblock-setmask", masks: true, run: func(e *env) {
		e.sigprocmask(sigBlock, nil)
		e.sigprocmask(sigSetmask, setp(sigUSR1))
		e.sigprocmask(sigBlock, setp(sigUSR2, 40))
		e.sigprocmask(sigUnblock, setp(sigUSR1, sigIO))
		e.sigprocmask(sigUnblock, nil)
		e.sigprocmask(sigSetmask, &watchedSet)
	}},
	{name: "S5/sigprocmask-bad-how-EINVAL", masks: true, run: func(e *env) {
		e.sigprocmask(3, setp(sigUSR1))
		e.sigprocmask(-1, setp(sigUSR1))
		e.sigprocmask(3, nil) // how is looked at only when set is given
		e.sigprocmask(sigBlock, nil)
	}},
	{name: "S5/SIGKILL-and-SIGSTOP-stay-unblocked", masks: true, run: func(e *env) {
		e.sigprocmask(sigSetmask, setp(sigKILL, sigSTOP, sigUSR1))
		e.sigprocmask(sigBlock, setp(sigKILL, sigSTOP))
		e.sigprocmask(sigSetmask, &watchedSet)
	}},
	{name: "S5/S1/standard-signal-coalesces-while-blocked", masks: true, run: func(e *env) {
		e.sigpending()
		e.tgkill("me", sigUSR1)
		e.tgkill("me", sigUSR1)
		e.sigpending()
		e.sigtimedwait(sigs(sigUSR1), 0)
		e.sigtimedwait(sigs(sigUSR1), 0)
		e.sigpending()
	}},
	{name: "S5/S1/realtime-signals-queue-while-blocked", masks: true, run: func(e *env) {
		for range 3 {
			e.tgkill("me", 40)
		}
		e.sigpending()
		for range 4 {
			e.sigtimedwait(sigs(40), 0)
		}
	}},
	{name: "S8/rt_sigtimedwait01-lowest-number-first", masks: true, run: func(e *env) {
		for _, s := range []int{42, 40, sigUSR2, 64, sigUSR1, 41, sigIO} {
			e.tgkill("me", s)
		}
		for range 8 {
			e.sigtimedwait(sigs(sigUSR1, sigUSR2, sigIO, 40, 41, 42, 64), 0)
		}
	}},
	{name: "S8/sigtimedwait-timeout-EAGAIN", masks: true, run: func(e *env) {
		e.sigtimedwait(sigs(sigUSR1), 10*time.Millisecond)
		e.tgkill("me", sigUSR2)
		e.sigtimedwait(sigs(sigUSR1), 0)
		e.sigpending()
		e.sigtimedwait(sigs(sigUSR1, sigUSR2), 10*time.Millisecond)
	}},
	{name: "S8/sigtimedwait-only-its-set", masks: true, run: func(e *env) {
		e.tgkill("me", 41)
		e.tgkill("me", 40)
		e.sigtimedwait(sigs(41), 0)
		e.sigpending()
		e.sigtimedwait(sigs(41), 0)
		e.sigtimedwait(sigs(40), 0)
	}},
	{name: "S8/A7/sigtimedwait-takes-F_SETSIG-notifications-in-order", masks: true, run: func(e *env) {
		r, w := e.pipe(0)
		e.own(r, 40)
		e.own(w, 40)
		e.write(w, 3)
		e.read(r, 1)
		e.write(w, 1)
		for range 4 {
			e.sigtimedwait(sigs(40), 0)
		}
	}},
	{name: "S8/A7/sigtimedwait-plain-SIGIO-carries-no-fd", masks: true, run: func(e *env) {
		r, w := e.pipe(0)
		e.own(r, 0)
		e.write(w, 1)
		e.write(w, 1)
		e.sigpending()
		e.sigtimedwait(sigs(sigIO), 0)
		e.sigtimedwait(sigs(sigIO), 0)
	}},
	{name: "S8/S1/F_SETSIG-standard-signal-coalesces", masks: true, run: func(e *env) {
		r, w := e.pipe(0)
		e.own(r, sigUSR1)
		e.write(w, 1)
		e.write(w, 1)
		e.sigtimedwait(sigs(sigUSR1), 0)
		e.sigtimedwait(sigs(sigUSR1), 0)
	}},
	{name: "S9/signalfd01-read-siginfo", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1), sfdNonblock)
		e.readSiginfo(sfd, siginfoSize)
		e.poll(sfd, all)
		e.tgkill("me", sigUSR1)
		e.poll(sfd, all)
		e.readSiginfo(sfd, siginfoSize)
		e.readSiginfo(sfd, siginfoSize)
		e.sigpending()
	}},
	{name: "S9/signalfd-reads-several-records", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1, 40, 41), sfdNonblock)
		e.tgkill("me", 41)
		e.tgkill("me", 40)
		e.tgkill("me", 40)
		e.tgkill("me", sigUSR1)
		e.readSiginfo(sfd, 3*siginfoSize+100)
		e.readSiginfo(sfd, 4*siginfoSize)
	}},
	{name: "S9/signalfd-short-buffer-EINVAL", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1), sfdNonblock)
		e.tgkill("me", sigUSR1)
		e.readSiginfo(sfd, siginfoSize-1)
		e.sigpending()
		e.readSiginfo(sfd, siginfoSize)
	}},
	{name: "S9/signalfd-bad-flags-and-descriptors", masks: true, run: func(e *env) {
		r, _ := e.pipe(0)
		e.signalfd("", sigs(sigUSR1), 1)
		e.signalfd(r, sigs(sigUSR1), 0)
		e.close(r)
		e.signalfd(r, sigs(sigUSR1), 0)
	}},
	{name: "S9/signalfd-flags-show-in-fcntl", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1), sfdNonblock|sfdCloexec)
		e.fcntl(sfd, fGETFD, 0)
		e.fcntl(sfd, fGETFL, 0)
		sfd2 := e.signalfd("", sigs(sigUSR1), 0)
		e.fcntl(sfd2, fGETFD, 0)
		e.fcntl(sfd2, fGETFL, 0)
	}},
	{name: "S9/signalfd-changes-its-mask", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1), sfdNonblock)
		e.signalfd(sfd, sigs(sigUSR2), 0)
		e.tgkill("me", sigUSR1)
		e.readSiginfo(sfd, siginfoSize)
		e.tgkill("me", sigUSR2)
		e.readSiginfo(sfd, siginfoSize)
		e.sigpending()
	}},
	{name: "S9/A7/signalfd-si_fd-si_band-of-F_SETSIG", masks: true, run: func(e *env) {
		r, w := e.pipe(0)
		sfd := e.signalfd("", sigs(40, 41), sfdNonblock)
		e.own(r, 40)
		e.own(w, 41)
		e.write(w, 5)
		e.read(r, 5)
		e.readSiginfo(sfd, 4*siginfoSize)
		e.close(w)
		e.readSiginfo(sfd, 4*siginfoSize)
	}},
	{name: "S9/S8/signalfd-and-sigtimedwait-share-the-queue", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1, 40), sfdNonblock)
		e.tgkill("me", sigUSR1)
		e.tgkill("me", 40)
		e.sigtimedwait(sigs(sigUSR1), 0)
		e.readSiginfo(sfd, 4*siginfoSize)
		e.sigpending()
	}},
	{name: "S9/E2/signalfd-watched-by-epoll", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1, 40), sfdNonblock)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, sfd, epollIN, 7)
		e.epollWait(ep, 4, 0)
		e.tgkill("me", sigUSR1)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
		e.readSiginfo(sfd, siginfoSize)
		e.epollWait(ep, 4, 0)
		e.tgkill("me", sigUSR2) // not in the signalfd's mask
		e.epollWait(ep, 4, 0)
	}},
	{name: "S9/E4/signalfd-edge-triggered", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1, 40), sfdNonblock)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, sfd, epollIN|epollET, 1)
		e.tgkill("me", 40)
		e.epollWait(ep, 4, 0)
		e.epollWait(ep, 4, 0)
		e.tgkill("me", 40)
		e.epollWait(ep, 4, 0)
		e.readSiginfo(sfd, 4*siginfoSize)
	}},
	{name: "S9/A7/E2/signalfd-and-pipe-in-one-epoll", masks: true, run: func(e *env) {
		r, w := e.pipe(0)
		sfd := e.signalfd("", sigs(40), sfdNonblock)
		e.own(r, 40)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, r, epollIN, 1)
		e.epollCtl(ep, epollCTLADD, sfd, epollIN, 2)
		e.write(w, 2)
		e.epollWait(ep, 4, 0)
		e.readSiginfo(sfd, 2*siginfoSize)
		e.read(r, 2)
		e.epollWait(ep, 4, 0)
	}},
	{name: "S9/E1/signalfd-in-select", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR2), sfdNonblock)
		e.selectFds(0, sfd, "", "", 0)
		e.tgkill("me", sigUSR2)
		e.selectFds(0, sfd, "", "", 0)
	}},
	{name: "S9/T1/signalfd-reads-the-reading-thread's-signals", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1), 0)
		e.tgkill("me", sigUSR1)
		done := e.readSiginfoBg(sfd, siginfoSize)
		e.tgkill("second", sigUSR1)
		done()
		e.readSiginfo(sfd, siginfoSize)
	}},
	{name: "S9/T2/signalfd-read-woken-by-a-notification-to-its-thread", masks: true, run: func(e *env) {
		r, w := e.pipe(0)
		sfd := e.signalfd("", sigs(40), 0)
		e.setownEx(r, 0, "second")
		e.fcntl(r, fSETSIG, 40)
		e.fcntl(r, fSETFL, oASYNC)
		done := e.readSiginfoBg(sfd, 2*siginfoSize)
		e.write(w, 3)
		done()
		e.sigpending()
	}},
	{name: "S9/T1/E2/signalfd-poll-sees-only-the-poller's-signals", masks: true, run: func(e *env) {
		sfd := e.signalfd("", sigs(sigUSR1, sigUSR2), sfdNonblock)
		ep := e.epollCreate(0)
		e.epollCtl(ep, epollCTLADD, sfd, epollIN, 1)
		e.tgkill("second", sigUSR1)
		e.poll(sfd, all)
		e.epollWait(ep, 4, 0)
		e.selectFds(0, sfd, "", "", 0)
		e.tgkill("me", sigUSR2)
		e.poll(sfd, all)
		e.epollWait(ep, 4, 0)
		e.readSiginfo(sfd, 4*siginfoSize)
	}},
}
