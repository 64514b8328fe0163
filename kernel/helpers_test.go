package kernel

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fasync-go/fasync/internal/testutil"
)

// waitTimeout bounds every wait for a condition in the tests: far longer
// than anything needs, so reaching it means a bug (a hang), not slowness.
const waitTimeout = 20 * time.Second

// newKernel returns a kernel closed when the test ends.
func newKernel(tb testing.TB, cfg Config) *Kernel {
	tb.Helper()
	k := New(cfg)
	tb.Cleanup(func() { k.Close() })
	return k
}

// newPipe registers a pipeDev as name on k.
func newPipe(tb testing.TB, k *Kernel, name string) *pipeDev {
	tb.Helper()
	d := &pipeDev{}
	if err := k.Register(name, d); err != nil {
		tb.Fatalf("Register(%q): %v", name, err)
	}
	return d
}

// mustOpen opens name on task or fails the test.
func mustOpen(tb testing.TB, task *Task, name string, flags int) int {
	tb.Helper()
	fd, err := task.Open(context.Background(), name, flags)
	if err != nil {
		tb.Fatalf("%s: Open(%q, %#x): %v", task.Name(), name, flags, err)
	}
	return fd
}

// mustFcntl runs Fcntl or fails the test.
func mustFcntl(tb testing.TB, task *Task, fd, cmd, arg int) int {
	tb.Helper()
	v, err := task.Fcntl(fd, cmd, arg)
	if err != nil {
		tb.Fatalf("%s: Fcntl(%d, %d, %d): %v", task.Name(), fd, cmd, arg, err)
	}
	return v
}

// inFlight returns the number of blocking calls registered on task.
func inFlight(task *Task) int {
	task.mu.Lock()
	defer task.mu.Unlock()
	return len(task.calls)
}

// waitBlocked waits until task has n blocking calls in flight. A call
// registered but not yet asleep is fine for every use: an interruption
// cancels its context, which Wait checks before sleeping.
func waitBlocked(tb testing.TB, task *Task, n int) {
	tb.Helper()
	testutil.WaitFor(tb, "blocked calls", func() bool { return inFlight(task) >= n })
}

// result is what a blocking call returned.
type result struct {
	n   int
	err error
}

// await receives a result or fails the test after waitTimeout.
func await(tb testing.TB, ch <-chan result) result {
	tb.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(waitTimeout):
		tb.Fatal("timed out waiting for a blocking call to return")
		return result{}
	}
}

// goRead runs task.Read on a goroutine of its own.
func goRead(ctx context.Context, task *Task, fd int, p []byte) <-chan result {
	ch := make(chan result, 1)
	go func() {
		n, err := task.Read(ctx, fd, p)
		ch <- result{n, err}
	}()
	return ch
}

// goWrite runs task.Write on a goroutine of its own.
func goWrite(ctx context.Context, task *Task, fd int, p []byte) <-chan result {
	ch := make(chan result, 1)
	go func() {
		n, err := task.Write(ctx, fd, p)
		ch <- result{n, err}
	}()
	return ch
}

// sigLog records the signals a task's handlers received.
type sigLog struct {
	mu    sync.Mutex
	infos []SigInfo
}

// handler is a Sigaction handler appending to the log.
func (l *sigLog) handler(_ *Task, info *SigInfo) {
	l.mu.Lock()
	l.infos = append(l.infos, *info)
	l.mu.Unlock()
}

// got returns a copy of the received infos.
func (l *sigLog) got() []SigInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]SigInfo(nil), l.infos...)
}

// signos returns the received signal numbers.
func (l *sigLog) signos() []int {
	var s []int
	for _, i := range l.got() {
		s = append(s, i.Signo)
	}
	return s
}

// handle installs l's handler for sig on task with flags.
func (l *sigLog) handle(tb testing.TB, task *Task, sig, flags int) {
	tb.Helper()
	if _, err := task.Sigaction(sig, Sigaction{Handler: l.handler, Flags: flags}); err != nil {
		tb.Fatalf("Sigaction(%d): %v", sig, err)
	}
}
