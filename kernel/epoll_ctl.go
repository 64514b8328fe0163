package kernel

// EpollCreate1 is epoll_create1(2): it makes an epoll instance and
// returns the lowest free descriptor for it, open O_RDWR (SPEC E2).
// flags may hold EPOLL_CLOEXEC (FD_CLOEXEC on the descriptor); any other
// flag is EINVAL. EMFILE when the table is full, ESRCH on a dead task.
// The epoll file is pollable (readable while an event is ready), may be
// watched by another epoll set, and has no read, write or fasync
// (SPEC E6).
func (t *Task) EpollCreate1(flags int) (epfd int, err error) {
	if sc := t.sysEnter(sysEpollCreate1, -1, flags, 0); sc != nil {
		defer sc.exit(&epfd, &err)
	}
	if flags&^EPOLL_CLOEXEC != 0 {
		return -1, EINVAL
	}
	fds, err := t.InstallFiles("[eventpoll]", newEventpoll(), O_RDWR|flags&O_CLOEXEC)
	if err != nil {
		return -1, err
	}
	return fds[0], nil
}

// EpollCreate is epoll_create(2): EpollCreate1(0), after checking that
// size, which is otherwise ignored, is positive (EINVAL).
func (t *Task) EpollCreate(size int) (int, error) {
	if size <= 0 {
		return -1, EINVAL
	}
	return t.EpollCreate1(0)
}

// EpollCtl is epoll_ctl(2) (SPEC E2, E4): op EPOLL_CTL_ADD registers
// descriptor fd's open file with the events and data of ev in the epoll
// set epfd, EPOLL_CTL_MOD changes them, EPOLL_CTL_DEL removes the
// registration (ev is then ignored and may be nil). EPOLLERR and EPOLLHUP
// are always watched. A registration is keyed by the open file and fd
// together, belongs to the open file, and ends when the file's last
// descriptor is closed (SPEC E5).
//
// Errors, checked in Linux's order: EFAULT for a nil ev with ADD or MOD;
// EBADF when epfd or fd is not open; EPERM when fd's file has no poll
// method; EINVAL when epfd is not an epoll, fd is epfd's own file,
// EPOLLEXCLUSIVE comes with MOD, with an epoll target or with flags
// other than EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLWAKEUP and
// EPOLLET; ELOOP when adding an epoll would close a cycle or nest sets
// deeper than Linux's EP_MAX_NESTS (4); then EEXIST (ADD of a
// registered key), ENOENT (MOD or DEL of an unregistered one), EINVAL
// (MOD of an EPOLLEXCLUSIVE registration, or an unknown op).
func (t *Task) EpollCtl(epfd, op, fd int, ev *EpollEvent) (err error) {
	defer t.safePoint()
	if sc := t.sysEnter(sysEpollCtl, epfd, op, fd); sc != nil {
		defer sc.exit(nil, &err)
	}
	var epds EpollEvent
	if op != EPOLL_CTL_DEL {
		if ev == nil {
			return EFAULT
		}
		epds = *ev
	}
	e, err := t.getEntry(epfd)
	if err != nil {
		return err
	}
	defer e.file.put()
	te, err := t.getEntry(fd)
	if err != nil {
		return err
	}
	defer te.file.put()
	f, tf := e.file, te.file
	ep, err := t.epollCtlCheck(op, f, tf, &epds)
	if err != nil {
		return err
	}
	if tep, ok := tf.drv.(*eventpoll); ok && op == EPOLL_CTL_ADD {
		// Adding a set to a set: the topology may change, so the
		// loop check runs under the kernel's epnested lock, before
		// ep.mtx, as ep_ctl_lock does.
		t.k.epnested.Lock()
		defer t.k.epnested.Unlock()
		if loopCheck(t.k, ep, f, tep) {
			return ELOOP
		}
	}
	ep.mtx.Lock()
	defer ep.mtx.Unlock()
	return ep.ctlLocked(t, op, f, tf, fd, epds)
}

// epollCtlCheck is do_epoll_ctl_file's checks before the locks: EPERM
// for a target without poll, EINVAL for a set that is no epoll, a set
// added to itself and EPOLLEXCLUSIVE where it is not allowed. It drops
// EPOLLWAKEUP for a task that is not root (no CAP_BLOCK_SUSPEND) and
// returns the set.
func (t *Task) epollCtlCheck(op int, f, tf *File, epds *EpollEvent) (*eventpoll, error) {
	if tf.poller == nil {
		return nil, EPERM
	}
	if op != EPOLL_CTL_DEL && epds.Events&EPOLLWAKEUP != 0 && t.cred.EUID != 0 {
		epds.Events &^= EPOLLWAKEUP
	}
	ep, isEpoll := f.drv.(*eventpoll)
	if f == tf || !isEpoll {
		return nil, EINVAL
	}
	if op != EPOLL_CTL_DEL && epds.Events&EPOLLEXCLUSIVE != 0 {
		_, targetIsEpoll := tf.drv.(*eventpoll)
		if op == EPOLL_CTL_MOD || op == EPOLL_CTL_ADD && (targetIsEpoll || epds.Events&^epExclusiveOK != 0) {
			return nil, EINVAL
		}
	}
	return ep, nil
}

// ctlLocked carries out op on ep for tf through descriptor fd, once the
// checks have passed. ep.mtx is held.
func (ep *eventpoll) ctlLocked(t *Task, op int, f, tf *File, fd int, epds EpollEvent) error {
	epi := ep.items[epKey{tf, fd}]
	switch op {
	case EPOLL_CTL_ADD:
		if epi != nil {
			return EEXIST
		}
		epds.Events |= EPOLLERR | EPOLLHUP
		ep.insertLocked(t, f, tf, fd, epds)
		return nil
	case EPOLL_CTL_DEL:
		if epi == nil {
			return ENOENT
		}
		ep.removeLocked(epi)
		return nil
	case EPOLL_CTL_MOD:
		if epi == nil {
			return ENOENT
		}
		if epi.events&EPOLLEXCLUSIVE != 0 {
			return EINVAL
		}
		epds.Events |= EPOLLERR | EPOLLHUP
		ep.modifyLocked(t, epi, epds)
		return nil
	}
	return EINVAL
}

// insertLocked registers tf (through descriptor fd) in ep (ep_insert):
// the item's poll table goes on every queue tf's Poll registers, and an
// item already ready goes on the ready list. From then on tf's wake-ups
// reach the item. The table names t, the caller, as the poller, as Linux's
// registration happens in the caller's context. ep.mtx is held.
func (ep *eventpoll) insertLocked(t *Task, epFile, tf *File, fd int, ev EpollEvent) {
	epi := &epitem{ep: ep, epFile: epFile, file: tf, fd: fd, events: ev.Events, data: ev.Data}
	epi.pt = newPollTableFunc(epi.wake, ev.Events&EPOLLEXCLUSIVE != 0)
	epi.pt.task = t
	ep.items[epKey{tf, fd}] = epi
	tf.epolls.link(epi)
	if epi.poll(epi.pt) != 0 {
		ep.queueReady(epi)
	}
}

// modifyLocked sets epi's events and data (ep_modify) and queues it if
// its file is ready for the new events. ep.mtx is held.
func (ep *eventpoll) modifyLocked(t *Task, epi *epitem, ev EpollEvent) {
	ep.lock.Lock()
	epi.events = ev.Events
	ep.lock.Unlock()
	epi.data = ev.Data
	if epi.poll(taskTable(t)) != 0 {
		ep.queueReady(epi)
	}
}

// queueReady puts epi on the ready list unless it is there, and wakes a
// waiter and the epoll file's pollers.
func (ep *eventpoll) queueReady(epi *epitem) {
	ep.lock.Lock()
	queued := !epi.linked
	if queued {
		ep.rdllist.pushBack(epi)
		ep.wakeOneLocked()
	}
	ep.lock.Unlock()
	if queued {
		ep.pollWait.WakeUp()
	}
}

// loopCheck reports whether adding epoll set to (file tf) to set ep
// (file epFile) would close a cycle or nest sets more than epMaxNests
// deep (ep_loop_check): the depth below to, plus one, plus the depth of
// the sets above ep. k.epnested is held.
func loopCheck(k *Kernel, ep *eventpoll, epFile *File, to *eventpoll) bool {
	k.epgen++
	gen := k.epgen
	depth := loopCheckDown(gen, ep, to, 0)
	if depth > epMaxNests {
		return true
	}
	up := loopCheckUp(epFile, map[*File]int{})
	return depth+1+up > epMaxNests
}

// loopCheckDown returns the depth of the sets below ep (0 when it holds
// no epoll), or more than epMaxNests when inserting is reachable or the
// nesting is too deep (ep_loop_check_proc).
func loopCheckDown(gen uint64, inserting, ep *eventpoll, depth int) int {
	if ep.gen == gen {
		return ep.loopDepth
	}
	ep.mtx.Lock()
	ep.gen = gen
	result := 0
	for _, epi := range ep.items {
		child, ok := epi.file.drv.(*eventpoll)
		if !ok {
			continue
		}
		if child == inserting || depth > epMaxNests {
			result = epMaxNests + 1
		} else {
			result = max(result, loopCheckDown(gen, inserting, child, depth+1)+1)
		}
		if result > epMaxNests {
			break
		}
	}
	ep.loopDepth = result
	ep.mtx.Unlock()
	return result
}

// loopCheckUp returns how many sets are above the epoll file f, at most
// (ep_get_upwards_depth_proc).
func loopCheckUp(f *File, memo map[*File]int) int {
	if d, ok := memo[f]; ok {
		return d
	}
	memo[f] = 0
	result := 0
	for _, parent := range f.epolls.containers() {
		result = max(result, loopCheckUp(parent, memo)+1)
	}
	memo[f] = result
	return result
}
