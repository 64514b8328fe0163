package devfs

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasync-go/fasync/kernel"
)

// The bridge repeats a POLL_IN while the data it announced stays unread,
// and a POLL_OUT while the space stays unwritten (SPEC F1). A signal
// through the server reaches the owner about as late as the reply to its
// read, so a reader that reads when a signal has come and clears its flag
// after the read (LDD3's asynctest) sees the signal for the next chunk
// land between the two and sleeps on data it was told of. Linux would
// send nothing more; the export sends the same signal again after
// repeatFirst, doubling up to repeatMax, at most repeatTimes times between
// two reads (writes) of the file, and only while the model file polls
// readable (writable), no client of the file has read (written) since the
// signal, and one had before it: a file nobody reads from is in no such
// race. A repeat is a notification the worker makes for itself, judged
// like any other (owner, permission, disposition, last close).
const (
	repeatFirst = 5 * time.Millisecond
	repeatMax   = 80 * time.Millisecond
	repeatTimes = 10
)

// A repeater is a watch's record of its latest POLL_IN and POLL_OUT
// signals; index 0 is POLL_IN, 1 POLL_OUT.
type repeater struct {
	file *kernel.File     // the model file, polled before a repeat
	reqs [2]atomic.Uint64 // READs and WRITEs of the file's clients

	mu   sync.Mutex // guards band
	band [2]repeatBand
}

type repeatBand struct {
	mark uint64        // reqs when the latest signal went
	n    int           // repeats since reqs was mark
	wait time.Duration // before the next repeat
	due  time.Time     // zero: none
}

// repeats is the bridge's set of watches with a repeat due.
type repeats struct {
	mu sync.Mutex
	ws map[*watch]bool
}

func repeatIndex(band int) (int, bool) {
	switch band {
	case kernel.POLL_IN:
		return 0, true
	case kernel.POLL_OUT:
		return 1, true
	}
	return 0, false
}

// asked counts a READ (band POLL_IN) or a WRITE (POLL_OUT) of a client of
// the file: an atomic add, the only cost on the FUSE path.
func (r *repeater) asked(band int) {
	if i, ok := repeatIndex(band); ok {
		r.reqs[i].Add(1)
	}
}

// sent notes that band's signal went to w's owner, and has the worker
// look at the file again after the wait. It makes no system call; the
// worker is woken only when w had no repeat pending.
func (b *bridge) sent(w *watch, band int) {
	i, ok := repeatIndex(band)
	r := &w.rep
	if !ok || r.file == nil {
		return
	}
	c := r.reqs[i].Load()
	r.mu.Lock()
	s := &r.band[i]
	if c != s.mark || s.wait == 0 {
		*s = repeatBand{mark: c, wait: repeatFirst}
	}
	due := c != 0 && s.n < repeatTimes
	if due {
		s.due = time.Now().Add(s.wait)
	}
	r.mu.Unlock()
	if !due {
		return
	}
	b.rep.mu.Lock()
	added := !b.rep.ws[w]
	if b.rep.ws == nil {
		b.rep.ws = map[*watch]bool{}
	}
	b.rep.ws[w] = true
	b.rep.mu.Unlock()
	if added {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
}

// repeatNext is when the worker's earliest repeat is due; zero if none.
func (b *bridge) repeatNext() time.Time {
	var next time.Time
	b.rep.mu.Lock()
	defer b.rep.mu.Unlock()
	for w := range b.rep.ws {
		w.rep.mu.Lock()
		for _, s := range w.rep.band {
			if !s.due.IsZero() && (next.IsZero() || s.due.Before(next)) {
				next = s.due
			}
		}
		w.rep.mu.Unlock()
	}
	return next
}

// serveRepeats runs on the worker. A due repeat whose file still polls
// ready becomes a notification of the file, which serveKills then sends;
// one whose file has been read (written) since waits again, from
// repeatFirst, for the client to stop.
func (b *bridge) serveRepeats() {
	b.rep.mu.Lock()
	ws := make([]*watch, 0, len(b.rep.ws))
	for w := range b.rep.ws {
		ws = append(ws, w)
	}
	b.rep.mu.Unlock()
	now := time.Now()
	for _, w := range ws {
		w.mu.RLock()
		gone := w.gone
		w.mu.RUnlock()
		r := &w.rep
		var due [2]bool
		r.mu.Lock()
		for i := range r.band {
			s := &r.band[i]
			if gone {
				s.due = time.Time{}
			}
			due[i] = !s.due.IsZero() && !now.Before(s.due)
		}
		r.mu.Unlock()
		if due[0] || due[1] {
			mask := r.file.Poll(nil)
			for i, band := range [2]int{kernel.POLL_IN, kernel.POLL_OUT} {
				if due[i] && r.due(i, mask&[2]int16{kernel.POLLIN, kernel.POLLOUT}[i] != 0, now) {
					w.pending[band].Add(1)
					b.requeue(w)
				}
			}
		}
		b.rep.mu.Lock()
		r.mu.Lock()
		if r.band[0].due.IsZero() && r.band[1].due.IsZero() {
			delete(b.rep.ws, w)
		}
		r.mu.Unlock()
		b.rep.mu.Unlock()
	}
}

// due judges band i's repeat, due now, on a file that polls ready or not,
// and reports whether the signal goes again (sent schedules the next).
func (r *repeater) due(i int, ready bool, now time.Time) bool {
	c := r.reqs[i].Load()
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &r.band[i]
	s.due = time.Time{}
	switch {
	case !ready || s.n >= repeatTimes:
		return false
	case c != s.mark:
		*s = repeatBand{mark: c, wait: repeatFirst, due: now.Add(repeatFirst)}
		return false
	}
	s.n++
	s.wait = min(2*s.wait, repeatMax)
	return true
}
