package kernel

import "sync"

// epollLinks is the list of registrations watching one file (Linux's
// file->f_ep), so that the file's last close can remove them from every
// epoll set (eventpoll_release, SPEC E5).
type epollLinks struct {
	// mu guards head and the items' fprev and fnext. It is a leaf,
	// taken under an eventpoll's mtx.
	mu   sync.Mutex
	head *epitem
}

// link adds epi to the file's registrations.
func (l *epollLinks) link(epi *epitem) {
	l.mu.Lock()
	epi.fprev, epi.fnext = nil, l.head
	if l.head != nil {
		l.head.fprev = epi
	}
	l.head = epi
	l.mu.Unlock()
}

// unlink removes epi, if it is still listed.
func (l *epollLinks) unlink(epi *epitem) {
	l.mu.Lock()
	if epi.fprev != nil {
		epi.fprev.fnext = epi.fnext
	} else if l.head == epi {
		l.head = epi.fnext
	}
	if epi.fnext != nil {
		epi.fnext.fprev = epi.fprev
	}
	epi.fprev, epi.fnext = nil, nil
	l.mu.Unlock()
}

// first returns a registration still listed, or nil.
func (l *epollLinks) first() *epitem {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.head
}

// containers returns the epoll files that hold a registration of this
// file, for the loop check's upward walk.
func (l *epollLinks) containers() []*File {
	l.mu.Lock()
	defer l.mu.Unlock()
	var fs []*File
	for epi := l.head; epi != nil; epi = epi.fnext {
		fs = append(fs, epi.epFile)
	}
	return fs
}

// release removes every registration of the file from its epoll set
// (eventpoll_release_file): the file's last reference is gone. Each
// removal takes that set's mtx, so a scan polling the file finishes
// first; the driver's Release runs only after.
func (l *epollLinks) release() {
	for {
		epi := l.first()
		if epi == nil {
			return
		}
		ep := epi.ep
		ep.mtx.Lock()
		ep.removeLocked(epi)
		l.unlink(epi) // done by removeLocked; again, harmlessly, to ensure progress
		ep.mtx.Unlock()
	}
}
