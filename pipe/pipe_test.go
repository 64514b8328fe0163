package pipe_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/pipe"
)

// These tests check the model pipe's own promises (SPEC P1) where the
// conformance suite cannot reach: interruptions, concurrency, the kernel's
// hooks. Each cites the SPEC IDs it checks.

// deadline bounds every wait; reaching it is a failure.
const deadline = 10 * time.Second

func newTask(t *testing.T, cred kernel.Cred) (*kernel.Kernel, *kernel.Task) {
	t.Helper()
	k := kernel.New(kernel.Config{})
	t.Cleanup(func() { k.Close() })
	return k, k.NewTask("t", cred)
}

func mustPipe(t *testing.T, task *kernel.Task, flags int) (int, int) {
	t.Helper()
	r, w, err := pipe.Pipe2(task, flags)
	if err != nil {
		t.Fatalf("Pipe2: %v", err)
	}
	return r, w
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}

// sleepsIn waits until the pipe behind fd counts a sleeping reader
// (writer when write is true).
func sleepsIn(t *testing.T, task *kernel.Task, fd int, write bool) {
	t.Helper()
	f, err := task.File(fd)
	if err != nil {
		t.Fatal(err)
	}
	p := f.Driver().(*pipe.Pipe)
	ok := waitFor(func() bool {
		st := p.Status()
		if write {
			return st.SleepingWriters > 0
		}
		return st.SleepingReaders > 0
	})
	if !ok {
		t.Fatal("the call never went to sleep")
	}
}

// readToEOF reads fd in reads of size bytes until end of file.
func readToEOF(t *testing.T, task *kernel.Task, fd, size int) []byte {
	t.Helper()
	ctx := ctxT(t)
	var out []byte
	buf := make([]byte, size)
	for {
		n, err := task.Read(ctx, fd, buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return out
		}
		out = append(out, buf[:n]...)
	}
}

// TestPipe2 checks pipe2's flags and descriptors (P1).
func TestPipe2(t *testing.T) {
	_, task := newTask(t, kernel.Cred{})
	r, w := mustPipe(t, task, kernel.O_NONBLOCK|kernel.O_CLOEXEC|kernel.O_DIRECT)
	if r != 0 || w != 1 {
		t.Errorf("descriptors %d, %d; want the lowest free ones, 0 and 1", r, w)
	}
	for fd, want := range map[int]int{
		r: kernel.O_RDONLY | kernel.O_NONBLOCK,
		w: kernel.O_WRONLY | kernel.O_NONBLOCK | kernel.O_DIRECT,
	} {
		if fl, _ := task.Fcntl(fd, kernel.F_GETFL, 0); fl != want {
			t.Errorf("P1: F_GETFL(%d) = %#x, want %#x", fd, fl, want)
		}
		if v, _ := task.Fcntl(fd, kernel.F_GETFD, 0); v != kernel.FD_CLOEXEC {
			t.Errorf("P1: O_CLOEXEC: F_GETFD(%d) = %d", fd, v)
		}
	}
	for _, bad := range []int{kernel.O_APPEND, kernel.O_ASYNC, kernel.O_WRONLY, 1 << 30} {
		if _, _, err := pipe.Pipe2(task, bad); !errors.Is(err, kernel.EINVAL) {
			t.Errorf("P1: Pipe2(%#x) = %v, want EINVAL", bad, err)
		}
	}
}

// TestInstallFilesAllOrNothing: with room for one descriptor, pipe2
// fails with EMFILE and installs neither end (P1).
func TestInstallFilesAllOrNothing(t *testing.T) {
	_, task := newTask(t, kernel.Cred{})
	r, _ := mustPipe(t, task, 0)
	var last int
	for {
		fd, err := task.Dup(r)
		if errors.Is(err, kernel.EMFILE) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		last = fd
	}
	if err := task.Close(last); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pipe.Pipe2(task, 0); !errors.Is(err, kernel.EMFILE) {
		t.Fatalf("Pipe2 with one free slot = %v, want EMFILE", err)
	}
	if fd, err := task.Dup(r); err != nil || fd != last {
		t.Errorf("after the failed Pipe2 the free slot is %d (%v), want %d: a descriptor was left behind", fd, err, last)
	}
	if _, err := task.InstallFiles("x", nil, kernel.O_RDONLY); !errors.Is(err, kernel.EINVAL) {
		t.Errorf("InstallFiles(nil driver) = %v, want EINVAL", err)
	}
	if _, err := task.InstallFiles("x", pipe.New(0), kernel.O_ACCMODE); !errors.Is(err, kernel.EINVAL) {
		t.Errorf("InstallFiles(O_ACCMODE) = %v, want EINVAL", err)
	}
	task.Exit()
	if _, _, err := pipe.Pipe2(task, 0); !errors.Is(err, kernel.ESRCH) {
		t.Errorf("Pipe2 on an exited task = %v, want ESRCH", err)
	}
}

// TestReadInterrupted: a reader asleep on an empty pipe is interrupted by
// a handled signal: EINTR, or, with SA_RESTART, it sleeps on and gets the
// data (P1, S3).
func TestReadInterrupted(t *testing.T) {
	for _, restart := range []bool{false, true} {
		k, task := newTask(t, kernel.Cred{})
		ctx := ctxT(t)
		act := kernel.Sigaction{Handler: func(*kernel.Task, *kernel.SigInfo) {}}
		if restart {
			act.Flags = kernel.SA_RESTART
		}
		if _, err := task.Sigaction(kernel.SIGUSR1, act); err != nil {
			t.Fatal(err)
		}
		r, w := mustPipe(t, task, 0)
		type result struct {
			n   int
			err error
		}
		res := make(chan result, 1)
		go func() {
			n, err := task.Read(ctx, r, make([]byte, 10))
			res <- result{n, err}
		}()
		sleepsIn(t, task, r, false)
		if err := k.Kill(task.Pid(), kernel.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		if restart {
			sleepsIn(t, task, r, false) // asleep again after the handler
			if _, err := task.Write(ctx, w, []byte("hi")); err != nil {
				t.Fatal(err)
			}
		}
		got := <-res
		switch {
		case restart && (got.n != 2 || got.err != nil):
			t.Errorf("S3: SA_RESTART read = %d, %v; want 2, nil", got.n, got.err)
		case !restart && !errors.Is(got.err, kernel.EINTR):
			t.Errorf("S3: interrupted read = %d, %v; want EINTR", got.n, got.err)
		}
	}
}

// TestWriteInterrupted: a writer asleep on a full ring that has written
// part of its data returns that count when a signal interrupts it; one
// that has written nothing gets EINTR (P1, S3).
func TestWriteInterrupted(t *testing.T) {
	for _, fullFirst := range []bool{false, true} {
		k, task := newTask(t, kernel.Cred{})
		ctx := ctxT(t)
		if _, err := task.Sigaction(kernel.SIGUSR1, kernel.Sigaction{Handler: func(*kernel.Task, *kernel.SigInfo) {}}); err != nil {
			t.Fatal(err)
		}
		_, w := mustPipe(t, task, 0)
		if fullFirst {
			if n, err := task.Write(ctx, w, make([]byte, 64<<10)); n != 64<<10 || err != nil {
				t.Fatalf("fill: %d, %v", n, err)
			}
		}
		res := make(chan [2]any, 1)
		go func() {
			n, err := task.Write(ctx, w, make([]byte, 100<<10))
			res <- [2]any{n, err}
		}()
		sleepsIn(t, task, w, true)
		if err := k.Kill(task.Pid(), kernel.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		got := <-res
		n, err := got[0].(int), got[1]
		if fullFirst {
			if e, _ := err.(error); !errors.Is(e, kernel.EINTR) {
				t.Errorf("S3: interrupted write that wrote nothing = %d, %v; want EINTR", n, err)
			}
		} else if n != 64<<10 || err != nil {
			t.Errorf("P1: interrupted write = %d, %v; want the 65536 bytes written, no error", n, err)
		}
	}
}

// TestAtomicWritesInterleaveWhole: writers racing on one pipe with writes
// of at most PIPE_BUF bytes never interleave within a write (P1).
func TestAtomicWritesInterleaveWhole(t *testing.T) {
	_, task := newTask(t, kernel.Cred{})
	ctx := ctxT(t)
	r, w := mustPipe(t, task, 0)
	const writers, records, size = 4, 300, 1000
	var wg sync.WaitGroup
	for id := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := bytes.Repeat([]byte{'A' + byte(id)}, size)
			for range records {
				if n, err := task.Write(ctx, w, rec); n != size || err != nil {
					t.Errorf("write: %d, %v", n, err)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); task.Close(w) }()
	stream := readToEOF(t, task, r, 7000) // reads of no multiple of the record size
	if len(stream) != writers*records*size {
		t.Fatalf("read %d bytes, want %d", len(stream), writers*records*size)
	}
	for i := 0; i < len(stream); i += size {
		rec := stream[i : i+size]
		if bytes.Count(rec, rec[:1]) != size {
			t.Fatalf("P1: record at %d mixes writers: a write of %d bytes was split", i, size)
		}
	}
}

// TestBlockingTransfer: a write larger than the ring sleeps until a reader
// makes room, and every byte arrives in order (P1, M1).
func TestBlockingTransfer(t *testing.T) {
	_, task := newTask(t, kernel.Cred{})
	ctx := ctxT(t)
	r, w := mustPipe(t, task, 0)
	data := make([]byte, 300<<10)
	for i := range data {
		data[i] = byte(i * 7)
	}
	done := make(chan error, 1)
	go func() {
		n, err := task.Write(ctx, w, data)
		if err == nil && n != len(data) {
			err = errors.New("short write")
		}
		task.Close(w)
		done <- err
	}()
	got := readToEOF(t, task, r, 5000)
	if err := <-done; err != nil {
		t.Fatalf("M1: blocking write: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("M1: read %d bytes, not what was written", len(got))
	}
}

// TestPollWakesUp: a poll asleep on an empty pipe wakes with POLLIN for a
// write and with POLLHUP when the last writer closes (P1, M3).
func TestPollWakesUp(t *testing.T) {
	_, task := newTask(t, kernel.Cred{})
	ctx := ctxT(t)
	r, w := mustPipe(t, task, 0)
	for _, step := range []struct {
		before, act func()
		want        int16
	}{
		{func() {}, func() { task.Write(ctx, w, []byte("x")) }, kernel.POLLIN | kernel.POLLRDNORM},
		{func() { task.Read(ctx, r, make([]byte, 1)) }, func() { task.Close(w) }, kernel.POLLHUP},
	} {
		step.before()
		res := make(chan int16, 1)
		go func() {
			fds := []kernel.PollFd{{Fd: r, Events: kernel.POLLIN | kernel.POLLRDNORM}}
			if _, err := task.Poll(ctx, fds, deadline); err != nil {
				t.Error(err)
			}
			res <- fds[0].Revents
		}()
		step.act()
		if got := <-res; got != step.want {
			t.Errorf("M3: poll woke with %#x, want %#x", got, step.want)
		}
	}
}

// TestNowaitAndKernelClose: RWF_NOWAIT reads EAGAIN without O_NONBLOCK;
// Kernel.Close wakes a sleeping reader (P1, M2): with EBADF, or with end
// of file when the task's own write end was closed first — the exit
// closes every descriptor, and a woken read looks at the pipe once more.
func TestNowaitAndKernelClose(t *testing.T) {
	k, task := newTask(t, kernel.Cred{})
	ctx := ctxT(t)
	r, _ := mustPipe(t, task, 0)
	if _, err := task.ReadFlags(ctx, r, make([]byte, 1), kernel.RWF_NOWAIT); !errors.Is(err, kernel.EAGAIN) {
		t.Errorf("M2: RWF_NOWAIT read on an empty pipe = %v, want EAGAIN", err)
	}
	res := make(chan error, 1)
	go func() {
		n, err := task.Read(ctx, r, make([]byte, 1))
		if err == nil && n != 0 {
			err = errors.New("read data from an empty pipe")
		}
		res <- err
	}()
	sleepsIn(t, task, r, false)
	k.Close()
	if err := <-res; err != nil && !errors.Is(err, kernel.EBADF) {
		t.Errorf("read during Kernel.Close = %v, want EBADF or end of file", err)
	}
}

// TestSigpipe: SIGPIPE goes to the writing task, not to the file's owner;
// its default action ends the task, ignoring it leaves just EPIPE (P1, K1).
func TestSigpipe(t *testing.T) {
	k, writer := newTask(t, kernel.Cred{})
	owner := k.NewTask("owner", kernel.Cred{})
	got := make(chan int, 4)
	for _, task := range []*kernel.Task{writer, owner} {
		task.Sigaction(kernel.SIGPIPE, kernel.Sigaction{Handler: func(t *kernel.Task, si *kernel.SigInfo) {
			got <- t.Pid()
		}})
	}
	ctx := ctxT(t)
	r, w := mustPipe(t, writer, 0)
	writer.Fcntl(w, kernel.F_SETOWN, owner.Pid())
	writer.Close(r)
	if _, err := writer.Write(ctx, w, []byte("x")); !errors.Is(err, kernel.EPIPE) {
		t.Fatalf("write with no reader = %v, want EPIPE", err)
	}
	if pid := <-got; pid != writer.Pid() {
		t.Errorf("K1: SIGPIPE reached pid %d, want the writer %d", pid, writer.Pid())
	}

	ign := k.NewTask("ignores", kernel.Cred{})
	ign.Sigaction(kernel.SIGPIPE, kernel.Sigaction{Ignore: true})
	r, w = mustPipe(t, ign, 0)
	ign.Close(r)
	if _, err := ign.Write(ctx, w, []byte("x")); !errors.Is(err, kernel.EPIPE) || !ign.Alive() {
		t.Errorf("K1: ignored SIGPIPE: write = %v, alive %v; want EPIPE, alive", err, ign.Alive())
	}

	def := k.NewTask("default", kernel.Cred{})
	r, w = mustPipe(t, def, 0)
	def.Close(r)
	def.Write(ctx, w, []byte("x"))
	if !waitFor(func() bool { return !def.Alive() }) {
		t.Error("K1: SIGPIPE's default action did not end the writer")
	}
}

// TestSigpipeToWritingThread: SIGPIPE is thread-directed (send_sig to
// current): the thread that wrote gets it, even when the main thread
// does not block it, and a writing thread that blocks it keeps it
// pending on itself (P1, K1, T2).
func TestSigpipeToWritingThread(t *testing.T) {
	_, main := newTask(t, kernel.Cred{})
	worker, err := main.NewThread("worker")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan int, 4)
	main.Sigaction(kernel.SIGPIPE, kernel.Sigaction{Handler: func(t *kernel.Task, si *kernel.SigInfo) {
		got <- t.Tid()
	}})
	ctx := ctxT(t)
	r, w := mustPipe(t, main, 0)
	main.Close(r)
	if _, err := worker.Write(ctx, w, []byte("x")); !errors.Is(err, kernel.EPIPE) {
		t.Fatalf("write with no reader = %v, want EPIPE", err)
	}
	if tid := <-got; tid != worker.Tid() {
		t.Errorf("T2: SIGPIPE ran on thread %d, want the writing thread %d", tid, worker.Tid())
	}
	set := kernel.SigsetOf(kernel.SIGPIPE)
	worker.Sigprocmask(kernel.SIG_BLOCK, &set)
	if _, err := worker.Write(ctx, w, []byte("x")); !errors.Is(err, kernel.EPIPE) {
		t.Fatalf("write with no reader = %v, want EPIPE", err)
	}
	main.Getppid() // a safe point of the main thread: it must not take it
	if worker.Sigpending() != set || main.Sigpending() != 0 || len(got) != 0 {
		t.Errorf("T2: blocked SIGPIPE: worker pending %#x, main %#x, handled %d",
			uint64(worker.Sigpending()), uint64(main.Sigpending()), len(got))
	}
}

// TestReleaseAndStatus: Status follows the ends; the last close frees the
// ring (P1).
func TestReleaseAndStatus(t *testing.T) {
	_, task := newTask(t, kernel.Cred{})
	ctx := ctxT(t)
	r, w := mustPipe(t, task, 0)
	f, _ := task.File(r)
	p := f.Driver().(*pipe.Pipe)
	task.Write(ctx, w, make([]byte, 5000))
	want := pipe.Status{Size: 64 << 10, Held: 5000, Slots: 2, Readers: 1, Writers: 1}
	if st := p.Status(); st != want {
		t.Errorf("P1: Status = %+v, want %+v", st, want)
	}
	task.Close(w)
	task.Close(r)
	if st := p.Status(); st.Held != 0 || st.Readers != 0 || st.Writers != 0 {
		t.Errorf("P1: after the last close Status = %+v, want nothing held or open", st)
	}
}
