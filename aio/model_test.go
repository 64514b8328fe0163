package aio

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"

	"github.com/fasync-go/fasync/internal/testutil"
	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
	"golang.org/x/sys/unix"
)

// mailbox is a tiny model device that reads and writes asynchronously (the
// kiocb path of SPEC C13): a read of an empty mailbox is queued in the
// driver, holding no goroutine, and a write completes queued reads. Its
// synchronous Read and Write fail, so a test notices if the engine ever
// takes the worker path for it.
type mailbox struct {
	mu      sync.Mutex
	data    []byte
	waiting []*kernel.Kiocb // queued reads, oldest first
	noStop  bool            // do not register a cancel function
	aioRead int             // AioRead calls
}

var errSyncPath = errors.New("mailbox: synchronous path used")

func (m *mailbox) Read(ctx context.Context, f *kernel.File, p []byte) (int, error) {
	return 0, errSyncPath
}

func (m *mailbox) Write(ctx context.Context, f *kernel.File, p []byte) (int, error) {
	return 0, errSyncPath
}

func (m *mailbox) AioRead(k *kernel.Kiocb) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.aioRead++
	if len(m.data) > 0 {
		n := copy(k.Buf, m.data)
		m.data = m.data[n:]
		return n, nil
	}
	m.waiting = append(m.waiting, k)
	if !m.noStop {
		k.SetCancel(func() error { return m.stop(k) })
	}
	return 0, kernel.EIOCBQUEUED
}

// stop takes a queued read off the list and completes it as cancelled.
func (m *mailbox) stop(k *kernel.Kiocb) error {
	m.mu.Lock()
	for i, w := range m.waiting {
		if w == k {
			m.waiting = append(m.waiting[:i], m.waiting[i+1:]...)
			m.mu.Unlock()
			k.Complete(0, syscall.ECANCELED)
			return nil
		}
	}
	m.mu.Unlock()
	return syscall.EBUSY // already being completed
}

func (m *mailbox) AioWrite(k *kernel.Kiocb) (int, error) {
	m.mu.Lock()
	m.data = append(m.data, k.Buf...)
	var ready []*kernel.Kiocb
	var counts []int
	for len(m.waiting) > 0 && len(m.data) > 0 {
		w := m.waiting[0]
		m.waiting = m.waiting[1:]
		n := copy(w.Buf, m.data)
		m.data = m.data[n:]
		ready, counts = append(ready, w), append(counts, n)
	}
	m.mu.Unlock()
	// Complete after dropping the lock: completion notifies.
	for i, w := range ready {
		w.Complete(counts[i], nil)
	}
	return len(k.Buf), nil
}

// syncPipe is a scullpipe offering the kernel only its synchronous
// operations (no AioRead), so the engine runs its reads on workers.
type syncPipe struct{ p *scull.Pipe }

func (s syncPipe) Open(ctx context.Context, f *kernel.File) error { return s.p.Open(ctx, f) }
func (s syncPipe) Release(f *kernel.File) error                   { return s.p.Release(f) }
func (s syncPipe) Read(ctx context.Context, f *kernel.File, p []byte) (int, error) {
	return s.p.Read(ctx, f, p)
}
func (s syncPipe) Write(ctx context.Context, f *kernel.File, p []byte) (int, error) {
	return s.p.Write(ctx, f, p)
}

// modelSetup is a kernel with scullpipe0 (asynchronous reads), a
// synchronous-only pipe and a mailbox (asynchronous reads and writes), a
// task, and an engine bound to the task.
type modelSetup struct {
	k     *kernel.Kernel
	t     *kernel.Task
	e     *Engine
	pipes *scull.Pipes
	box   *mailbox
	scul  int // descriptor of scullpipe0, O_RDWR
	sync  int // descriptor of the synchronous pipe, O_RDWR
	mbox  int // descriptor of the mailbox, O_RDWR
}

func newModelSetup(t *testing.T, opts ...Option) *modelSetup {
	t.Helper()
	k := kernel.New(kernel.Config{})
	t.Cleanup(func() { k.Close() })
	pipes, err := scull.Register(k, scull.Config{Devices: 1})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := scull.NewPipe("syncpipe", 0)
	if err != nil {
		t.Fatal(err)
	}
	box := &mailbox{}
	for name, d := range map[string]kernel.Driver{"syncpipe": syncPipe{sp}, "mailbox": box} {
		if err := k.Register(name, d); err != nil {
			t.Fatal(err)
		}
	}
	task := k.NewTask("aio", kernel.Cred{})
	s := &modelSetup{k: k, t: task, pipes: pipes, box: box}
	if s.scul, err = task.Open(t.Context(), scull.DeviceName(0), kernel.O_RDWR); err != nil {
		t.Fatal(err)
	}
	if s.sync, err = task.Open(t.Context(), "syncpipe", kernel.O_RDWR); err != nil {
		t.Fatal(err)
	}
	if s.mbox, err = task.Open(t.Context(), "mailbox", kernel.O_RDWR); err != nil {
		t.Fatal(err)
	}
	s.e, err = New(append([]Option{WithTask(task)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.e.Close() }) // before k.Close: cleanups run last-in first-out
	return s
}

// waitModelRunning waits until a worker is inside the task's call for r.
func waitModelRunning(t *testing.T, e *Engine, r *Request) {
	t.Helper()
	b := e.bk.(*modelBackend)
	testutil.WaitFor(t, "a worker to enter the task's call", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		op, _ := r.bk.(*modelOp)
		return op != nil && op.running
	})
}

// C13: the AIO API on model devices, synchronous and asynchronous drivers.
func TestModelDevices(t *testing.T) {
	t.Run("C13/sync-driver-runs-on-a-worker", func(t *testing.T) {
		s := newModelSetup(t)
		if s.e.Backend() != "model" {
			t.Fatalf("backend %q, want model", s.e.Backend())
		}
		rd := &Request{Fd: s.sync, Buf: make([]byte, 5)}
		if err := s.e.Read(rd); err != nil {
			t.Fatal(err)
		}
		waitModelRunning(t, s.e, rd) // the pipe is empty: a worker sleeps in its Read
		mustStatus(t, rd, syscall.EINPROGRESS)
		wr := &Request{Fd: s.sync, Buf: []byte("hello")}
		if err := s.e.Write(wr); err != nil {
			t.Fatal(err)
		}
		waitDoneT(t, wr, rd)
		mustReturn(t, wr, 5)
		mustReturn(t, rd, 5)
		mustEqual(t, "pipe read", rd.Buf, []byte("hello"))
	})

	t.Run("C13/C8/cancel-a-sleeping-sync-read", func(t *testing.T) {
		s := newModelSetup(t)
		ch := make(chan *Request, 1)
		rd := &Request{Fd: s.sync, Buf: make([]byte, 5), Notify: Sigevent{Notify: SIGEV_CHAN, Chan: ch}}
		if err := s.e.Read(rd); err != nil {
			t.Fatal(err)
		}
		waitModelRunning(t, s.e, rd)
		// The model's blocking calls give up when their context ends, so
		// unlike a host worker in read(2) this one can be stopped.
		if res, err := s.e.Cancel(s.sync, rd); res != AIO_CANCELED || err != nil {
			t.Fatalf("Cancel = %d, %v; want AIO_CANCELED", res, err)
		}
		mustStatus(t, rd, syscall.ECANCELED)
		if got := <-ch; got != rd {
			t.Fatal("cancelled request not notified")
		}
	})

	t.Run("C13/async-driver-holds-no-worker", func(t *testing.T) {
		// One worker, held by a sleeping synchronous read: mailbox reads
		// must still queue and complete, so they do not need a worker.
		s := newModelSetup(t, WithWorkers(1))
		blocker := &Request{Fd: s.sync, Buf: make([]byte, 1)}
		if err := s.e.Read(blocker); err != nil {
			t.Fatal(err)
		}
		waitModelRunning(t, s.e, blocker)
		reads := make([]*Request, 10)
		for i := range reads {
			reads[i] = &Request{Fd: s.mbox, Buf: make([]byte, 1)}
			if err := s.e.Read(reads[i]); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range reads {
			mustStatus(t, r, syscall.EINPROGRESS)
		}
		wr := &Request{Fd: s.mbox, Buf: []byte("0123456789")}
		if err := s.e.Write(wr); err != nil {
			t.Fatal(err)
		}
		waitDoneT(t, wr)
		waitDoneT(t, reads...)
		got := map[byte]bool{}
		for _, r := range reads {
			mustReturn(t, r, 1)
			got[r.Buf[0]] = true
		}
		if len(got) != 10 {
			t.Fatalf("reads got %d distinct bytes, want 10", len(got))
		}
		mustStatus(t, blocker, syscall.EINPROGRESS) // the worker is still asleep in the pipe
		if s.box.aioRead != 10 {
			t.Fatalf("AioRead called %d times, want 10", s.box.aioRead)
		}
	})

	t.Run("C13/C8/cancel-a-queued-kiocb", func(t *testing.T) {
		s := newModelSetup(t)
		rd := &Request{Fd: s.mbox, Buf: make([]byte, 4)}
		if err := s.e.Read(rd); err != nil {
			t.Fatal(err)
		}
		if res, err := s.e.Cancel(s.mbox, nil); res != AIO_CANCELED || err != nil {
			t.Fatalf("Cancel = %d, %v; want AIO_CANCELED", res, err)
		}
		mustStatus(t, rd, syscall.ECANCELED)
	})

	t.Run("C13/C8/kiocb-without-cancel-function", func(t *testing.T) {
		s := newModelSetup(t)
		s.box.noStop = true
		rd := &Request{Fd: s.mbox, Buf: make([]byte, 4)}
		if err := s.e.Read(rd); err != nil {
			t.Fatal(err)
		}
		if res, err := s.e.Cancel(s.mbox, rd); res != AIO_NOTCANCELED || err != nil {
			t.Fatalf("Cancel = %d, %v; want AIO_NOTCANCELED", res, err)
		}
		wr := &Request{Fd: s.mbox, Buf: []byte("data")}
		if err := s.e.Write(wr); err != nil {
			t.Fatal(err)
		}
		waitDoneT(t, rd)
		mustReturn(t, rd, 4)
	})

	t.Run("C13/C9/listio-on-a-device", func(t *testing.T) {
		s := newModelSetup(t)
		list := []*Request{
			{Fd: s.scul, Buf: []byte("abc"), Opcode: LIO_WRITE},
			{Fd: s.mbox, Buf: []byte("xyz"), Opcode: LIO_WRITE},
		}
		if err := s.e.ListIO(t.Context(), LIO_WAIT, list, nil); err != nil {
			t.Fatal(err)
		}
		reads := []*Request{
			{Fd: s.scul, Buf: make([]byte, 3), Opcode: LIO_READ},
			{Fd: s.mbox, Buf: make([]byte, 3), Opcode: LIO_READ},
		}
		if err := s.e.ListIO(t.Context(), LIO_WAIT, reads, nil); err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "scull", reads[0].Buf, []byte("abc"))
		mustEqual(t, "mailbox", reads[1].Buf, []byte("xyz"))
	})

	t.Run("C13/C4/bad-descriptors-and-modes", func(t *testing.T) {
		s := newModelSetup(t)
		ro, err := s.t.Open(t.Context(), scull.DeviceName(0), kernel.O_RDONLY)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			r    *Request
			sub  func(*Request) error
			want syscall.Errno
		}{
			{"read-closed", &Request{Fd: 99, Buf: make([]byte, 1)}, s.e.Read, syscall.EBADF},
			{"write-read-only", &Request{Fd: ro, Buf: []byte("x")}, s.e.Write, syscall.EBADF},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := tc.sub(tc.r); err != nil {
					t.Fatal(err)
				}
				waitDoneT(t, tc.r)
				mustStatus(t, tc.r, tc.want)
			})
		}
		if err := s.e.Fsync(unix.O_SYNC, &Request{Fd: 99}); err != syscall.EBADF {
			t.Fatalf("Fsync on a closed descriptor: %v, want EBADF", err)
		}
		if _, err := s.e.Cancel(99, nil); err != syscall.EBADF {
			t.Fatalf("Cancel on a closed descriptor: %v, want EBADF", err)
		}
		// A device has no fsync operation: EINVAL at submission (C14).
		fs := &Request{Fd: s.scul}
		if err := s.e.Fsync(unix.O_SYNC, fs); err != syscall.EINVAL {
			t.Fatalf("C14/fsync-of-a-device: %v, want EINVAL", err)
		}
		if err := s.e.Fsync(unix.O_SYNC, &Request{Fd: ro}); err != syscall.EBADF {
			t.Fatalf("C14/fsync-read-only: %v, want EBADF", err)
		}
	})

	t.Run("C13/options", func(t *testing.T) {
		k := kernel.New(kernel.Config{})
		defer k.Close()
		task := k.NewTask("x", kernel.Cred{})
		if _, err := New(WithTask(task), WithBackend("threads")); !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("WithTask with the threads backend: %v, want EINVAL", err)
		}
		if _, err := New(WithTask(nil)); !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("WithTask(nil): %v, want EINVAL", err)
		}
	})
}
