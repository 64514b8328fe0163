package kernel

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/fasync-go/fasync/internal/testutil"
)

// openBlocker is a device whose Open sleeps until its context ends.
type openBlocker struct{ pipeDev }

// TestKernelClose checks Kernel.Close (issue item 6): every blocked call
// of every task returns EBADF, every file is released, Close is
// idempotent, and no goroutine is left behind.
func TestKernelClose(t *testing.T) {
	base := runtime.NumGoroutine()
	k := New(Config{})
	k.NewTask("init", Cred{})
	d := newPipe(t, k, "pipe") // stays empty: reads block
	full := newPipe(t, k, "full")
	full.size = 1 // filled below: writes block
	slow := &openBlocker{}
	slow.openBlocks = true
	k.Register("slow", slow)
	ctx := context.Background()

	reader := k.NewTask("reader", Cred{})
	writer := k.NewTask("writer", Cred{})
	poller := k.NewTask("poller", Cred{})
	pauser := k.NewTask("pauser", Cred{})
	opener := k.NewTask("opener", Cred{})
	doomed := k.NewTask("doomed", Cred{})
	rfd := mustOpen(t, reader, "pipe", O_RDONLY)
	wfd := mustOpen(t, writer, "full", O_WRONLY)
	pfd := mustOpen(t, poller, "pipe", O_RDONLY)
	mustOpen(t, doomed, "pipe", O_RDWR)
	mustFcntl(t, reader, rfd, F_SETOWN, reader.Pid())
	mustFcntl(t, reader, rfd, F_SETFL, FASYNC)
	if _, err := writer.Write(ctx, wfd, []byte("x")); err != nil {
		t.Fatal(err)
	}

	results := map[string]<-chan result{
		"read":  goRead(ctx, reader, rfd, make([]byte, 1)),
		"write": goWrite(ctx, writer, wfd, []byte("z")),
		"poll":  goPoll(ctx, poller, []PollFd{{Fd: pfd, Events: POLLPRI}}, -1),
	}
	pause := make(chan result, 1)
	go func() { pause <- result{0, pauser.Pause(ctx)} }()
	results["pause"] = pause
	open := make(chan result, 1)
	go func() {
		fd, err := opener.Open(ctx, "slow", O_RDONLY)
		open <- result{fd, err}
	}()
	results["open"] = open
	for _, task := range []*Task{reader, writer, poller, pauser, opener} {
		waitBlocked(t, task, 1)
	}
	k.Kill(doomed.Pid(), SIGTERM) // a termination in flight as Close starts

	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	for name, ch := range results {
		if res := await(t, ch); res.err != EBADF {
			t.Errorf("blocked %s after Kernel.Close = %d, %v; want EBADF", name, res.n, res.err)
		}
	}
	testutil.WaitFor(t, "every file released", func() bool {
		opens, releases := 0, 0
		for _, ev := range d.events() {
			switch ev {
			case "open":
				opens++
			case "release":
				releases++
			}
		}
		return opens == 3 && releases == 3
	})
	if ev := full.events(); len(ev) != 2 || ev[1] != "release" {
		t.Errorf("full pipe: driver calls %v, want open, release", ev)
	}
	if d.async.Len() != 0 {
		t.Error("a closed kernel left a file on a notification list")
	}
	for _, task := range []*Task{reader, writer, poller, pauser, opener, doomed} {
		if task.Alive() {
			t.Errorf("%s alive after Close", task.Name())
		}
	}
	if err := k.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	late := k.NewTask("late", Cred{})
	if late.Alive() {
		t.Error("a task created after Close is alive")
	}
	if _, err := late.Open(ctx, "pipe", O_RDONLY); err != ESRCH {
		t.Errorf("Open on a closed kernel = %v, want ESRCH", err)
	}
	if err := k.Kill(late.Pid(), SIGTERM); err != ESRCH {
		t.Errorf("Kill on a closed kernel = %v, want ESRCH", err)
	}
	waitNoGoroutines(t, base)
}

// waitNoGoroutines waits until the goroutine count is back to base,
// failing with the stacks of what is left after waitTimeout.
func waitNoGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines left behind (base %d):\n%s", runtime.NumGoroutine()-base, base, buf[:n])
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// TestExit checks Task.Exit: blocked calls return EBADF, descriptors are
// closed (fasync off, then release: A13), the task is dead to signals and
// to owners (A6), and its methods fail cleanly afterwards.
func TestExit(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDWR)
	mustFcntl(t, task, fd, F_SETOWN, task.Pid())
	mustFcntl(t, task, fd, F_SETFL, FASYNC)
	ch := goRead(context.Background(), task, fd, make([]byte, 1))
	waitBlocked(t, task, 1)
	task.Exit()
	if res := await(t, ch); res.err != EBADF {
		t.Fatalf("blocked Read after Exit = %v, want EBADF", res.err)
	}
	testutil.WaitFor(t, "release", func() bool { return len(d.events()) == 4 })
	want := []string{"open", "fasync on", "fasync off", "release"}
	for i, ev := range d.events() {
		if ev != want[i] {
			t.Fatalf("A13: driver calls %v, want %v", d.events(), want)
		}
	}
	task.Exit() // idempotent
	ctx := context.Background()
	if _, err := task.Read(ctx, fd, nil); err != EBADF {
		t.Errorf("Read after Exit = %v, want EBADF", err)
	}
	if _, err := task.Fcntl(fd, F_GETFL, 0); err != EBADF {
		t.Errorf("Fcntl after Exit = %v, want EBADF", err)
	}
	if err := task.Kill(task.Pid(), 0); err != ESRCH {
		t.Errorf("Kill from a dead task = %v, want ESRCH", err)
	}
	if err := task.Pause(ctx); err != EBADF {
		t.Errorf("Pause on a dead task = %v, want EBADF", err)
	}
	if n, err := task.Poll(ctx, []PollFd{{Fd: fd, Events: POLLIN}}, 0); n != 1 || err != nil {
		t.Errorf("Poll on a dead task = %d, %v; want 1 (POLLNVAL)", n, err)
	}
}
