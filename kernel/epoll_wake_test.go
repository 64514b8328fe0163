package kernel

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestEpollWakeUp checks SPEC E3: a blocked EpollWait is woken by the
// driver's wake-up, and a registration's wake costs no allocation.
func TestEpollWakeUp(t *testing.T) {
	x := newEpollFixture(t, 2)
	x.add(t, 0, EPOLLIN)
	x.add(t, 1, EPOLLIN|EPOLLET)
	evs := make([]EpollEvent, 4)
	ch := goEpollWait(context.Background(), x.task, x.ep, evs, -1)
	waitBlocked(t, x.task, 1)
	x.write(t, 1, "z")
	if r := await(t, ch); r.n != 1 || r.err != nil || evs[0].Data != 1 {
		t.Fatalf("E3: woke with %v %v, want the write's file", r, evs[:1])
	}
	x.read(t, 1, 1)
	t.Run("E3/no-allocation", func(t *testing.T) {
		ep := x.epoll(t)
		ep.mtx.Lock()
		epi := ep.items[epKey{x.file(t, 0), x.rfds[0]}]
		ep.mtx.Unlock()
		if a := testing.AllocsPerRun(100, func() { epi.wake(0) }); a != 0 {
			t.Errorf("ep_poll_callback allocated %v times", a)
		}
		if a := testing.AllocsPerRun(100, func() { x.devs[0].readQ.WakeUp() }); a != 0 {
			t.Errorf("WakeUp of a watched queue allocated %v times", a)
		}
	})
}

// epoll returns the fixture's eventpoll.
func (x *epollFixture) epoll(tb testing.TB) *eventpoll {
	f, err := x.task.File(x.ep)
	if err != nil {
		tb.Fatal(err)
	}
	return f.drv.(*eventpoll)
}

// file returns the i-th read end's file.
func (x *epollFixture) file(tb testing.TB, i int) *File {
	f, err := x.task.File(x.rfds[i])
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// TestEpollWakeCostFlat checks SPEC E3: with many files watched, a wake-up
// of one puts exactly that one on the ready list, and only its queue holds
// a poll table of the set: nothing scans the others.
func TestEpollWakeCostFlat(t *testing.T) {
	x := newEpollFixture(t, 300)
	for i := range x.rfds {
		x.add(t, i, EPOLLIN)
	}
	ep := x.epoll(t)
	x.write(t, 123, "a")
	ep.lock.Lock()
	var ready []uint64
	for epi := ep.rdllist.head; epi != nil; epi = epi.next {
		ready = append(ready, epi.data)
	}
	ep.lock.Unlock()
	if len(ready) != 1 || ready[0] != 123 {
		t.Fatalf("E3: ready list after one write = %v, want [123]", ready)
	}
	q := &x.devs[123].readQ
	q.mu.Lock()
	n := len(q.polls)
	q.mu.Unlock()
	if n != 1 {
		t.Errorf("E3: the written file's queue holds %d poll tables, want 1", n)
	}
}

// TestEpollWaitTimeoutAndSignals checks SPEC E2: the timeout, EINTR on a
// handled signal (never restarted, even with SA_RESTART), and the
// caller's ctx.
func TestEpollWaitTimeoutAndSignals(t *testing.T) {
	x := newEpollFixture(t, 1)
	x.add(t, 0, EPOLLIN)
	evs := make([]EpollEvent, 1)
	start := time.Now()
	if n, err := x.task.EpollWait(context.Background(), x.ep, evs, 20*time.Millisecond); n != 0 || err != nil {
		t.Fatalf("timeout: %d, %v", n, err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("returned after %v, before the timeout", d)
	}
	for _, flags := range []int{0, SA_RESTART} {
		var log sigLog
		log.handle(t, x.task, SIGUSR1, flags)
		ch := goEpollWait(context.Background(), x.task, x.ep, evs, -1)
		waitBlocked(t, x.task, 1)
		if err := x.k.Kill(x.task.Pid(), SIGUSR1); err != nil {
			t.Fatal(err)
		}
		if r := await(t, ch); r.err != EINTR {
			t.Errorf("E2: signal with flags %#x: %v, want EINTR", flags, r)
		}
		if got := log.signos(); len(got) != 1 {
			t.Errorf("handler ran for %v", got)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := goEpollWait(ctx, x.task, x.ep, evs, -1)
	waitBlocked(t, x.task, 1)
	cancel()
	if r := await(t, ch); !errors.Is(r.err, context.Canceled) {
		t.Errorf("ctx cancelled: %v", r)
	}
}

// TestEpollClose checks SPEC E5: registrations belong to the open file;
// a dup keeps it registered, the last close removes it from every set.
func TestEpollClose(t *testing.T) {
	x := newEpollFixture(t, 1)
	ep2, _ := x.task.EpollCreate1(0)
	x.add(t, 0, EPOLLIN)
	if err := x.task.EpollCtl(ep2, EPOLL_CTL_ADD, x.rfds[0], &EpollEvent{Events: EPOLLIN, Data: 9}); err != nil {
		t.Fatal(err)
	}
	dup, _ := x.task.Dup(x.rfds[0])
	x.task.Close(x.rfds[0])
	x.write(t, 0, "a")
	if evs := x.wait(t, 4); len(evs) != 1 || evs[0].Data != 0 {
		t.Fatalf("E5: after closing one of two descriptors: %v", evs)
	}
	// The key is (file, fd): the dup is another key.
	if err := x.task.EpollCtl(x.ep, EPOLL_CTL_DEL, dup, nil); err != ENOENT {
		t.Errorf("E5: DEL through the dup = %v, want ENOENT", err)
	}
	if err := x.task.EpollCtl(x.ep, EPOLL_CTL_ADD, dup, &EpollEvent{Events: EPOLLIN, Data: 5}); err != nil {
		t.Errorf("E5: ADD through the dup = %v", err)
	}
	f, _ := x.task.File(dup)
	x.task.Close(dup)
	if epi := f.epolls.first(); epi != nil {
		t.Errorf("E5: a closed file is still registered in a set")
	}
	if evs := x.wait(t, 4); len(evs) != 0 {
		t.Errorf("E5: a closed file reported: %v", evs)
	}
	if n := len(x.epoll(t).items); n != 0 {
		t.Errorf("E5: %d registrations left", n)
	}
}

// TestEpollExclusive checks SPEC E4: a wake-up of a file watched with
// EPOLLEXCLUSIVE by two sets with a waiter each wakes one of them.
func TestEpollExclusive(t *testing.T) {
	x := newEpollFixture(t, 1)
	ep2, _ := x.task.EpollCreate1(0)
	for _, ep := range []int{x.ep, ep2} {
		if err := x.task.EpollCtl(ep, EPOLL_CTL_ADD, x.rfds[0], &EpollEvent{Events: EPOLLIN | EPOLLEXCLUSIVE}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c1 := goEpollWait(ctx, x.task, x.ep, make([]EpollEvent, 1), -1)
	c2 := goEpollWait(ctx, x.task, ep2, make([]EpollEvent, 1), -1)
	waitBlocked(t, x.task, 2)
	x.write(t, 0, "a")
	var first result
	select {
	case first = <-c1:
	case first = <-c2:
	case <-time.After(waitTimeout):
		t.Fatal("no waiter woke")
	}
	if first.n != 1 {
		t.Fatalf("woken waiter got %v", first)
	}
	// The other one is still asleep: only its ctx ends it.
	cancel()
	var second result
	select {
	case second = <-c1:
	case second = <-c2:
	case <-time.After(waitTimeout):
		t.Fatal("second waiter never returned")
	}
	if !errors.Is(second.err, context.Canceled) {
		t.Errorf("E4: EPOLLEXCLUSIVE woke both waiters: second got %v", second)
	}
}

// TestEpollNested checks SPEC E6 and E2: an epoll set is pollable, may be
// watched by another set and by Poll, cycles are ELOOP and depth is
// bounded by EP_MAX_NESTS.
func TestEpollNested(t *testing.T) {
	x := newEpollFixture(t, 1)
	x.add(t, 0, EPOLLIN)
	outer, _ := x.task.EpollCreate1(0)
	if err := x.task.EpollCtl(outer, EPOLL_CTL_ADD, x.ep, &EpollEvent{Events: EPOLLIN, Data: 42}); err != nil {
		t.Fatal(err)
	}
	if err := x.task.EpollCtl(x.ep, EPOLL_CTL_ADD, outer, &EpollEvent{Events: EPOLLIN}); err != ELOOP {
		t.Errorf("E2: cycle = %v, want ELOOP", err)
	}
	evs := make([]EpollEvent, 2)
	ch := goEpollWait(context.Background(), x.task, outer, evs, -1)
	waitBlocked(t, x.task, 1)
	x.write(t, 0, "a")
	if r := await(t, ch); r.n != 1 || evs[0] != (EpollEvent{EPOLLIN, 42}) {
		t.Fatalf("E6: outer set got %v %v", r, evs[:1])
	}
	fds := []PollFd{{Fd: x.ep, Events: POLLIN}}
	if n, err := x.task.Poll(context.Background(), fds, 0); n != 1 || err != nil || fds[0].Revents != POLLIN {
		t.Errorf("E6: Poll of a ready epoll = %d, %v, %#x", n, err, fds[0].Revents)
	}
	x.read(t, 0, 1)
	if n, _ := x.task.Poll(context.Background(), fds, 0); n != 0 {
		t.Errorf("E6: Poll of an epoll with nothing ready = %d", n)
	}
	t.Run("E2/depth", func(t *testing.T) {
		// A chain e0 <- e1 <- ... : Linux allows 5 sets (EP_MAX_NESTS 4
		// levels of nesting) and refuses the sixth.
		prev, _ := x.task.EpollCreate1(0)
		for i := 1; ; i++ {
			next, _ := x.task.EpollCreate1(0)
			err := x.task.EpollCtl(next, EPOLL_CTL_ADD, prev, &EpollEvent{Events: EPOLLIN})
			if i <= epMaxNests && err != nil {
				t.Fatalf("chain of %d sets: %v", i+1, err)
			}
			if i > epMaxNests {
				if err != ELOOP {
					t.Errorf("chain of %d sets: %v, want ELOOP", i+1, err)
				}
				break
			}
			prev = next
		}
	})
}

// TestEpollPwait checks SPEC E2: epoll_pwait's mask is in force only
// during the wait: a signal it unblocks interrupts the wait (EINTR, the
// handler ran), and the thread's own mask is back afterwards.
func TestEpollPwait(t *testing.T) {
	x := newEpollFixture(t, 1)
	x.add(t, 0, EPOLLIN)
	var log sigLog
	log.handle(t, x.task, SIGUSR1, 0)
	blocked := SigsetOf(SIGUSR1)
	if _, err := x.task.Sigprocmask(SIG_BLOCK, &blocked); err != nil {
		t.Fatal(err)
	}
	x.k.Kill(x.task.Pid(), SIGUSR1) // pending, blocked
	evs := make([]EpollEvent, 1)
	// EpollWait keeps the mask: the blocked signal does not interrupt.
	if n, err := x.task.EpollWait(context.Background(), x.ep, evs, time.Millisecond); n != 0 || err != nil {
		t.Fatalf("EpollWait with SIGUSR1 blocked and pending = %d, %v", n, err)
	}
	empty := Sigset(0)
	if _, err := x.task.EpollPwait(context.Background(), x.ep, evs, -1, &empty); err != EINTR {
		t.Fatalf("E2: EpollPwait unblocking a pending signal = %v, want EINTR", err)
	}
	if got := log.signos(); len(got) != 1 || got[0] != SIGUSR1 {
		t.Errorf("handler ran for %v", got)
	}
	if old, _ := x.task.Sigprocmask(SIG_BLOCK, nil); !old.Has(SIGUSR1) {
		t.Errorf("E2: mask after EpollPwait = %#x, want SIGUSR1 blocked again", old)
	}
	x.write(t, 0, "a")
	if n, err := x.task.EpollPwait(context.Background(), x.ep, evs, -1, &empty); n != 1 || err != nil {
		t.Errorf("E2: EpollPwait with an event = %d, %v", n, err)
	}
	if n, err := x.task.EpollPwait(context.Background(), x.ep, evs, 0, nil); n != 1 || err != nil {
		t.Errorf("E2: EpollPwait with a nil mask = %d, %v", n, err)
	}
}

// TestEpollSignalfd checks SPEC E3 and E6 with S9: a signalfd watched by
// epoll and by select reports a pending signal of its mask, and a blocked
// EpollWait is woken when the signal arrives.
func TestEpollSignalfd(t *testing.T) {
	x := newEpollFixture(t, 0)
	set := SigsetOf(SIGUSR1)
	if _, err := x.task.Sigprocmask(SIG_BLOCK, &set); err != nil {
		t.Fatal(err)
	}
	sfd, err := x.task.Signalfd(-1, set, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.task.EpollCtl(x.ep, EPOLL_CTL_ADD, sfd, &EpollEvent{Events: EPOLLIN, Data: 99}); err != nil {
		t.Fatal(err)
	}
	if evs := x.wait(t, 4); len(evs) != 0 {
		t.Fatalf("nothing pending, got %v", evs)
	}
	evs := make([]EpollEvent, 4)
	ch := goEpollWait(context.Background(), x.task, x.ep, evs, -1)
	waitBlocked(t, x.task, 1)
	x.k.Kill(x.task.Pid(), SIGUSR1)
	if r := await(t, ch); r.n != 1 || r.err != nil || evs[0] != (EpollEvent{EPOLLIN, 99}) {
		t.Fatalf("E3: signalfd under epoll woke with %v %v", r, evs[:1])
	}
	rd := fdSetOf(sfd)
	zero := time.Duration(0)
	if n, err := x.task.Select(context.Background(), sfd+1, rd, nil, nil, &zero); n != 1 || err != nil {
		t.Errorf("E1: select on a signalfd with a pending signal = %d, %v", n, err)
	}
	if _, err := x.task.Read(context.Background(), sfd, make([]byte, SignalfdSiginfoSize)); err != nil {
		t.Fatal(err)
	}
	if got := x.wait(t, 4); len(got) != 0 {
		t.Errorf("E4: the signal was read, still reported %v", got)
	}
}

// rdhupDev reports data and a peer that shut down its writing half.
type rdhupDev struct{}

func (rdhupDev) Poll(f *File, pt *PollTable) int16 { return POLLIN | POLLRDNORM | POLLRDHUP }

// TestEpollRdhup checks SPEC E4: EPOLLRDHUP is reported where the driver
// reports POLLRDHUP, to a registration that asked for it.
func TestEpollRdhup(t *testing.T) {
	k := newKernel(t, Config{})
	k.Register("sock", rdhupDev{})
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "sock", O_RDWR)
	fd2 := mustOpen(t, task, "sock", O_RDWR)
	ep, _ := task.EpollCreate1(0)
	task.EpollCtl(ep, EPOLL_CTL_ADD, fd, &EpollEvent{Events: EPOLLIN | EPOLLRDHUP, Data: 1})
	task.EpollCtl(ep, EPOLL_CTL_ADD, fd2, &EpollEvent{Events: EPOLLIN, Data: 2})
	evs := make([]EpollEvent, 4)
	n, err := task.EpollWait(context.Background(), ep, evs, 0)
	if n != 2 || err != nil {
		t.Fatalf("EpollWait = %d, %v", n, err)
	}
	want := map[uint64]uint32{1: EPOLLIN | EPOLLRDHUP, 2: EPOLLIN}
	for _, ev := range evs[:n] {
		if ev.Events != want[ev.Data] {
			t.Errorf("E4: data %d got %#x, want %#x", ev.Data, ev.Events, want[ev.Data])
		}
	}
}

// TestEpollWaitEnds checks SPEC E2: a blocked EpollWait returns EBADF
// when its epoll descriptor is closed (the model's rule, doc.go) and when
// the kernel closes.
func TestEpollWaitEnds(t *testing.T) {
	x := newEpollFixture(t, 1)
	x.add(t, 0, EPOLLIN)
	dup, _ := x.task.Dup(x.ep)
	ch := goEpollWait(context.Background(), x.task, x.ep, make([]EpollEvent, 1), -1)
	waitBlocked(t, x.task, 1)
	x.task.Close(x.ep)
	if r := await(t, ch); r.err != EBADF {
		t.Errorf("epfd closed under EpollWait: %v, want EBADF", r)
	}
	ch = goEpollWait(context.Background(), x.task, dup, make([]EpollEvent, 1), -1)
	waitBlocked(t, x.task, 1)
	x.k.Close()
	if r := await(t, ch); r.err != EBADF {
		t.Errorf("kernel closed under EpollWait: %v, want EBADF", r)
	}
}
