package kernel

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The trace is a tested contract (SPEC X1): each test scripts a scenario
// on one goroutine, so its events come in one order, and checks that
// order event by event with the fields that matter.

// traced returns a kernel traced into a fresh tracer, both cleaned up
// when the test ends.
func traced(tb testing.TB) (*Kernel, *Tracer) {
	tb.Helper()
	k := newKernel(tb, Config{})
	tr := NewTracer(0)
	k.Trace(tr)
	tb.Cleanup(func() { k.Trace(nil) })
	return k, tr
}

// evLine is an event as the tests compare it: task comm-tid, name and
// fields.
func evLine(ev *TraceEvent) string {
	who := "<kernel>"
	if ev.Task.Comm != "" {
		who = fmt.Sprintf("%s-%d", ev.Task.Comm, ev.Task.Tid)
	}
	return who + " " + ev.Name + ": " + ev.String()
}

// expectEvents checks that the events recorded since mark (a count of
// events written) are want, one for one: each want line must be a prefix
// of the event's line, or equal it.
func expectEvents(tb testing.TB, tr *Tracer, mark uint64, want []string) {
	tb.Helper()
	evs := tr.Events()
	var got []string
	for i := range evs {
		if evs[i].Seq > mark {
			got = append(got, evLine(&evs[i]))
		}
	}
	bad := len(got) != len(want)
	for i := 0; !bad && i < len(want); i++ {
		bad = !strings.HasPrefix(got[i], want[i])
	}
	if bad {
		tb.Errorf("events:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// TestTraceFcntlFamily: F_SETOWN, F_SETSIG and F_SETFL|FASYNC, each
// step of the seeds' diagram (X1): the owner, the signal, the flags, the
// driver's ->fasync and fasync_helper adding the file.
func TestTraceFcntlFamily(t *testing.T) {
	k, tr := traced(t)
	newPipe(t, k, "dev")
	a := k.NewTask("asynctest", Cred{})
	fd := mustOpen(t, a, "dev", O_RDONLY|O_NONBLOCK)
	mark := tr.Written()
	mustFcntl(t, a, fd, F_SETOWN, a.Pid())
	mustFcntl(t, a, fd, F_SETSIG, SIGRTMIN+1)
	mustFcntl(t, a, fd, F_SETFL, O_NONBLOCK|FASYNC)
	if _, err := a.Fcntl(fd, F_SETOWN, 999); err == nil {
		t.Fatal("F_SETOWN 999 succeeded")
	}
	mustFcntl(t, a, fd, F_SETFL, O_NONBLOCK)
	expectEvents(t, tr, mark, []string{
		"asynctest-1 sys_enter: fd=0 file=dev call=fcntl cmd=F_SETOWN arg=1",
		"asynctest-1 fcntl_setown: fd=0 file=dev owner=pid:1",
		"asynctest-1 sys_exit: fd=0 file=dev call=fcntl ret=0",
		"asynctest-1 sys_enter: fd=0 file=dev call=fcntl cmd=F_SETSIG arg=SIGRTMIN+1",
		"asynctest-1 fcntl_setsig: fd=0 file=dev sig=SIGRTMIN+1",
		"asynctest-1 sys_exit: fd=0 file=dev call=fcntl ret=0",
		"asynctest-1 sys_enter: fd=0 file=dev call=fcntl cmd=F_SETFL arg=O_RDONLY|O_NONBLOCK|FASYNC",
		"asynctest-1 fcntl_setfl: fd=0 file=dev old=O_RDONLY|O_NONBLOCK flags=O_RDONLY|O_NONBLOCK|FASYNC",
		"asynctest-1 fasync: fd=0 file=dev on=1 via=fcntl",
		"asynctest-1 fasync_helper: fd=0 file=dev on=1 result=added entries=1",
		"asynctest-1 sys_exit: fd=0 file=dev call=fcntl ret=0",
		"asynctest-1 sys_enter: fd=0 file=dev call=fcntl cmd=F_SETOWN arg=999",
		"asynctest-1 sys_exit: fd=0 file=dev call=fcntl ret=-1 err=ESRCH",
		"asynctest-1 sys_enter: fd=0 file=dev call=fcntl cmd=F_SETFL arg=O_RDONLY|O_NONBLOCK",
		"asynctest-1 fcntl_setfl: fd=0 file=dev old=O_RDONLY|O_NONBLOCK|FASYNC flags=O_RDONLY|O_NONBLOCK",
		"asynctest-1 fasync: fd=0 file=dev on=0 via=fcntl",
		"asynctest-1 fasync_helper: fd=0 file=dev on=0 result=removed entries=0",
		"asynctest-1 sys_exit: fd=0 file=dev call=fcntl ret=0",
	})
}

// arm sets the owner and FASYNC on t's fd, with F_SETSIG sig if not 0.
func armAsync(tb testing.TB, t *Task, fd, owner, sig int) {
	tb.Helper()
	mustFcntl(tb, t, fd, F_SETOWN, owner)
	if sig != 0 {
		mustFcntl(tb, t, fd, F_SETSIG, sig)
	}
	mustFcntl(tb, t, fd, F_SETFL, mustFcntl(tb, t, fd, F_GETFL, 0)|FASYNC)
}

// TestTraceKillFasyncFamily: a write reaches kill_fasync, send_sigio
// (allowed), signal_generate (queued), and the handler runs on return
// from the write: the path LDD3 draws, with F_SETSIG's fd and band
// (X1, A7, A8).
func TestTraceKillFasyncFamily(t *testing.T) {
	k, tr := traced(t)
	newPipe(t, k, "dev")
	a := k.NewTask("asynctest", Cred{})
	got := 0
	if _, err := a.Sigaction(SIGRTMIN+1, Sigaction{Handler: func(*Task, *SigInfo) { got++ }}); err != nil {
		t.Fatal(err)
	}
	fd := mustOpen(t, a, "dev", O_RDWR|O_NONBLOCK)
	armAsync(t, a, fd, a.Pid(), SIGRTMIN+1)
	mark := tr.Written()
	if _, err := a.Write(context.Background(), fd, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if got != 1 {
		t.Fatalf("handler ran %d times, want 1", got)
	}
	expectEvents(t, tr, mark, []string{
		"asynctest-1 sys_enter: fd=0 file=dev call=write count=2",
		"asynctest-1 wake_up: fd=0 file=dev wq=1 key=0 sleepers=0 poll_tables=0",
		"asynctest-1 kill_fasync: fd=0 file=dev sig=SIGIO band=POLL_IN entries=1",
		"asynctest-1 send_sigio: fd=0 file=dev owner=pid:1 comm=asynctest pid=1 tid=1 sig=SIGRTMIN+1 code=POLL_IN band=POLLIN|POLLRDNORM verdict=allowed",
		"asynctest-1 signal_generate: sig=SIGRTMIN+1 code=POLL_IN comm=asynctest pid=1 tid=1 group=1 si_fd=0 result=queued",
		"asynctest-1 signal_interrupt: file=dev sig=SIGRTMIN+1 comm=asynctest pid=1 tid=1", // the write itself: it returns at once
		"asynctest-1 sys_exit: fd=0 file=dev call=write ret=2",
		"asynctest-1 signal_deliver: sig=SIGRTMIN+1 code=POLL_IN si_fd=0 si_band=POLLIN|POLLRDNORM action=handler sa_flags=0x0",
	})
}

// TestTraceSendSigioVerdicts: send_sigio says why a notification was not
// sent — no owner, an owner whose credentials may not signal the target
// (A10), an owning group left empty — and signal_generate says when a
// standard signal coalesced (X1, A6, A10, S1).
func TestTraceSendSigioVerdicts(t *testing.T) {
	k, tr := traced(t)
	d := newPipe(t, k, "dev")
	peer := k.NewTask("peer", Cred{UID: 1000, EUID: 1000, SUID: 1000})
	user := k.NewTask("user", Cred{UID: 1000, EUID: 1000, SUID: 1000})
	other := k.NewTask("other", Cred{UID: 2000, EUID: 2000, SUID: 2000})
	for _, task := range []*Task{peer, other} {
		if _, err := task.Sigaction(SIGIO, Sigaction{Handler: func(*Task, *SigInfo) {}}); err != nil {
			t.Fatal(err)
		}
	}
	fd := mustOpen(t, user, "dev", O_RDONLY|O_NONBLOCK)
	mustFcntl(t, user, fd, F_SETFL, O_NONBLOCK|FASYNC)
	mark := tr.Written()
	check := func(want ...string) {
		t.Helper()
		_ = d.async.Kill(SIGIO, POLL_IN) // a driver's kill_fasync, outside any call
		expectEvents(t, tr, mark, want)
		mark = tr.Written()
	}
	check("<kernel> kill_fasync: file=dev sig=SIGIO band=POLL_IN entries=1",
		"<kernel> send_sigio: fd=0 file=dev owner=none sig=SIGIO code=POLL_IN band=POLLIN|POLLRDNORM verdict=no_owner")
	mustFcntl(t, user, fd, F_SETOWN, other.Pid())
	mark = tr.Written()
	check("<kernel> kill_fasync: file=dev sig=SIGIO band=POLL_IN entries=1",
		"<kernel> send_sigio: fd=0 file=dev owner=pid:3 comm=other pid=3 tid=3 sig=SIGIO code=POLL_IN band=POLLIN|POLLRDNORM verdict=denied")
	mustFcntl(t, user, fd, F_SETOWN, peer.Pid())
	mark = tr.Written()
	check("<kernel> kill_fasync: file=dev sig=SIGIO band=POLL_IN entries=1",
		"<kernel> send_sigio: fd=0 file=dev owner=pid:1 comm=peer pid=1 tid=1 sig=SIGIO code=SI_KERNEL band=0 verdict=allowed",
		"<kernel> signal_generate: sig=SIGIO code=SI_KERNEL comm=peer pid=1 tid=1 group=1 result=queued")
	check("<kernel> kill_fasync: file=dev sig=SIGIO band=POLL_IN entries=1",
		"<kernel> send_sigio: fd=0 file=dev owner=pid:1 comm=peer pid=1 tid=1 sig=SIGIO code=SI_KERNEL band=0 verdict=allowed",
		"<kernel> signal_generate: sig=SIGIO code=SI_KERNEL comm=peer pid=1 tid=1 group=1 result=coalesced")
	mustFcntl(t, user, fd, F_SETOWN, -other.Pgid())
	other.Exit()
	mark = tr.Written()
	check("<kernel> kill_fasync: file=dev sig=SIGIO band=POLL_IN entries=1",
		"<kernel> send_sigio: fd=0 file=dev owner=pgrp:3 sig=SIGIO code=POLL_IN band=POLLIN|POLLRDNORM verdict=empty_group")
}

// TestTraceSignalFamily: a blocked signal stays pending (blocked), a
// sigsuspend that unblocks it has it delivered (handler), a blocking read
// is interrupted (signal_interrupt) and returns EINTR (X1, S5, S7).
func TestTraceSignalFamily(t *testing.T) {
	k, tr := traced(t)
	newPipe(t, k, "dev")
	a := k.NewTask("waiter", Cred{})
	if _, err := a.Sigaction(SIGUSR1, Sigaction{Handler: func(*Task, *SigInfo) {}}); err != nil {
		t.Fatal(err)
	}
	block := SigsetOf(SIGUSR1)
	if _, err := a.Sigprocmask(SIG_BLOCK, &block); err != nil {
		t.Fatal(err)
	}
	mark := tr.Written()
	if err := a.Kill(a.Pid(), SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if err := a.Sigsuspend(context.Background(), 0); err != EINTR {
		t.Fatalf("Sigsuspend = %v, want EINTR", err)
	}
	expectEvents(t, tr, mark, []string{
		"waiter-1 sys_enter: call=kill pid=1 sig=SIGUSR1",
		"waiter-1 signal_generate: sig=SIGUSR1 code=SI_USER comm=waiter pid=1 tid=1 group=1 result=blocked",
		"waiter-1 sys_exit: call=kill ret=0",
		"waiter-1 sys_enter: call=rt_sigsuspend mask={}",
		"waiter-1 signal_deliver: sig=SIGUSR1 code=SI_USER action=handler sa_flags=0x0",
		"waiter-1 sys_exit: call=rt_sigsuspend ret=-1 err=EINTR",
	})

	// A read that sleeps, interrupted by another task's kill.
	fd := mustOpen(t, a, "dev", O_RDONLY)
	killer := k.NewTask("killer", Cred{})
	res := make(chan error, 1)
	go func() {
		_, err := a.Read(context.Background(), fd, make([]byte, 8))
		res <- err
	}()
	waitFor(t, func() bool { return inFlight(a) == 1 })
	if _, err := a.Sigprocmask(SIG_UNBLOCK, &block); err != nil {
		t.Fatal(err)
	}
	mark = tr.Written()
	if err := killer.Kill(a.Pid(), SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if err := <-res; err != EINTR {
		t.Fatalf("read = %v, want EINTR", err)
	}
	want := map[string]bool{
		"killer-2 signal_generate: sig=SIGUSR1 code=SI_USER comm=waiter pid=1 tid=1 group=1 result=queued": false,
		"killer-2 signal_interrupt: file=dev sig=SIGUSR1 comm=waiter pid=1 tid=1":                          false,
		"waiter-1 signal_deliver: sig=SIGUSR1 code=SI_USER action=handler sa_flags=0x0":                    false,
		"waiter-1 sys_exit: fd=0 file=dev call=read ret=-1 err=EINTR":                                      false,
	}
	for _, ev := range tr.Events() {
		if ev.Seq > mark {
			if _, ok := want[evLine(&ev)]; ok {
				want[evLine(&ev)] = true
			}
		}
	}
	for line, seen := range want {
		if !seen {
			t.Errorf("no event %q", line)
		}
	}
	if t.Failed() {
		for _, ev := range tr.Events() {
			t.Log(evLine(&ev))
		}
	}
}

// waitFor polls cond until it holds, failing the test after waitTimeout.
func waitFor(tb testing.TB, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}
