package scull

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/fasync-go/fasync/internal/testutil"
	"github.com/fasync-go/fasync/kernel"
)

// The four IO models of SPEC "IO models", exercised through scullpipe.

// TestM1Blocking: blocking reads and writes sleep until they can make
// progress, so a transfer many times the buffer size arrives whole and in
// order.
func TestM1Blocking(t *testing.T) {
	k, _ := setup(t, Config{Devices: 1, Size: 100})
	r, w := k.NewTask("r", kernel.Cred{}), k.NewTask("w", kernel.Cred{})
	rfd := open(t, r, "scullpipe0", kernel.O_RDONLY)
	wfd := open(t, w, "scullpipe0", kernel.O_WRONLY)
	want := make([]byte, 10000)
	for i := range want {
		want[i] = byte(i * 7)
	}
	wdone := goWrite(bounded(t), w, wfd, want)
	var got []byte
	buf := make([]byte, 37)
	for len(got) < len(want) {
		n, err := r.Read(bounded(t), rfd, buf)
		if err != nil {
			t.Fatalf("M1: read after %d bytes: %v", len(got), err)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("M1: data arrived changed or out of order")
	}
	if res := await(t, "writer", wdone); res.err != nil || res.n != len(want) {
		t.Fatalf("M1: writer = (%d, %v)", res.n, res.err)
	}
}

// TestM2Nonblocking: O_NONBLOCK turns every sleep into EAGAIN, also when
// it is set later with F_SETFL, and clearing it makes calls sleep again.
func TestM2Nonblocking(t *testing.T) {
	k, ps := setup(t, Config{Devices: 1, Size: 10})
	task := k.NewTask("t", kernel.Cred{})
	fd := open(t, task, "scullpipe0", kernel.O_RDWR)
	fl := fcntl(t, task, fd, kernel.F_GETFL, 0)
	fcntl(t, task, fd, kernel.F_SETFL, fl|kernel.O_NONBLOCK)

	_, err := task.Read(bounded(t), fd, make([]byte, 1))
	wantErrno(t, "M2: read on empty after F_SETFL O_NONBLOCK", err, syscall.EAGAIN)
	write(t, task, fd, make([]byte, 9))
	_, err = task.Write(bounded(t), fd, []byte("x"))
	wantErrno(t, "M2: write on full", err, syscall.EAGAIN)
	read(t, task, fd, 9)

	fcntl(t, task, fd, kernel.F_SETFL, fl&^kernel.O_NONBLOCK)
	done := goRead(bounded(t), task, fd, 5)
	testutil.WaitFor(t, "M2: reader asleep once O_NONBLOCK is cleared", func() bool {
		return ps.Pipe(0).Status().BlockedReaders == 1
	})
	w := k.NewTask("w", kernel.Cred{})
	write(t, w, open(t, w, "scullpipe0", kernel.O_WRONLY), []byte("back"))
	// rp = wp = 9, the last slot: the write and the read each stop at the
	// end of the buffer (B3, B4), so the first read returns one byte.
	if res := await(t, "reader", done); res.err != nil || res.data != "b" {
		t.Fatalf("M2: got (%q, %v), want %q", res.data, res.err, "b")
	}
	if got := read(t, task, fd, 5); got != "ack" {
		t.Fatalf("M2: got %q, want %q", got, "ack")
	}
}

// TestM3Poll: readiness with wake-ups, timeouts, several descriptors and
// cancellation.
func TestM3Poll(t *testing.T) {
	k, _ := setup(t, Config{Devices: 2})
	p, w := k.NewTask("poller", kernel.Cred{}), k.NewTask("w", kernel.Cred{})
	fd0 := open(t, p, "scullpipe0", kernel.O_RDONLY)
	fd1 := open(t, p, "scullpipe1", kernel.O_RDONLY)
	wfd1 := open(t, w, "scullpipe1", kernel.O_WRONLY)
	pollIn := func(ctx context.Context, timeout time.Duration) (int, []kernel.PollFd, error) {
		fds := []kernel.PollFd{{Fd: fd0, Events: kernel.POLLIN}, {Fd: fd1, Events: kernel.POLLIN}}
		n, err := p.Poll(ctx, fds, timeout)
		return n, fds, err
	}

	t.Run("M3/no-wait", func(t *testing.T) {
		if n, fds, err := pollIn(bounded(t), 0); n != 0 || err != nil || fds[0].Revents|fds[1].Revents != 0 {
			t.Fatalf("poll(0) on empty devices = %d %v %v", n, fds, err)
		}
	})
	t.Run("M3/timeout", func(t *testing.T) {
		if n, _, err := pollIn(bounded(t), 5*time.Millisecond); n != 0 || err != nil {
			t.Fatalf("poll timing out = (%d, %v), want (0, nil)", n, err)
		}
	})
	t.Run("M3/wake-up-on-write", func(t *testing.T) {
		type pollResult struct {
			n   int
			fds []kernel.PollFd
			err error
		}
		done := make(chan pollResult, 1)
		go func() {
			n, fds, err := pollIn(bounded(t), -1)
			done <- pollResult{n, fds, err}
		}()
		write(t, w, wfd1, []byte("x"))
		var r pollResult
		select {
		case r = <-done:
		case <-time.After(testTimeout):
			t.Fatal("M3: poll not woken by a write")
		}
		if r.err != nil || r.n != 1 || r.fds[0].Revents != 0 || r.fds[1].Revents != kernel.POLLIN {
			t.Fatalf("M3: woken poll = %d %+v %v, want only fd %d POLLIN", r.n, r.fds, r.err, fd1)
		}
		read(t, p, fd1, 1)
	})
	t.Run("M3/bad-fd-POLLNVAL", func(t *testing.T) {
		fds := []kernel.PollFd{{Fd: 99, Events: kernel.POLLIN}}
		if n, err := p.Poll(bounded(t), fds, 0); n != 1 || err != nil || fds[0].Revents != kernel.POLLNVAL {
			t.Fatalf("poll on a bad fd = (%d, %v) revents %#x", n, err, fds[0].Revents)
		}
	})
	t.Run("M3/cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(bounded(t))
		done := make(chan error, 1)
		go func() { _, _, err := pollIn(ctx, -1); done <- err }()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("M3: cancelled poll returned %v", err)
		}
	})
	t.Run("M3/signal-EINTR", func(t *testing.T) {
		catch(t, p, kernel.SIGUSR1, kernel.SA_RESTART) // poll is never restarted
		done := make(chan error, 1)
		go func() { _, _, err := pollIn(bounded(t), -1); done <- err }()
		if err := k.Kill(p.Pid(), kernel.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			wantErrno(t, "M3: poll interrupted by a handled signal", err, syscall.EINTR)
		case <-time.After(testTimeout):
			t.Fatal("M3: signal did not interrupt poll")
		}
	})
}

// TestM4aFasync is LDD3's asynctest against scullpipe: the reader sleeps in
// pause and reads only when SIGIO says data arrived.
func TestM4aFasync(t *testing.T) {
	k, _ := setup(t, Config{Devices: 1})
	reader, writer := k.NewTask("asynctest", kernel.Cred{}), k.NewTask("writer", kernel.Cred{})
	sig := catch(t, reader, kernel.SIGIO, 0)
	rfd := open(t, reader, "scullpipe0", kernel.O_RDONLY|kernel.O_NONBLOCK)
	setAsync(t, reader, rfd, reader.Pid(), 0)
	wfd := open(t, writer, "scullpipe0", kernel.O_WRONLY)

	for i := range 5 {
		msg := fmt.Sprintf("line %d\n", i)
		write(t, writer, wfd, []byte(msg))
		info := pauseFor(t, reader, sig)
		// A7: F_SETSIG 0 sends plain SIGIO without descriptor or band.
		if info.Signo != kernel.SIGIO || info.Fd != 0 || info.Band != 0 {
			t.Fatalf("M4a/A7: plain SIGIO carried %+v", info)
		}
		if got := drain(t, reader, rfd); got != msg {
			t.Fatalf("M4a: notified reader drained %q, want %q", got, msg)
		}
	}
}

// drain reads fd (opened O_NONBLOCK) until EAGAIN and returns the bytes.
func drain(t testing.TB, task *kernel.Task, fd int) string {
	t.Helper()
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := task.Read(bounded(t), fd, buf)
		if errors.Is(err, syscall.EAGAIN) {
			return string(out)
		}
		if err != nil {
			t.Fatalf("%s: drain fd %d: %v", task.Name(), fd, err)
		}
		out = append(out, buf[:n]...)
	}
}

// TestM4aOwners: owners the notification reaches through scullpipe —
// a process group (S4, A9), dup'd descriptors sharing one entry (A3), and
// the permission rule dropping a signal the owner's setter may not send
// (A10).
func TestM4aOwners(t *testing.T) {
	t.Run("M4a/S4/process-group", func(t *testing.T) {
		k, _ := setup(t, Config{Devices: 1})
		leader, member := k.NewTask("leader", kernel.Cred{}), k.NewTask("member", kernel.Cred{})
		if err := member.Setpgid(leader.Pgid()); err != nil {
			t.Fatal(err)
		}
		lsig, msig := catch(t, leader, kernel.SIGIO, 0), catch(t, member, kernel.SIGIO, 0)
		fd := open(t, leader, "scullpipe0", kernel.O_RDONLY)
		setAsync(t, leader, fd, -leader.Pgid(), 0)
		w := k.NewTask("w", kernel.Cred{})
		write(t, w, open(t, w, "scullpipe0", kernel.O_WRONLY), []byte("all of you"))
		pauseFor(t, leader, lsig)
		pauseFor(t, member, msig)
	})
	t.Run("M4a/A3/dup-shares-entry", func(t *testing.T) {
		k, ps := setup(t, Config{Devices: 1})
		task := k.NewTask("t", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_RDONLY)
		fd2, err := task.Dup(fd)
		if err != nil {
			t.Fatal(err)
		}
		setAsync(t, task, fd, task.Pid(), 0)
		setAsync(t, task, fd2, task.Pid(), 0)
		if n := ps.Pipe(0).Status().AsyncReaders; n != 1 {
			t.Fatalf("A3: dup'd descriptors made %d entries, want 1", n)
		}
		task.Close(fd)
		if n := ps.Pipe(0).Status().AsyncReaders; n != 1 {
			t.Fatalf("A13: closing one of two descriptors left %d entries, want 1", n)
		}
		task.Close(fd2)
		if n := ps.Pipe(0).Status().AsyncReaders; n != 0 {
			t.Fatalf("A13: closing the last descriptor left %d entries", n)
		}
	})
	t.Run("M4a/A10/permission", func(t *testing.T) {
		k, _ := setup(t, Config{Devices: 1})
		root := k.NewTask("root", kernel.Cred{})
		user := k.NewTask("user", kernel.Cred{UID: 1000, EUID: 1000, SUID: 1000})
		catch(t, root, kernel.SIGIO, 0)
		fd := open(t, user, "scullpipe0", kernel.O_RDONLY)
		setAsync(t, user, fd, root.Pid(), 0) // user may not signal root
		write(t, user, open(t, user, "scullpipe0", kernel.O_WRONLY), []byte("x"))
		if p := root.Pending(); len(p) != 0 {
			t.Fatalf("A10: signal reached a task its owner's setter may not signal: %v", p)
		}
	})
}
