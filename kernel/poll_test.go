package kernel

import (
	"context"
	"errors"
	"testing"
	"time"
)

// goPoll runs task.Poll on a goroutine of its own.
func goPoll(ctx context.Context, task *Task, fds []PollFd, timeout time.Duration) <-chan result {
	ch := make(chan result, 1)
	go func() {
		n, err := task.Poll(ctx, fds, timeout)
		ch <- result{n, err}
	}()
	return ch
}

// TestPoll checks SPEC M3: readiness masks, waking on a device change,
// timeouts, POLLNVAL, and cancellation.
func TestPoll(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	d.size = 4
	k.Register("bare", bareDev{})
	task := k.NewTask("poller", Cred{})
	w := k.NewTask("writer", Cred{})
	ctx := context.Background()
	rfd := mustOpen(t, task, "pipe", O_RDONLY)
	wfd := mustOpen(t, w, "pipe", O_WRONLY)
	bare := mustOpen(t, task, "bare", O_RDWR)

	t.Run("M3/immediate-masks", func(t *testing.T) {
		fds := []PollFd{
			{Fd: rfd, Events: POLLIN | POLLOUT},
			{Fd: bare, Events: POLLIN | POLLOUT},
			{Fd: 77, Events: POLLIN},
			{Fd: -1, Events: POLLIN},
		}
		n, err := task.Poll(ctx, fds, 0)
		if err != nil || n != 3 {
			t.Fatalf("Poll = %d, %v; want 3", n, err)
		}
		want := []int16{POLLOUT, POLLIN | POLLOUT, POLLNVAL, 0}
		for i, w := range want {
			if fds[i].Revents != w {
				t.Errorf("fd %d: revents %#x, want %#x", fds[i].Fd, fds[i].Revents, w)
			}
		}
	})
	t.Run("M3/timeout-zero-does-not-wait", func(t *testing.T) {
		fds := []PollFd{{Fd: rfd, Events: POLLIN}}
		if n, err := task.Poll(ctx, fds, 0); n != 0 || err != nil {
			t.Fatalf("Poll = %d, %v; want 0", n, err)
		}
	})
	t.Run("M3/timeout-expires", func(t *testing.T) {
		fds := []PollFd{{Fd: rfd, Events: POLLIN}}
		if n, err := task.Poll(ctx, fds, time.Millisecond); n != 0 || err != nil || fds[0].Revents != 0 {
			t.Fatalf("Poll = %d, %v, revents %#x; want 0", n, err, fds[0].Revents)
		}
	})
	t.Run("M3/woken-by-write", func(t *testing.T) {
		fds := []PollFd{{Fd: rfd, Events: POLLIN}}
		ch := goPoll(ctx, task, fds, -1)
		waitBlocked(t, task, 1)
		if _, err := w.Write(ctx, wfd, []byte("x")); err != nil {
			t.Fatal(err)
		}
		if res := await(t, ch); res.n != 1 || res.err != nil || fds[0].Revents != POLLIN {
			t.Fatalf("Poll = %d, %v, revents %#x; want 1, POLLIN", res.n, res.err, fds[0].Revents)
		}
		task.Read(ctx, rfd, make([]byte, 4))
	})
	t.Run("M3/closed-while-polling-is-POLLNVAL", func(t *testing.T) {
		fd := mustOpen(t, task, "pipe", O_RDONLY)
		fds := []PollFd{{Fd: fd, Events: POLLIN}}
		ch := goPoll(ctx, task, fds, -1)
		waitBlocked(t, task, 1)
		task.Close(fd)
		if res := await(t, ch); res.n != 1 || res.err != nil || fds[0].Revents != POLLNVAL {
			t.Fatalf("Poll = %d, %v, revents %#x; want 1, POLLNVAL", res.n, res.err, fds[0].Revents)
		}
	})
	t.Run("M3/context-cancel", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		ch := goPoll(cctx, task, []PollFd{{Fd: rfd, Events: POLLIN}}, -1)
		waitBlocked(t, task, 1)
		cancel()
		if res := await(t, ch); !errors.Is(res.err, context.Canceled) {
			t.Fatalf("Poll after cancel: %v, want context.Canceled", res.err)
		}
	})
	t.Run("M3/S3/signal-is-EINTR-even-with-SA_RESTART", func(t *testing.T) {
		var log sigLog
		log.handle(t, task, SIGUSR1, SA_RESTART)
		ch := goPoll(ctx, task, []PollFd{{Fd: rfd, Events: POLLIN}}, -1)
		waitBlocked(t, task, 1)
		if err := k.Kill(task.Pid(), SIGUSR1); err != nil {
			t.Fatal(err)
		}
		if res := await(t, ch); res.err != EINTR {
			t.Fatalf("Poll after signal: %v, want EINTR", res.err)
		}
		if got := log.signos(); len(got) != 1 || got[0] != SIGUSR1 {
			t.Fatalf("handler ran for %v", got)
		}
	})
	t.Run("M3/too-many-fds", func(t *testing.T) {
		if _, err := task.Poll(ctx, make([]PollFd, maxFiles+1), 0); err != EINVAL {
			t.Fatalf("Poll with %d fds: %v, want EINVAL", maxFiles+1, err)
		}
	})
	t.Run("M3/no-fds-sleeps-for-timeout", func(t *testing.T) {
		if n, err := task.Poll(ctx, nil, time.Millisecond); n != 0 || err != nil {
			t.Fatalf("Poll(nil) = %d, %v", n, err)
		}
	})
}

// TestPollTableUnregistered checks that Poll leaves no table registered
// on the device's queues when it returns.
func TestPollTableUnregistered(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDONLY)
	task.Poll(context.Background(), []PollFd{{Fd: fd, Events: POLLIN}}, time.Millisecond)
	d.readQ.mu.Lock()
	n := len(d.readQ.polls)
	d.readQ.mu.Unlock()
	if n != 0 {
		t.Fatalf("M3: %d poll tables left on the read queue", n)
	}
}
