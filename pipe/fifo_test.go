package pipe_test

import (
	"context"
	"errors"
	"testing"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/pipe"
)

// newFIFOKernel returns a kernel that makes FIFOs, a task on it, and a
// FIFO named "fifo".
func newFIFOKernel(t *testing.T) (*kernel.Kernel, *kernel.Task, *pipe.FIFO) {
	t.Helper()
	k := kernel.New(kernel.Config{FIFO: pipe.NewFIFO})
	t.Cleanup(func() { k.Close() })
	task := k.NewTask("t", kernel.Cred{})
	if err := task.Mkfifo("fifo", 0o644); err != nil {
		t.Fatalf("Mkfifo: %v", err)
	}
	d, _ := k.Device("fifo")
	return k, task, d.(*pipe.FIFO)
}

// openResult is what a concurrent Open returned.
type openResult struct {
	fd  int
	err error
}

func goOpen(ctx context.Context, task *kernel.Task, name string, flags int) <-chan openResult {
	ch := make(chan openResult, 1)
	go func() {
		fd, err := task.Open(ctx, name, flags)
		ch <- openResult{fd, err}
	}()
	return ch
}

// counted waits until the FIFO's pipe counts the readers and writers.
func counted(t *testing.T, fi *pipe.FIFO, readers, writers int) {
	t.Helper()
	if !waitFor(func() bool {
		st, ok := fi.Status()
		return ok && st.Readers == readers && st.Writers == writers
	}) {
		st, _ := fi.Status()
		t.Fatalf("FIFO counts %d readers and %d writers, want %d and %d", st.Readers, st.Writers, readers, writers)
	}
}

func awaitOpen(t *testing.T, ch <-chan openResult) openResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-ctxT(t).Done():
		t.Fatal("open never returned")
		return openResult{}
	}
}

// TestMknod checks SPEC E7: mknod's node types and errors, unlink.
func TestMknod(t *testing.T) {
	k, task, _ := newFIFOKernel(t)
	cases := []struct {
		path string
		mode uint32
		want error
	}{
		{"fifo", kernel.S_IFIFO | 0o600, kernel.EEXIST},
		{".", kernel.S_IFIFO, kernel.EEXIST},
		{"", kernel.S_IFIFO, kernel.ENOENT},
		{"", kernel.S_IFCHR, kernel.ENOENT}, // the path is looked up before the mode
		{"dir/fifo", kernel.S_IFIFO, kernel.ENOENT},
		{"reg", kernel.S_IFREG | 0o600, kernel.EPERM},
		{"reg0", 0o600, kernel.EPERM},
		{"chr", kernel.S_IFCHR, kernel.EPERM},
		{"dir", kernel.S_IFDIR, kernel.EPERM},
		{"bad", 0o170000, kernel.EINVAL},
		{"fifo2", kernel.S_IFIFO | 0o600, nil},
	}
	for _, c := range cases {
		if err := task.Mknod(c.path, c.mode, 0); err != c.want {
			t.Errorf("E7: Mknod(%q, %#o) = %v, want %v", c.path, c.mode, err, c.want)
		}
	}
	if err := task.Unlink("fifo2"); err != nil {
		t.Errorf("Unlink: %v", err)
	}
	if err := task.Unlink("fifo2"); err != kernel.ENOENT {
		t.Errorf("Unlink twice: %v, want ENOENT", err)
	}
	if _, err := task.Open(context.Background(), "fifo2", kernel.O_RDWR); err != kernel.ENOENT {
		t.Errorf("open of an unlinked FIFO: %v, want ENOENT", err)
	}
	plain := kernel.New(kernel.Config{})
	defer plain.Close()
	if err := plain.NewTask("t", kernel.Cred{}).Mkfifo("f", 0o600); err != kernel.EPERM {
		t.Errorf("E7: Mkfifo on a kernel without FIFOs = %v, want EPERM", err)
	}
	_ = k
}

// TestFIFONonblockOpens checks SPEC E7: O_NONBLOCK opens, ENXIO, and the
// POLLHUP rule for a reader that has never seen a writer.
func TestFIFONonblockOpens(t *testing.T) {
	_, task, fi := newFIFOKernel(t)
	ctx := ctxT(t)
	if _, err := task.Open(ctx, "fifo", kernel.O_WRONLY|kernel.O_NONBLOCK); err != kernel.ENXIO {
		t.Fatalf("E7: O_NONBLOCK write-open with no reader = %v, want ENXIO", err)
	}
	if _, ok := fi.Status(); ok {
		t.Error("E7: a failed open left a pipe behind")
	}
	r, err := task.Open(ctx, "fifo", kernel.O_RDONLY|kernel.O_NONBLOCK)
	if err != nil {
		t.Fatalf("E7: O_NONBLOCK read-open = %v", err)
	}
	fds := []kernel.PollFd{{Fd: r, Events: kernel.POLLIN}}
	if n, _ := task.Poll(ctx, fds, 0); n != 0 {
		t.Errorf("E7: a reader that never saw a writer polls %#x, want no POLLHUP", fds[0].Revents)
	}
	if n, err := task.Read(ctx, r, make([]byte, 8)); n != 0 || err != nil {
		t.Errorf("E7: read with no writer = %d, %v; want end of file", n, err)
	}
	w, err := task.Open(ctx, "fifo", kernel.O_WRONLY|kernel.O_NONBLOCK)
	if err != nil {
		t.Fatalf("E7: O_NONBLOCK write-open with a reader = %v", err)
	}
	if _, err := task.Write(ctx, w, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if n, err := task.Read(ctx, r, buf); n != 2 || err != nil || string(buf[:2]) != "hi" {
		t.Errorf("P1 through a FIFO: %d %v %q", n, err, buf[:n])
	}
	task.Close(w)
	if n, _ := task.Poll(ctx, fds, 0); n != 1 || fds[0].Revents != kernel.POLLHUP {
		t.Errorf("E7: after a writer came and went: revents %#x, want POLLHUP", fds[0].Revents)
	}
	task.Close(r)
	if _, ok := fi.Status(); ok {
		t.Error("E7: the pipe outlived its last file")
	}
}

// TestFIFOBlockingOpens checks SPEC E7: a read-open waits for a writer, a
// write-open for a reader, O_RDWR never waits; data written before the
// last close is gone with the pipe.
func TestFIFOBlockingOpens(t *testing.T) {
	_, task, fi := newFIFOKernel(t)
	ctx := ctxT(t)
	rch := goOpen(ctx, task, "fifo", kernel.O_RDONLY)
	counted(t, fi, 1, 0)
	w, err := task.Open(ctx, "fifo", kernel.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	rr := awaitOpen(t, rch)
	if rr.err != nil {
		t.Fatalf("E7: the waiting read-open returned %v", rr.err)
	}
	task.Close(rr.fd)
	task.Close(w)

	wch := goOpen(ctx, task, "fifo", kernel.O_WRONLY)
	counted(t, fi, 0, 1)
	r, err := task.Open(ctx, "fifo", kernel.O_RDONLY|kernel.O_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	wr := awaitOpen(t, wch)
	if wr.err != nil {
		t.Fatalf("E7: the waiting write-open returned %v", wr.err)
	}
	task.Write(ctx, wr.fd, []byte("lost"))
	task.Close(wr.fd)
	task.Close(r)

	rw, err := task.Open(ctx, "fifo", kernel.O_RDWR)
	if err != nil {
		t.Fatalf("E7: O_RDWR open = %v", err)
	}
	if st, _ := fi.Status(); st.Held != 0 {
		t.Errorf("E7: a new pipe holds %d bytes from the last one", st.Held)
	}
	task.Close(rw)
}

// TestFIFOOpenInterrupted checks SPEC E7 with S3: a waiting open is
// interruptible (EINTR), restarts under SA_RESTART, and an interrupted
// open leaves no count behind.
func TestFIFOOpenInterrupted(t *testing.T) {
	k, task, fi := newFIFOKernel(t)
	ctx := ctxT(t)
	for _, flags := range []int{0, kernel.SA_RESTART} {
		ran := make(chan struct{}, 1)
		task.Sigaction(kernel.SIGUSR1, kernel.Sigaction{Flags: flags, Handler: func(*kernel.Task, *kernel.SigInfo) { ran <- struct{}{} }})
		ch := goOpen(ctx, task, "fifo", kernel.O_RDONLY)
		counted(t, fi, 1, 0)
		k.Kill(task.Pid(), kernel.SIGUSR1)
		<-ran
		if flags == 0 {
			if r := awaitOpen(t, ch); r.err != kernel.EINTR {
				t.Fatalf("E7: interrupted read-open = %v, want EINTR", r.err)
			}
			if _, ok := fi.Status(); ok {
				t.Error("E7: an interrupted open left a pipe behind")
			}
			continue
		}
		counted(t, fi, 1, 0) // restarted: waiting again
		w, err := task.Open(ctx, "fifo", kernel.O_WRONLY)
		if err != nil {
			t.Fatal(err)
		}
		r := awaitOpen(t, ch)
		if r.err != nil {
			t.Fatalf("E7: restarted read-open = %v", r.err)
		}
		task.Close(w)
		task.Close(r.fd)
	}
}

// TestFIFOEpoll checks SPEC E7 with E4: a FIFO under epoll, edge
// triggered, with a partial read: the pipe's keyed wake-ups re-arm the
// reader only when data arrives.
func TestFIFOEpoll(t *testing.T) {
	_, task, _ := newFIFOKernel(t)
	ctx := ctxT(t)
	r, _ := task.Open(ctx, "fifo", kernel.O_RDONLY|kernel.O_NONBLOCK)
	w, _ := task.Open(ctx, "fifo", kernel.O_WRONLY)
	ep, _ := task.EpollCreate1(0)
	if err := task.EpollCtl(ep, kernel.EPOLL_CTL_ADD, r, &kernel.EpollEvent{Events: kernel.EPOLLIN | kernel.EPOLLET, Data: 1}); err != nil {
		t.Fatal(err)
	}
	task.Write(ctx, w, []byte("0123456789"))
	evs := make([]kernel.EpollEvent, 4)
	if n, _ := task.EpollWait(ctx, ep, evs, 0); n != 1 || evs[0].Events != kernel.EPOLLIN {
		t.Fatalf("E4: first wait %d %v", n, evs[:n])
	}
	task.Read(ctx, r, make([]byte, 5))
	if n, _ := task.EpollWait(ctx, ep, evs, 0); n != 0 {
		t.Errorf("E4: EPOLLET after a partial read reported %v, as Linux does not", evs[:n])
	}
	task.Close(w)
	if n, _ := task.EpollWait(ctx, ep, evs, 0); n != 1 || evs[0].Events != kernel.EPOLLIN|kernel.EPOLLHUP {
		t.Errorf("E4: last writer closed: %d %v, want IN|HUP", n, evs[:n])
	}
}

// TestPipe2Nil checks P1's bad-input rule: no panic for a nil task.
func TestPipe2Nil(t *testing.T) {
	if _, _, err := pipe.Pipe2(nil, 0); !errors.Is(err, kernel.EFAULT) {
		t.Errorf("Pipe2(nil, 0) = %v, want EFAULT", err)
	}
}

// TestPipeEpollEdges checks SPEC E4 on a pipe's keyed wake-ups, as
// fs/pipe.c makes them: a read re-arms an edge-triggered writer only when
// it frees room in a full pipe; once the pipe has been polled, every
// write wakes the readers, even one that found the pipe full.
func TestPipeEpollEdges(t *testing.T) {
	_, task := newTask(t, kernel.Cred{})
	ctx := ctxT(t)
	r, w := mustPipe(t, task, kernel.O_NONBLOCK)
	ep, _ := task.EpollCreate1(0)
	task.EpollCtl(ep, kernel.EPOLL_CTL_ADD, w, &kernel.EpollEvent{Events: kernel.EPOLLOUT | kernel.EPOLLET, Data: 1})
	task.EpollCtl(ep, kernel.EPOLL_CTL_ADD, r, &kernel.EpollEvent{Events: kernel.EPOLLIN | kernel.EPOLLET, Data: 2})
	evs := make([]kernel.EpollEvent, 4)
	wait := func() []uint64 {
		n, err := task.EpollWait(ctx, ep, evs, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []uint64
		for _, e := range evs[:n] {
			got = append(got, e.Data)
		}
		return got
	}
	if got := wait(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("E4: an empty pipe's write end is ready once: %v", got)
	}
	task.Write(ctx, w, []byte("ab"))
	if got := wait(); len(got) != 1 || got[0] != 2 {
		t.Fatalf("E4: a write reports the read end only: %v", got)
	}
	task.Read(ctx, r, make([]byte, 1))
	if got := wait(); len(got) != 0 {
		t.Errorf("E4: a read from a pipe that was not full re-armed: %v", got)
	}
	page := make([]byte, pipe.PageSize)
	for {
		if _, err := task.Write(ctx, w, page); err != nil {
			break // full
		}
	}
	wait() // the writes re-armed the reader
	if _, err := task.Write(ctx, w, []byte("x")); err != kernel.EAGAIN {
		t.Fatalf("write to a full pipe = %v", err)
	}
	if got := wait(); len(got) != 1 || got[0] != 2 {
		t.Errorf("E4: a write that found the polled pipe full wakes the readers: %v", got)
	}
	task.Read(ctx, r, page)
	if got := wait(); len(got) != 1 || got[0] != 1 {
		t.Errorf("E4: a read that made room in a full pipe re-arms the writer: %v", got)
	}
}
