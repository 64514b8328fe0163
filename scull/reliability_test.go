package scull

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/fasync-go/fasync/internal/testutil"
	"github.com/fasync-go/fasync/kernel"
)

// TestReliabilityManyToMany: 8 writer and 8 reader tasks move 10^6 bytes
// through one scullpipe, with chunk sizes that make short writes and
// non-wrapping reads (B3, B4) happen all the time, and every byte arrives
// exactly once.
//
// Short writes split a chunk anywhere, so records cannot be framed. Instead
// each byte value belongs to exactly one writer: writer w sends the values
// w*cycle .. w*cycle+cycle-1 in turn, perWriter/cycle times each, and the
// readers count every value. A lost byte leaves a count short, a byte
// delivered twice leaves one long.
func TestReliabilityManyToMany(t *testing.T) {
	const (
		writers, readers = 8, 8
		total            = 1_000_000
		perWriter        = total / writers // 125,000
		cycle            = 25              // 125,000 = 25 × 5,000
	)
	k, ps := setup(t, Config{Devices: 1})
	ctx := bounded(t)
	rctx, stopReaders := context.WithCancel(ctx)
	defer stopReaders()

	var received atomic.Int64
	var counts [256]atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers+readers)
	for r := range readers {
		task := k.NewTask("reader", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_RDONLY)
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 1))
			buf := make([]byte, 1024)
			for {
				n, err := task.Read(rctx, fd, buf[:1+rng.IntN(len(buf))])
				if err != nil {
					if rctx.Err() == nil {
						errs <- err
					}
					return
				}
				for _, b := range buf[:n] {
					counts[b].Add(1)
				}
				if received.Add(int64(n)) >= total {
					stopReaders() // everything is in: wake the readers still asleep
				}
			}
		})
	}
	for w := range writers {
		task := k.NewTask("writer", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_WRONLY)
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 2))
			data := make([]byte, perWriter)
			for i := range data {
				data[i] = byte(w*cycle + i%cycle)
			}
			for p := data; len(p) > 0; {
				n, err := task.Write(ctx, fd, p[:min(len(p), 1+rng.IntN(700))])
				if err != nil {
					errs <- err
					return
				}
				p = p[n:]
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("transfer failed: %v", err)
	}
	if got := received.Load(); got != total {
		t.Fatalf("received %d bytes, want %d", got, total)
	}
	for v := range counts {
		want := int64(0)
		if v < writers*cycle {
			want = perWriter / cycle
		}
		if got := counts[v].Load(); got != want {
			t.Errorf("value %d arrived %d times, want %d", v, got, want)
		}
	}
	if s := ps.Pipe(0).Status(); s.Held != 0 {
		t.Errorf("%d bytes left in the device", s.Held)
	}
}

// TestReliabilityCloseWakes: closing a descriptor a task is blocked on
// wakes the task with EBADF, for a reader on an empty device and a writer
// on a full one (B3, B4 "interruptible").
func TestReliabilityCloseWakes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		flags  int
		fill   int
		call   func(task *kernel.Task, fd int) error
		asleep func(Status) bool
	}{
		{"B3/close-wakes-reader", kernel.O_RDONLY, 0, func(task *kernel.Task, fd int) error {
			_, err := task.Read(context.Background(), fd, make([]byte, 10))
			return err
		}, func(s Status) bool { return s.BlockedReaders == 1 }},
		{"B4/close-wakes-writer", kernel.O_WRONLY, 9, func(task *kernel.Task, fd int) error {
			_, err := task.Write(context.Background(), fd, []byte("x"))
			return err
		}, func(s Status) bool { return s.BlockedWriters == 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, ps := setup(t, Config{Devices: 1, Size: 10})
			task := k.NewTask("t", kernel.Cred{})
			fd := open(t, task, "scullpipe0", tc.flags)
			if tc.fill > 0 {
				write(t, task, fd, make([]byte, tc.fill))
			}
			done := make(chan result, 1)
			go func() { done <- result{err: tc.call(task, fd)} }()
			testutil.WaitFor(t, "task asleep in the device", func() bool { return tc.asleep(ps.Pipe(0).Status()) })
			if err := task.Close(fd); err != nil {
				t.Fatal(err)
			}
			wantErrno(t, "blocked call after close", await(t, "woken call", done).err, syscall.EBADF)
			if s := ps.Pipe(0).Status(); s.Readers+s.Writers != 0 || s.Allocated {
				t.Fatalf("B8: device not released after the close: %v", s)
			}
		})
	}
}

// TestReliabilityKernelClose: closing the kernel wakes every blocked call
// (read, write, poll, pause) with an error, and leaves no goroutine behind.
func TestReliabilityKernelClose(t *testing.T) {
	before := runtime.NumGoroutine()
	k := kernel.New(kernel.Config{})
	ps, err := Register(k, Config{Devices: 2, Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	r, w := k.NewTask("r", kernel.Cred{}), k.NewTask("w", kernel.Cred{})
	p, pa := k.NewTask("p", kernel.Cred{}), k.NewTask("pause", kernel.Cred{})
	rfd := open(t, r, "scullpipe0", kernel.O_RDONLY)
	setAsync(t, r, rfd, r.Pid(), 0)
	wfd := open(t, w, "scullpipe1", kernel.O_WRONLY)
	write(t, w, wfd, make([]byte, 9))
	pfd := open(t, p, "scullpipe0", kernel.O_RDONLY)

	calls := map[string]func() error{
		"read":  func() error { _, err := r.Read(context.Background(), rfd, make([]byte, 1)); return err },
		"write": func() error { _, err := w.Write(context.Background(), wfd, []byte("x")); return err },
		"poll": func() error {
			fds := []kernel.PollFd{{Fd: pfd, Events: kernel.POLLIN}}
			n, err := p.Poll(context.Background(), fds, -1)
			if err == nil && n == 1 && fds[0].Revents&kernel.POLLNVAL != 0 {
				// The poll began after Close had closed the descriptor
				// (nothing here waits for it to sleep first): POLLNVAL,
				// as poll(2) reports a closed descriptor.
				return syscall.EBADF
			}
			return err
		},
		"pause": func() error { return pa.Pause(context.Background()) },
	}
	type outcome struct {
		name string
		err  error
	}
	out := make(chan outcome, len(calls))
	for name, call := range calls {
		go func() { out <- outcome{name, call()} }()
	}
	testutil.WaitFor(t, "reader and writer asleep", func() bool {
		return ps.Pipe(0).Status().BlockedReaders == 1 && ps.Pipe(1).Status().BlockedWriters == 1
	})
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	for range calls {
		var o outcome
		select {
		case o = <-out:
		case <-bounded(t).Done():
			t.Fatal("a blocked call did not return after kernel Close")
		}
		if o.err == nil {
			t.Errorf("%s returned nil after kernel Close", o.name)
		} else if o.name == "read" || o.name == "write" {
			wantErrno(t, o.name, o.err, syscall.EBADF)
		}
	}
	for _, s := range ps.Status() {
		if s.Readers+s.Writers+s.AsyncReaders+s.AsyncWriters != 0 || s.Allocated {
			t.Errorf("after kernel Close: %v", s)
		}
	}
	testutil.WaitFor(t, "goroutines to drain after kernel Close", func() bool {
		return runtime.NumGoroutine() <= before
	})
	if err := k.Close(); err != nil {
		t.Errorf("second kernel Close: %v", err)
	}
}
