package scull

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/fasync-go/fasync/kernel"
)

// testTimeout bounds every blocking call a test makes, so a bug shows up
// as a failure instead of a hung test binary.
const testTimeout = 10 * time.Second

// setup returns a fresh kernel with scullpipe devices registered per cfg;
// the kernel is closed when the test ends.
func setup(t testing.TB, cfg Config) (*kernel.Kernel, *Pipes) {
	t.Helper()
	k := kernel.New(kernel.Config{})
	t.Cleanup(func() { _ = k.Close() })
	ps, err := Register(k, cfg)
	if err != nil {
		t.Fatalf("Register(%+v): %v", cfg, err)
	}
	return k, ps
}

// bounded returns a context that ends after testTimeout or with the test.
func bounded(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// open opens a device on behalf of task or fails the test.
func open(t testing.TB, task *kernel.Task, name string, flags int) int {
	t.Helper()
	fd, err := task.Open(bounded(t), name, flags)
	if err != nil {
		t.Fatalf("%s: open %s flags %#x: %v", task.Name(), name, flags, err)
	}
	return fd
}

// fcntl runs a fcntl command or fails the test.
func fcntl(t testing.TB, task *kernel.Task, fd, cmd, arg int) int {
	t.Helper()
	r, err := task.Fcntl(fd, cmd, arg)
	if err != nil {
		t.Fatalf("%s: fcntl(%d, %d, %d): %v", task.Name(), fd, cmd, arg, err)
	}
	return r
}

// write writes all of p, looping over short writes (B4), or fails the test.
func write(t testing.TB, task *kernel.Task, fd int, p []byte) {
	t.Helper()
	for len(p) > 0 {
		n, err := task.Write(bounded(t), fd, p)
		if err != nil {
			t.Fatalf("%s: write fd %d: %v", task.Name(), fd, err)
		}
		p = p[n:]
	}
}

// read reads once into a buffer of size n and returns what came back, or
// fails the test.
func read(t testing.TB, task *kernel.Task, fd, n int) string {
	t.Helper()
	buf := make([]byte, n)
	got, err := task.Read(bounded(t), fd, buf)
	if err != nil {
		t.Fatalf("%s: read fd %d: %v", task.Name(), fd, err)
	}
	return string(buf[:got])
}

// wantErrno fails the test unless err is errno (errors.Is).
func wantErrno(t testing.TB, what string, err error, errno syscall.Errno) {
	t.Helper()
	if !errors.Is(err, errno) {
		t.Fatalf("%s: got error %v, want %v", what, err, errno)
	}
}

// catch installs a handler for sig on task that forwards each SigInfo to
// the returned channel.
func catch(t testing.TB, task *kernel.Task, sig, flags int) <-chan kernel.SigInfo {
	t.Helper()
	ch := make(chan kernel.SigInfo, 256)
	_, err := task.Sigaction(sig, kernel.Sigaction{
		Handler: func(_ *kernel.Task, info *kernel.SigInfo) { ch <- *info },
		Flags:   flags,
	})
	if err != nil {
		t.Fatalf("%s: sigaction(%d): %v", task.Name(), sig, err)
	}
	return ch
}

// pauseFor sleeps task in Pause until a handler has run and returns the
// signal info the handler recorded on ch.
func pauseFor(t testing.TB, task *kernel.Task, ch <-chan kernel.SigInfo) kernel.SigInfo {
	t.Helper()
	select {
	case info := <-ch: // delivered at an earlier safe point
		return info
	default:
	}
	if err := task.Pause(bounded(t)); !errors.Is(err, syscall.EINTR) {
		t.Fatalf("%s: pause: %v, want EINTR", task.Name(), err)
	}
	select {
	case info := <-ch:
		return info
	default:
		t.Fatalf("%s: pause returned but the handler recorded nothing", task.Name())
		return kernel.SigInfo{}
	}
}

// setAsync makes task the owner of fd, chooses sig (0 = plain SIGIO) and
// turns FASYNC on, keeping the other status flags (as asynctest does).
func setAsync(t testing.TB, task *kernel.Task, fd, owner, sig int) {
	t.Helper()
	fcntl(t, task, fd, kernel.F_SETOWN, owner)
	if sig != 0 {
		fcntl(t, task, fd, kernel.F_SETSIG, sig)
	}
	fl := fcntl(t, task, fd, kernel.F_GETFL, 0)
	fcntl(t, task, fd, kernel.F_SETFL, fl|kernel.FASYNC)
}

// file returns the open file behind task's fd.
func file(t testing.TB, task *kernel.Task, fd int) *kernel.File {
	t.Helper()
	f, err := task.File(fd)
	if err != nil {
		t.Fatalf("%s: file(%d): %v", task.Name(), fd, err)
	}
	return f
}

// result is what a blocking call started in a goroutine came back with.
type result struct {
	n    int
	err  error
	data string // what a read returned
}

// await waits (bounded) for a goroutine's result.
func await(t testing.TB, what string, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(testTimeout):
		t.Fatalf("timed out waiting for %s", what)
		return result{}
	}
}

// goRead starts a blocking read in a goroutine; the result carries the
// bytes read as well (data), since test goroutines must not call Fatal.
func goRead(ctx context.Context, task *kernel.Task, fd, n int) <-chan result {
	ch := make(chan result, 1)
	go func() {
		buf := make([]byte, n)
		got, err := task.Read(ctx, fd, buf)
		ch <- result{n: got, err: err, data: string(buf[:max(got, 0)])}
	}()
	return ch
}

// goWrite starts writing all of p in a goroutine, looping over short
// writes; the result's n is the total written.
func goWrite(ctx context.Context, task *kernel.Task, fd int, p []byte) <-chan result {
	ch := make(chan result, 1)
	go func() {
		total := 0
		for len(p) > 0 {
			n, err := task.Write(ctx, fd, p)
			total += n
			if err != nil {
				ch <- result{n: total, err: err}
				return
			}
			p = p[n:]
		}
		ch <- result{n: total}
	}()
	return ch
}
