package kernel

import (
	"context"
	"strings"
	"sync"
	"testing"
)

// TestTraceWakeFamily: a write wakes the wait queue a poll registered
// on, and the poll table fires (wake_up, poll_wake; X1, M3).
func TestTraceWakeFamily(t *testing.T) {
	k, tr := traced(t)
	newPipe(t, k, "dev")
	p := k.NewTask("poller", Cred{})
	w := k.NewTask("writer", Cred{})
	rfd := mustOpen(t, p, "dev", O_RDONLY)
	wfd := mustOpen(t, w, "dev", O_WRONLY)
	res := make(chan error, 1)
	go func() {
		_, err := p.Poll(context.Background(), []PollFd{{Fd: rfd, Events: POLLIN}}, -1)
		res <- err
	}()
	waitFor(t, func() bool { return inFlight(p) == 1 })
	mark := tr.Written()
	if _, err := w.Write(context.Background(), wfd, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	// The poller's own events interleave: compare the writer's.
	var got []string
	for _, ev := range tr.Events() {
		if ev.Seq > mark && ev.Task.Comm == "writer" {
			got = append(got, evLine(&ev))
		}
	}
	want := []string{
		"writer-2 sys_enter: fd=0 file=dev call=write count=1",
		"writer-2 wake_up: fd=0 file=dev wq=1 key=0 sleepers=0 poll_tables=1",
		"writer-2 poll_wake: pid=1 tid=1",
		"writer-2 sys_exit: fd=0 file=dev call=write ret=1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("writer's events:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// TestTraceKiocbFamily: a queued kiocb's submission and its completion
// by another task's write (kiocb_submit, kiocb_complete; X1, C13).
func TestTraceKiocbFamily(t *testing.T) {
	s := newAioSetup(t)
	tr := NewTracer(0)
	s.k.Trace(tr)
	defer s.k.Trace(nil)
	iocb, c := s.queueRead(t, 16)
	s.write(t, "hello")
	<-c.ch
	_ = iocb
	expectEvents(t, tr, 0, []string{
		"submitter-1 kiocb_submit: fd=0 file=aio kiocb=1 op=read count=16 pos=0",
		"writer-2 sys_enter: fd=0 file=aio call=write count=5",
		"writer-2 kiocb_complete: file=aio kiocb=1 comm=submitter pid=1 tid=1 ret=5",
		"writer-2 sys_exit: fd=0 file=aio call=write ret=5",
	})
}

// TestTraceThreads: events name the thread (tid) within its process
// (pid), and clone's sys_exit returns the new thread's id (X1, T1).
func TestTraceThreads(t *testing.T) {
	k, tr := traced(t)
	main := k.NewTask("server", Cred{})
	mark := tr.Written()
	th, err := main.NewThread("worker")
	if err != nil {
		t.Fatal(err)
	}
	if err := th.Tgkill(main.Pid(), main.Tid(), 0); err != nil {
		t.Fatal(err)
	}
	expectEvents(t, tr, mark, []string{
		"server-1 sys_enter: call=clone",
		"server-1 sys_exit: call=clone ret=2",
		"worker-2 sys_enter: call=tgkill tid=1 sig=0",
		"worker-2 sys_exit: call=tgkill ret=0",
	})
	evs := tr.Events()
	last := evs[len(evs)-1]
	if last.Task.Pid != 1 || last.Task.Tid != 2 {
		t.Errorf("tgkill's event: pid %d tid %d, want pid 1 tid 2", last.Task.Pid, last.Task.Tid)
	}
}

// TestTraceRing: a full ring keeps the newest events and counts the
// overwritten ones as dropped; recording from many goroutines loses and
// duplicates nothing (X1).
func TestTraceRing(t *testing.T) {
	k, _ := traced(t)
	tr := NewTracer(64)
	k.Trace(tr)
	newPipe(t, k, "dev")
	const goroutines, calls = 8, 100
	var wg sync.WaitGroup
	for g := range goroutines {
		task := k.NewTask("t", Cred{})
		fd := mustOpen(t, task, "dev", O_RDONLY|O_NONBLOCK)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range calls {
				_, _ = task.Fcntl(fd, F_GETFL, g)
			}
		}()
	}
	wg.Wait()
	evs := tr.Events()
	if len(evs) != 64 {
		t.Fatalf("ring holds %d events, want 64", len(evs))
	}
	total := tr.Written()
	if want := uint64(goroutines*calls*2 + goroutines*2); total != want {
		t.Errorf("written %d, want %d (sys_enter and sys_exit per call)", total, want)
	}
	if tr.Dropped() != total-64 {
		t.Errorf("dropped %d, want %d", tr.Dropped(), total-64)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Seq != evs[i-1].Seq+1 || evs[i].Time < evs[i-1].Time {
			t.Fatalf("events %d and %d out of order: seq %d, %d; time %v, %v", i-1, i, evs[i-1].Seq, evs[i].Seq, evs[i-1].Time, evs[i].Time)
		}
	}
	if evs[len(evs)-1].Seq != total {
		t.Errorf("newest event has seq %d, want %d", evs[len(evs)-1].Seq, total)
	}
	tr.Reset()
	if tr.Written() != 0 || len(tr.Events()) != 0 || tr.Dropped() != 0 {
		t.Error("Reset left events behind")
	}
}

// TestTraceOff: a kernel without a tracer records nothing and its
// tracepoints allocate nothing, even while another kernel is traced
// (X1).
func TestTraceOff(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "dev")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "dev", O_RDWR|O_NONBLOCK)
	armAsync(t, task, fd, task.Pid(), 0)
	if _, err := task.Sigaction(SIGIO, Sigaction{Ignore: true}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1)
	step := func() {
		_, _ = task.Write(context.Background(), fd, buf)
		_, _ = task.Read(context.Background(), fd, buf)
	}
	step()
	if a := testing.AllocsPerRun(100, step); a != 0 {
		t.Errorf("write+read with tracing off: %v allocations, want 0", a)
	}
	other, _ := traced(t)
	_ = other
	if a := testing.AllocsPerRun(100, step); a != 0 {
		t.Errorf("write+read untraced while another kernel is traced: %v allocations, want 0", a)
	}
	if k.Tracer() != nil {
		t.Error("a new kernel has a tracer")
	}
}

// TestTraceEpollFamily: a write reaches the epoll registration through
// the driver's wait queue (wake_up, then ep_poll_callback: ready), and a
// keyed wake-up for events the registration does not watch is ignored
// (X1, E2).
func TestTraceEpollFamily(t *testing.T) {
	k, tr := traced(t)
	newPipe(t, k, "dev")
	task := k.NewTask("loop", Cred{})
	fd := mustOpen(t, task, "dev", O_RDWR|O_NONBLOCK)
	epfd, err := task.EpollCreate1(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.EpollCtl(epfd, EPOLL_CTL_ADD, fd, &EpollEvent{Events: EPOLLIN | EPOLLET}); err != nil {
		t.Fatal(err)
	}
	mark := tr.Written()
	if _, err := task.Write(context.Background(), fd, []byte("x")); err != nil {
		t.Fatal(err)
	}
	evs := make([]EpollEvent, 4)
	if n, err := task.EpollWait(context.Background(), epfd, evs, 0); n != 1 || err != nil {
		t.Fatalf("EpollWait = %d, %v; want 1", n, err)
	}
	expectEvents(t, tr, mark, []string{
		"loop-1 sys_enter: fd=0 file=dev call=write count=1",
		"loop-1 wake_up: fd=0 file=dev wq=1 key=0 sleepers=0 poll_tables=1",
		"loop-1 ep_poll_callback: fd=0 file=dev key=0 events=0x80000019 result=ready woke=0", // EPOLLET|EPOLLIN, EPOLLERR|EPOLLHUP always
		"loop-1 wake_up: fd=0 file=dev wq=2 key=POLLIN sleepers=0 poll_tables=0",             // the epoll file's own queue
		"loop-1 sys_exit: fd=0 file=dev call=write ret=1",
		"loop-1 sys_enter: fd=1 file=[eventpoll] call=epoll_wait maxevents=4 timeout_ms=0",
		"loop-1 sys_exit: fd=1 file=[eventpoll] call=epoll_wait ret=1",
	})
}
