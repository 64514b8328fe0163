package kernel

import (
	"sync"
	"sync/atomic"
)

// A FasyncList is a driver's list of files that asked for asynchronous
// notification (Linux's fasync_struct list): Helper adds and removes
// files, Kill notifies their owners. The zero value is an empty list ready
// to use; a FasyncList must not be copied after use.
//
// The list is a copy-on-write snapshot (SPEC A5): writers build a new
// slice under mu and publish it with one atomic store; Kill loads the
// current snapshot and walks it without taking mu, so kill never waits for
// add or remove, and an empty list costs Kill one atomic load.
type FasyncList struct {
	// mu serialises writers (Helper). Kill never takes it. Lock order:
	// mu before fasyncEntry.mu before File.mu.
	mu sync.Mutex
	// snap is the current entries, newest first; nil when the list is
	// empty. A published slice is never modified.
	snap atomic.Pointer[[]*fasyncEntry]
}

// A fasyncEntry is one file on a list, keyed by the open file, not the
// descriptor (SPEC A3).
type fasyncEntry struct {
	// mu is Linux's fa_lock: Kill holds it for reading while it notifies
	// through the entry; Helper holds it to change fd or to retire the
	// entry. So once Helper(off) returns, no Kill is still notifying
	// through the entry or will start to (A5).
	mu   sync.RWMutex
	fd   int   // descriptor reported in SigInfo.Fd; guarded by mu
	file *File // nil once removed; written under FasyncList.mu and mu
}

// Helper is fasync_helper, called from a driver's Fasync method. With
// on=false it removes f's entry if present and reports 1, else 0 with
// nothing changed (A1). With on=true a file not yet listed gets a new
// entry at the head of the list — the last to subscribe is notified
// first — and 1; a listed file only has its stored fd updated, and 0
// (A2). It keeps FASYNC on f in step with membership (A4). EINVAL for a
// nil f.
func (l *FasyncList) Helper(fd int, f *File, on bool) (int, error) {
	if f == nil {
		return 0, EINVAL
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var n int
	if on {
		n = l.add(fd, f)
	} else {
		n = l.remove(f)
	}
	traceFasyncHelper(f, fd, on, helperResult(on, n), l.Len())
	return n, nil
}

// helperResult names what Helper did, for its tracepoint.
func helperResult(on bool, n int) string {
	switch {
	case on && n == 1:
		return "added"
	case on:
		return "updated"
	case n == 1:
		return "removed"
	}
	return "absent"
}

// entries returns the current snapshot (nil when empty).
func (l *FasyncList) entries() []*fasyncEntry {
	if p := l.snap.Load(); p != nil {
		return *p
	}
	return nil
}

// add is fasync_add_entry. l.mu must be held.
func (l *FasyncList) add(fd int, f *File) int {
	old := l.entries()
	for _, e := range old {
		if e.file == f {
			e.mu.Lock()
			e.fd = fd
			e.mu.Unlock()
			f.setFasync(true)
			return 0
		}
	}
	entries := make([]*fasyncEntry, 0, len(old)+1)
	entries = append(entries, &fasyncEntry{fd: fd, file: f})
	entries = append(entries, old...)
	l.snap.Store(&entries)
	f.setFasync(true)
	return 1
}

// remove is fasync_remove_entry. l.mu must be held.
func (l *FasyncList) remove(f *File) int {
	old := l.entries()
	for i, e := range old {
		if e.file != f {
			continue
		}
		// Retire the entry first: waits out a Kill notifying through it
		// and stops later ones that still hold the old snapshot.
		e.mu.Lock()
		e.file = nil
		e.mu.Unlock()
		if len(old) == 1 {
			l.snap.Store(nil)
		} else {
			entries := make([]*fasyncEntry, 0, len(old)-1)
			entries = append(entries, old[:i]...)
			entries = append(entries, old[i+1:]...)
			l.snap.Store(&entries)
		}
		f.setFasync(false)
		return 1
	}
	return 0
}

// Len returns the number of files on the list.
func (l *FasyncList) Len() int { return len(l.entries()) }

// Kill is kill_fasync: every listed file's owner is told that the device
// is ready with band (POLL_IN, POLL_OUT, ...), per A6–A10: the file's
// F_SETSIG signal with its stored fd and the band's poll mask (A8)
// (si_code SI_SIGIO instead of the band for a signal with codes of its
// own, such as SIGCHLD), or plain SIGIO when F_SETSIG is 0 or the
// real-time queue is full. As in Linux, sig only matters when it is
// SIGURG: then files without F_SETSIG are skipped (SIGURG reaches them
// another way). Owners are signalled, never run: handlers run later on the
// owners' own goroutines, so a driver may call Kill with its lock held.
//
// Usually the list is empty, and then Kill is one atomic load, no lock
// and no allocation, small enough to be inlined into the driver's write
// path (A5). The arguments are therefore checked only when there is
// someone to notify, as in Linux: a band outside POLL_IN..POLL_HUP or a
// signal outside 1..64 is EINVAL on a non-empty list and goes unreported
// on an empty one.
func (l *FasyncList) Kill(sig, band int) error {
	if l.snap.Load() != nil {
		return l.kill(sig, band)
	}
	return nil
}

// kill is Kill's slow path: it checks the arguments and notifies every
// entry of the current snapshot.
func (l *FasyncList) kill(sig, band int) error {
	mask := bandMask(band)
	if mask == 0 || sig < 1 || sig >= NSIG {
		return EINVAL
	}
	p := l.snap.Load()
	if p == nil {
		return nil
	}
	traceKillFasync(*p, sig, band)
	for _, e := range *p {
		e.notify(sig, band, mask)
	}
	return nil
}

// notify sends one entry's notification unless it has been removed.
func (e *fasyncEntry) notify(sig, band int, mask int16) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.file != nil {
		e.file.notifyHook(band)
		e.file.sendSigio(e.fd, sig, band, mask)
	}
}

// bandMask maps a band (si_code) to the poll mask reported in SigInfo.Band
// (SPEC A8); 0 for an unknown band.
func bandMask(band int) int16 {
	switch band {
	case POLL_IN:
		return POLLIN | POLLRDNORM // 0x041, Linux's band_table (SPEC A8's value)
	case POLL_OUT:
		return POLLOUT | POLLWRNORM | POLLWRBAND
	case POLL_MSG:
		return POLLIN | POLLRDNORM | POLLMSG
	case POLL_ERR:
		return POLLERR
	case POLL_PRI:
		return POLLPRI | POLLRDBAND
	case POLL_HUP:
		return POLLHUP | POLLERR
	}
	return 0
}
