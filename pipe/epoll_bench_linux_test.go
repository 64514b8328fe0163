package pipe_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/pipe"
	"golang.org/x/sys/unix"
)

// BenchmarkEpollWake measures epoll_wait's wake-up (SPEC E3) on the model
// kernel and, in the same run, on the real kernel, with 1, 100 and 10,000
// pipes watched by one epoll set. The pipes are FIFOs opened O_RDWR (model
// FIFOs from pipe.NewFIFO, real ones from mkfifo(3) in a temporary
// directory), one descriptor each, so that 10,000 fit in this machine's
// RLIMIT_NOFILE of 20,000, which a process here may not raise.
//
//   - wake: one goroutine sleeps in epoll_wait; each op writes one byte to
//     one of the watched pipes (the next of the first 64, so that both
//     kernels work on warm pipes whatever the size of the set), the sleeper
//     wakes, reads it and answers on an unwatched pipe, which the writer
//     reads: a round trip through one wake-up (ns/op is its latency).
//   - batch: each op writes one byte to each of the first 64 watched pipes
//     (1 with one pipe) and the sleeper harvests them with maxevents 64, reading
//     each, before it answers; ns/op is per event (throughput).
//
// The real side is raw system calls (unix.EpollWait, read, write), each
// side on a locked OS thread.
func BenchmarkEpollWake(b *testing.B) {
	for _, batch := range []bool{false, true} {
		mode := "wake"
		if batch {
			mode = "batch"
		}
		for _, n := range []int{1, 100, 10000} {
			b.Run(fmt.Sprintf("%s/model/files=%d", mode, n), func(b *testing.B) { benchModelEpoll(b, n, batch) })
			b.Run(fmt.Sprintf("%s/real/files=%d", mode, n), func(b *testing.B) { benchRealEpoll(b, n, batch) })
		}
	}
}

// perOp is how many pipes each op writes to.
func perOp(n int, batch bool) int {
	if batch {
		return min(n, 64)
	}
	return 1
}

// hot is how many of the watched pipes the ops write to, in turn.
func hot(n int) int { return min(n, 64) }

func benchModelEpoll(b *testing.B, n int, batch bool) {
	k := kernel.New(kernel.Config{NoFile: n + 16, FIFO: pipe.NewFIFO})
	defer k.Close()
	task := k.NewTask("bench", kernel.Cred{})
	ctx := context.Background()
	ep, err := task.EpollCreate1(0)
	if err != nil {
		b.Fatal(err)
	}
	w := make([]int, n)
	for i := range n {
		name := fmt.Sprintf("fifo%d", i)
		if err := task.Mkfifo(name, 0o600); err != nil {
			b.Fatal(err)
		}
		fd, err := task.Open(ctx, name, kernel.O_RDWR|kernel.O_NONBLOCK)
		if err != nil {
			b.Fatal(err)
		}
		w[i] = fd
		if err := task.EpollCtl(ep, kernel.EPOLL_CTL_ADD, fd, &kernel.EpollEvent{Events: kernel.EPOLLIN, Data: uint64(fd)}); err != nil {
			b.Fatal(err)
		}
	}
	pongR, pongW, err := pipe.Pipe2(task, 0)
	if err != nil {
		b.Fatal(err)
	}
	// Warm the pipes the ops use (each keeps its page once it had one)
	// and empty the ready list.
	for i := range hot(n) {
		task.Write(ctx, w[i], []byte{0})
	}
	for evs := make([]kernel.EpollEvent, 64); ; {
		c, _ := task.EpollWait(ctx, ep, evs, 0)
		if c == 0 {
			break
		}
		for _, ev := range evs[:c] {
			task.Read(ctx, int(ev.Data), make([]byte, 8))
		}
	}
	task.EpollWait(ctx, ep, make([]kernel.EpollEvent, 64), 0)
	m := perOp(n, batch)
	done := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		evs := make([]kernel.EpollEvent, 64)
		buf := make([]byte, 64)
		for {
			for got := 0; got < m; {
				c, err := task.EpollWait(ctx, ep, evs, -1)
				if err != nil {
					done <- err
					return
				}
				for _, ev := range evs[:c] {
					nr, _ := task.Read(ctx, int(ev.Data), buf)
					got += nr
				}
			}
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := task.Write(ctx, pongW, buf[:1]); err != nil {
				done <- err
				return
			}
		}
	}()
	one, pong := []byte{1}, make([]byte, 1)
	next := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += m {
		for range m {
			if _, err := task.Write(ctx, w[next], one); err != nil {
				b.Fatal(err)
			}
			next = (next + 1) % hot(n)
		}
		if _, err := task.Read(ctx, pongR, pong); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	for range m {
		task.Write(ctx, w[next], one)
		next = (next + 1) % hot(n)
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// raiseNofile makes room for want descriptors, reporting whether it could.
func raiseNofile(want uint64) bool {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return false
	}
	if lim.Cur >= want {
		return true
	}
	lim.Cur = want
	lim.Max = max(lim.Max, want)
	return unix.Setrlimit(unix.RLIMIT_NOFILE, &lim) == nil
}

func benchRealEpoll(b *testing.B, n int, batch bool) {
	if !raiseNofile(uint64(n + 64)) {
		b.Skipf("real epoll with %d FIFOs needs RLIMIT_NOFILE >= %d", n, n+64)
	}
	dir := b.TempDir()
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		b.Fatal(err)
	}
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	fds = append(fds, ep)
	w := make([]int, n)
	for i := range n {
		path := filepath.Join(dir, fmt.Sprintf("fifo%d", i))
		if err := unix.Mkfifo(path, 0o600); err != nil {
			b.Fatal(err)
		}
		fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		fds = append(fds, fd)
		w[i] = fd
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
			b.Fatal(err)
		}
	}
	var pong [2]int
	if err := unix.Pipe2(pong[:], unix.O_CLOEXEC); err != nil {
		b.Fatal(err)
	}
	fds = append(fds, pong[0], pong[1])
	for i := range hot(n) {
		unix.Write(w[i], []byte{0})
	}
	for evs := make([]unix.EpollEvent, 64); ; {
		c, _ := unix.EpollWait(ep, evs, 0)
		if c <= 0 {
			break
		}
		for _, ev := range evs[:c] {
			unix.Read(int(ev.Fd), make([]byte, 8))
		}
	}
	m := perOp(n, batch)
	done := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		evs := make([]unix.EpollEvent, 64)
		buf := make([]byte, 64)
		for {
			for got := 0; got < m; {
				c, err := unix.EpollWait(ep, evs, -1)
				if errors.Is(err, unix.EINTR) {
					continue
				}
				if err != nil {
					done <- err
					return
				}
				for _, ev := range evs[:c] {
					nr, _ := unix.Read(int(ev.Fd), buf)
					got += max(nr, 0)
				}
			}
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := unix.Write(pong[1], buf[:1]); err != nil {
				done <- err
				return
			}
		}
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	one, buf := []byte{1}, make([]byte, 1)
	next := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += m {
		for range m {
			if _, err := unix.Write(w[next], one); err != nil {
				b.Fatal(err)
			}
			next = (next + 1) % hot(n)
		}
		for {
			_, err := unix.Read(pong[0], buf)
			if !errors.Is(err, unix.EINTR) {
				if err != nil {
					b.Fatal(err)
				}
				break
			}
		}
	}
	b.StopTimer()
	close(stop)
	for range m {
		unix.Write(w[next], one)
		next = (next + 1) % hot(n)
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
