package devfs

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/linux"
)

// statusBufs are the buffers status files are read into.
var statusBufs = sync.Pool{New: func() any { return new([statusBufSize]byte) }}

// A sendResult is what became of one signal.
type sendResult int

const (
	sendDone   sendResult = iota // sent, or not to be sent
	sendWorker                   // the worker must judge it
	sendLater                    // a call on a client gave no answer in time: try again later
)

// deliver sends owner a's signal for band to target t, as Linux's
// send_sigio_to_task would, after the check Linux makes (F4) and the one
// it does not need (F2): the target's status is read now, the ids that set
// the owner must be allowed to signal the target (sigio_perm), and a
// target the signal would kill is skipped. On a full real-time queue
// plain SIGIO goes instead (A7). s makes the system calls: the
// sender's reports sendWorker for a process whose threads must each be
// looked at, which the worker then does; either reports sendLater when
// the check that a client still holds the file gets no answer in time.
func (b *bridge) deliver(s sys, w *watch, dup int, a *armedOwner, t *target, band int) sendResult {
	buf := statusBufs.Get().(*[statusBufSize]byte)
	defer statusBufs.Put(buf)
	st, err := s.readStatusFd(t.statusFd, buf[:])
	if err != nil {
		return sendDone // gone: nothing reaches it
	}
	// The permission first: nothing more is read of a process the ids
	// that set the owner may not signal (its syscall file, its memory).
	if !a.mayKill(st.cred) {
		b.stats.refused.Add(1)
		return sendDone
	}
	sig := a.sig
	if sig == 0 {
		sig = int(unix.SIGIO)
	}
	switch b.safe(s, t, st, sig) {
	case safeNo:
		b.stats.unsafe.Add(1)
		return sendDone
	case safeIgnored:
		return sendDone
	case safeAsk:
		return sendWorker
	}
	info := linux.PollSiginfo{Signo: int32(sig), Code: linux.SI_SIGIO}
	if a.sig != 0 {
		info.Band, info.Fd = int64(linux.BandMask(band)), a.siFd
	}
	// Last look that a client still holds the file, right before the
	// signal goes (F5): the checks above took a while.
	same, err := s.sameFile(b.self, dup, a.holderPid, a.holderFd)
	if err != nil {
		return sendLater
	}
	if !same {
		if s.onSender() {
			return sendWorker // the worker looks further
		}
		if !w.refresh(b, false) {
			return sendDone
		}
	}
	err = s.signal(t.pidfd, sig, &info, t.tid != 0)
	if err == unix.EAGAIN && sig != int(unix.SIGIO) {
		// The real-time queue is full: plain SIGIO, if that is safe too
		// (where only the worker can tell, it sends both again).
		switch b.safe(s, t, st, int(unix.SIGIO)) {
		case safeAsk:
			return sendWorker
		case safeNo, safeIgnored:
			return sendDone
		}
		info = linux.PollSiginfo{Signo: int32(unix.SIGIO), Code: linux.SI_SIGIO}
		err = s.signal(t.pidfd, int(unix.SIGIO), &info, t.tid != 0)
	}
	if err == nil {
		b.stats.sent.Add(1)
		b.sent(w, band)
	}
	return sendDone
}

// deliverGroup sends a's signal for band to every member of the owning
// process group (this process apart), each judged on its own, as Linux's
// send_sigio walks the group.
func (b *bridge) deliverGroup(w *watch, dup int, a *armedOwner, band int) {
	pgid := int(a.own.Pid)
	buf := statusBufs.Get().(*[statusBufSize]byte)
	defer statusBufs.Put(buf)
	walk(nil, true, func(pid int) bool {
		if pid == b.self || statPgrp(pid) != pgid {
			return false
		}
		t := openTarget(pid, 0)
		if t == nil {
			return false
		}
		defer t.close()
		// The status read through the target's own file is the process
		// the pidfd names (or fails if it has gone): check the group again.
		if st, err := b.worker.readStatusFd(t.statusFd, buf[:]); err == nil && st.pgid == pgid {
			b.deliver(b.worker, w, dup, a, t, band)
		}
		return false
	})
}
