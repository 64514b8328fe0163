package kernel

import (
	"context"
	"testing"
)

// readRecords reads a signalfd with room for n records and parses them.
func readRecords(tb testing.TB, task *Task, fd, n int) ([]SignalfdSiginfo, error) {
	tb.Helper()
	buf := make([]byte, n*SignalfdSiginfoSize)
	got, err := task.Read(context.Background(), fd, buf)
	if err != nil {
		return nil, err
	}
	if got%SignalfdSiginfoSize != 0 {
		tb.Fatalf("S9: read returned %d bytes, not whole records", got)
	}
	var recs []SignalfdSiginfo
	for off := 0; off < got; off += SignalfdSiginfoSize {
		r, err := ParseSignalfdSiginfo(buf[off : off+SignalfdSiginfoSize])
		if err != nil {
			tb.Fatal(err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// TestSignalfdRead checks S9: a read takes pending signals of the mask in
// Sigtimedwait's order, as many as fit, one 128-byte record each, with
// the siginfo's fields by layout (kill: pid, uid; sigqueue: the value;
// a fasync notification: fd and band); O_NONBLOCK gives EAGAIN when none
// is pending.
func TestSignalfdRead(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("consumer", Cred{})
	sender := k.NewTask("sender", Cred{UID: 1000, EUID: 0, SUID: 1000})
	set := SigsetOf(SIGUSR1, SIGRTMIN, SIGRTMIN+1)
	mustMask(t, task, SIG_BLOCK, set)
	sfd, err := task.Signalfd(-1, set, SFD_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readRecords(t, task, sfd, 1); err != EAGAIN {
		t.Fatalf("S9: empty non-blocking read = %v, want EAGAIN", err)
	}
	fd := asyncOpen(t, task, "pipe", task.Pid(), SIGRTMIN+1)
	sender.Sigqueue(task.Pid(), SIGRTMIN, 7)
	sender.Kill(task.Pid(), SIGUSR1)
	wfd := mustOpen(t, sender, "pipe", O_WRONLY)
	sender.Write(context.Background(), wfd, []byte("x"))
	recs, err := readRecords(t, task, sfd, 2)
	if err != nil || len(recs) != 2 {
		t.Fatalf("S9: read of 2 = %v, %v", recs, err)
	}
	want := []SignalfdSiginfo{
		{Signo: SIGUSR1, Code: SI_USER, Pid: uint32(sender.Pid()), Uid: 1000},
		{Signo: SIGRTMIN, Code: SI_QUEUE, Pid: uint32(sender.Pid()), Uid: 1000, Int: 7, Ptr: 7},
	}
	for i := range want {
		if recs[i] != want[i] {
			t.Errorf("S9: record %d = %+v, want %+v", i, recs[i], want[i])
		}
	}
	recs, err = readRecords(t, task, sfd, 4)
	wantPoll := SignalfdSiginfo{Signo: SIGRTMIN + 1, Code: POLL_IN, Fd: int32(fd), Band: POLLIN | POLLRDNORM}
	if err != nil || len(recs) != 1 || recs[0] != wantPoll {
		t.Fatalf("S9: fasync record = %+v, %v; want %+v", recs, err, wantPoll)
	}
	if p := task.Sigpending(); p != 0 {
		t.Errorf("S9: signals left pending after the reads: %#x", uint64(p))
	}
}

// TestSignalfdBlockingAndPoll checks S9: a blocking read sleeps until a
// signal of the mask comes; poll reports POLLIN while one is pending and
// a sleeping poll is woken when one is sent.
func TestSignalfdBlockingAndPoll(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("consumer", Cred{})
	sender := k.NewTask("sender", Cred{})
	set := SigsetOf(SIGUSR2)
	mustMask(t, task, SIG_BLOCK, set)
	sfd, err := task.Signalfd(-1, set, 0)
	if err != nil {
		t.Fatal(err)
	}
	ch := goRead(context.Background(), task, sfd, make([]byte, SignalfdSiginfoSize))
	waitBlocked(t, task, 1)
	sender.Kill(task.Pid(), SIGUSR2)
	if r := await(t, ch); r.err != nil || r.n != SignalfdSiginfoSize {
		t.Fatalf("S9: blocking read = %d, %v", r.n, r.err)
	}
	fds := []PollFd{{Fd: sfd, Events: POLLIN}}
	if n, err := task.Poll(context.Background(), fds, 0); n != 0 || err != nil {
		t.Fatalf("S9: poll with nothing pending = %d, %v", n, err)
	}
	done := make(chan result, 1)
	go func() {
		n, err := task.Poll(context.Background(), fds, -1)
		done <- result{n, err}
	}()
	waitBlocked(t, task, 1)
	sender.Kill(task.Pid(), SIGUSR2)
	if r := await(t, done); r.n != 1 || r.err != nil || fds[0].Revents != POLLIN {
		t.Fatalf("S9: poll woken by a signal = %d, %v, revents %#x", r.n, r.err, fds[0].Revents)
	}
}

// TestSignalfdPerThread checks S9 with T2: a read takes the reading
// thread's own signals and its process's, not another thread's.
func TestSignalfdPerThread(t *testing.T) {
	k := newKernel(t, Config{})
	main := k.NewTask("main", Cred{})
	set := SigsetOf(SIGUSR1)
	mustMask(t, main, SIG_BLOCK, set)
	th := mustThread(t, main, "worker")
	sfd, err := main.Signalfd(-1, set, SFD_NONBLOCK|SFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	if v := mustFcntl(t, main, sfd, F_GETFD, 0); v != FD_CLOEXEC {
		t.Errorf("S9: SFD_CLOEXEC: F_GETFD = %d", v)
	}
	main.Tgkill(main.Pid(), th.Tid(), SIGUSR1)
	if _, err := readRecords(t, main, sfd, 1); err != EAGAIN {
		t.Fatalf("S9: the main thread read the worker's signal: %v", err)
	}
	recs, err := readRecords(t, th, sfd, 1)
	if err != nil || recs[0].Signo != SIGUSR1 || recs[0].Code != SI_TKILL {
		t.Fatalf("S9: the worker's read = %+v, %v", recs, err)
	}
}

// TestSignalfdErrors checks Signalfd's and the read's errors (S9).
func TestSignalfdErrors(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	pfd := mustOpen(t, task, "pipe", O_RDWR)
	sfd, err := task.Signalfd(-1, SigsetOf(SIGUSR1, SIGKILL), SFD_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		call func() (int, error)
		want error
	}{
		{"S9/bad-flags", func() (int, error) { return task.Signalfd(-1, 0, O_APPEND) }, EINVAL},
		{"S9/not-a-signalfd", func() (int, error) { return task.Signalfd(pfd, 0, 0) }, EINVAL},
		{"S9/closed-fd", func() (int, error) { return task.Signalfd(77, 0, 0) }, EBADF},
		{"S9/negative-fd", func() (int, error) { return task.Signalfd(-2, 0, 0) }, EBADF},
		{"S9/short-read", func() (int, error) { return task.Read(context.Background(), sfd, make([]byte, 127)) }, EINVAL},
		{"S9/nil-read", func() (int, error) { return task.Read(context.Background(), sfd, nil) }, EINVAL},
		{"S9/update", func() (int, error) { return task.Signalfd(sfd, SigsetOf(SIGUSR2), 0) }, nil},
	}
	for _, c := range cases {
		if _, err := c.call(); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// The update replaced the mask: SIGUSR2 is read, SIGUSR1 is not.
	mustMask(t, task, SIG_BLOCK, SigsetOf(SIGUSR1, SIGUSR2))
	task.Kill(task.Pid(), SIGUSR1)
	task.Kill(task.Pid(), SIGUSR2)
	recs, err := readRecords(t, task, sfd, 2)
	if err != nil || len(recs) != 1 || recs[0].Signo != SIGUSR2 {
		t.Fatalf("S9: after the mask update read %+v, %v", recs, err)
	}
	if _, err := ParseSignalfdSiginfo(make([]byte, 100)); err != EINVAL {
		t.Errorf("ParseSignalfdSiginfo(100 bytes) = %v, want EINVAL", err)
	}
	if _, err := ParseSignalfdSiginfo(nil); err != EINVAL {
		t.Errorf("ParseSignalfdSiginfo(nil) = %v, want EINVAL", err)
	}
}
