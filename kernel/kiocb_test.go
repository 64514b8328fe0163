package kernel

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// aioDev is the tests' asynchronous device: a byte queue whose AioRead
// queues a kiocb while the queue is empty and whose writes (synchronous
// Write or AioWrite) complete queued kiocbs, oldest first. It records
// Release, so tests can see when the kernel let go of a file.
type aioDev struct {
	mu       sync.Mutex
	data     []byte
	queued   []*Kiocb
	noCancel bool  // do not register cancel functions
	cancelFn error // what the cancel function returns instead of withdrawing
	cancels  int   // cancel function calls
	releases atomic.Int32
}

func (d *aioDev) Release(f *File) error {
	d.releases.Add(1)
	return nil
}

func (d *aioDev) AioRead(iocb *Kiocb) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.data) > 0 {
		n := copy(iocb.Buf, d.data)
		d.data = d.data[n:]
		return n, nil
	}
	if iocb.File.Nonblock() {
		return 0, EAGAIN
	}
	d.queued = append(d.queued, iocb)
	if !d.noCancel {
		iocb.SetCancel(func() error { return d.withdraw(iocb) })
	}
	return 0, EIOCBQUEUED
}

// withdraw is the cancel function: it takes iocb off the queue and
// completes it with ECANCELED, or reports EBUSY when a write took it.
func (d *aioDev) withdraw(iocb *Kiocb) error {
	d.mu.Lock()
	d.cancels++
	if d.cancelFn != nil {
		d.mu.Unlock()
		return d.cancelFn
	}
	for i, q := range d.queued {
		if q == iocb {
			d.queued = append(d.queued[:i], d.queued[i+1:]...)
			d.mu.Unlock()
			iocb.Complete(0, syscall.ECANCELED)
			return nil
		}
	}
	d.mu.Unlock()
	return syscall.EBUSY
}

func (d *aioDev) Write(ctx context.Context, f *File, p []byte) (int, error) {
	d.mu.Lock()
	d.data = append(d.data, p...)
	type done struct {
		iocb *Kiocb
		n    int
	}
	var ready []done
	for len(d.queued) > 0 && len(d.data) > 0 {
		iocb := d.queued[0]
		d.queued = d.queued[1:]
		n := copy(iocb.Buf, d.data)
		d.data = d.data[n:]
		ready = append(ready, done{iocb, n})
	}
	d.mu.Unlock()
	for _, r := range ready { // with d.mu dropped: Complete may run Release
		r.iocb.Complete(r.n, nil)
	}
	return len(p), nil
}

func (d *aioDev) AioWrite(iocb *Kiocb) (int, error) {
	return d.Write(context.Background(), iocb.File, iocb.Buf)
}

// completion records what a kiocb's completion function received.
type completion struct {
	mu    sync.Mutex
	calls int
	n     int
	err   error
	ch    chan struct{} // closed at the first call
}

func newCompletion() *completion { return &completion{ch: make(chan struct{})} }

func (c *completion) done(n int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.calls == 1 {
		c.n, c.err = n, err
		close(c.ch)
	}
}

// result returns the number of calls and the first call's result.
func (c *completion) result() (calls, n int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls, c.n, c.err
}

// mustBe fails the test unless done ran exactly once with n and err.
func (c *completion) mustBe(tb testing.TB, what string, n int, err error) {
	tb.Helper()
	calls, gotN, gotErr := c.result()
	if calls != 1 || gotN != n || !errors.Is(gotErr, err) || (err == nil) != (gotErr == nil) {
		tb.Fatalf("%s: completion ran %d times with (%d, %v); want once with (%d, %v)", what, calls, gotN, gotErr, n, err)
	}
}

// mustPend fails the test if done ran.
func (c *completion) mustPend(tb testing.TB, what string) {
	tb.Helper()
	if calls, n, err := c.result(); calls != 0 {
		tb.Fatalf("%s: completion ran (%d, %v), want still queued", what, n, err)
	}
}

// aioSetup is a kernel with an aioDev registered as "aio" and a task
// holding it open read-write (fd) and write-only from another task.
type aioSetup struct {
	k      *Kernel
	dev    *aioDev
	t, w   *Task
	fd, wf int
}

func newAioSetup(t *testing.T) *aioSetup {
	t.Helper()
	s := &aioSetup{k: newKernel(t, Config{}), dev: &aioDev{}}
	if err := s.k.Register("aio", s.dev); err != nil {
		t.Fatal(err)
	}
	s.t = s.k.NewTask("submitter", Cred{})
	s.w = s.k.NewTask("writer", Cred{})
	s.fd = mustOpen(t, s.t, "aio", O_RDWR)
	s.wf = mustOpen(t, s.w, "aio", O_WRONLY)
	return s
}

// queueRead submits a read of n bytes that the empty device queues.
func (s *aioSetup) queueRead(t *testing.T, n int) (*Kiocb, *completion) {
	t.Helper()
	c := newCompletion()
	iocb := NewKiocb(make([]byte, n), 0, c.done)
	if err := s.t.AioRead(s.fd, iocb); err != nil {
		t.Fatalf("AioRead: %v", err)
	}
	c.mustPend(t, "read of an empty device")
	return iocb, c
}

// write writes p from the writer task.
func (s *aioSetup) write(t *testing.T, p string) {
	t.Helper()
	if n, err := s.w.Write(context.Background(), s.wf, []byte(p)); n != len(p) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
}

// C13: a driver's asynchronous read finishes at once or is queued and
// completed later, and its completion function runs exactly once.
func TestKiocbCompletion(t *testing.T) {
	t.Run("C13/finished-at-once", func(t *testing.T) {
		s := newAioSetup(t)
		s.write(t, "hello")
		c := newCompletion()
		iocb := NewKiocb(make([]byte, 8), 0, c.done)
		if err := s.t.AioRead(s.fd, iocb); err != nil {
			t.Fatal(err)
		}
		c.mustBe(t, "immediate read", 5, nil) // before AioRead returned
		if string(iocb.Buf[:5]) != "hello" || iocb.File == nil || iocb.File.Name() != "aio" {
			t.Fatalf("Buf %q, File %v", iocb.Buf[:5], iocb.File)
		}
	})

	t.Run("C13/queued-then-completed-by-another-task", func(t *testing.T) {
		s := newAioSetup(t)
		iocb, c := s.queueRead(t, 3)
		s.write(t, "abcdef")
		c.mustBe(t, "queued read", 3, nil)
		if string(iocb.Buf) != "abc" {
			t.Fatalf("read %q, want abc", iocb.Buf)
		}
		iocb.Complete(1, nil) // a second completion is ignored
		c.mustBe(t, "after a second Complete", 3, nil)
	})

	t.Run("C13/error-at-once", func(t *testing.T) {
		s := newAioSetup(t)
		nb := mustOpen(t, s.t, "aio", O_RDONLY|O_NONBLOCK)
		c := newCompletion()
		if err := s.t.AioRead(nb, NewKiocb(make([]byte, 1), 0, c.done)); err != nil {
			t.Fatal(err)
		}
		c.mustBe(t, "M2 non-blocking read of an empty device", 0, EAGAIN)
	})

	t.Run("C13/driver-completes-and-returns-a-result", func(t *testing.T) {
		// A driver that completes inside AioRead and then returns a
		// result (not EIOCBQUEUED) is wrong, but the submitter still hears once.
		s := newAioSetup(t)
		if err := s.k.Register("eager", eagerDev{}); err != nil {
			t.Fatal(err)
		}
		fd := mustOpen(t, s.t, "eager", O_RDONLY)
		c := newCompletion()
		if err := s.t.AioRead(fd, NewKiocb(make([]byte, 4), 0, c.done)); err != nil {
			t.Fatal(err)
		}
		c.mustBe(t, "completed twice by the driver", 4, nil)
	})

	t.Run("C13/write", func(t *testing.T) {
		s := newAioSetup(t)
		rd, rc := s.queueRead(t, 2)
		c := newCompletion()
		if err := s.t.AioWrite(s.fd, NewKiocb([]byte("xy"), 0, c.done)); err != nil {
			t.Fatal(err)
		}
		c.mustBe(t, "AioWrite", 2, nil)
		rc.mustBe(t, "read completed by AioWrite", 2, nil)
		if string(rd.Buf) != "xy" {
			t.Fatalf("read %q", rd.Buf)
		}
	})

	t.Run("C13/file-held-until-completion", func(t *testing.T) {
		// Closing the descriptor neither stops the kiocb nor releases the
		// file: the kiocb holds a reference, dropped before done runs.
		s := newAioSetup(t)
		var releasedFirst atomic.Bool
		c := newCompletion()
		iocb := NewKiocb(make([]byte, 1), 0, func(n int, err error) {
			releasedFirst.Store(s.dev.releases.Load() == 1)
			c.done(n, err)
		})
		if err := s.t.AioRead(s.fd, iocb); err != nil {
			t.Fatal(err)
		}
		if err := s.t.Close(s.fd); err != nil {
			t.Fatal(err)
		}
		if r := s.dev.releases.Load(); r != 0 {
			t.Fatalf("released %d times with a kiocb queued", r)
		}
		c.mustPend(t, "after Close of its descriptor")
		s.write(t, "z")
		c.mustBe(t, "read after Close", 1, nil)
		if !releasedFirst.Load() {
			t.Fatal("the file was not released before the completion ran")
		}
	})
}

// eagerDev completes every kiocb itself and then also returns a result.
type eagerDev struct{}

func (eagerDev) AioRead(iocb *Kiocb) (int, error) {
	iocb.Complete(len(iocb.Buf), nil)
	return 1, nil
}

// C8, C13: cancelling a queued kiocb through the driver's cancel function.
func TestKiocbCancel(t *testing.T) {
	t.Run("C8/before-completion", func(t *testing.T) {
		s := newAioSetup(t)
		iocb, c := s.queueRead(t, 1)
		if err := iocb.Cancel(); err != nil {
			t.Fatalf("Cancel = %v, want nil", err)
		}
		c.mustBe(t, "cancelled read", 0, syscall.ECANCELED)
		s.write(t, "q") // stays in the device: nobody is queued
		if len(s.dev.data) != 1 {
			t.Fatalf("device holds %q, want the byte no cancelled read took", s.dev.data)
		}
		if err := iocb.Cancel(); !errors.Is(err, EINVAL) {
			t.Fatalf("second Cancel = %v, want EINVAL", err)
		}
		c.mustBe(t, "after a second Cancel", 0, syscall.ECANCELED)
	})

	t.Run("C8/after-completion", func(t *testing.T) {
		s := newAioSetup(t)
		iocb, c := s.queueRead(t, 1)
		s.write(t, "a")
		if err := iocb.Cancel(); !errors.Is(err, EINVAL) {
			t.Fatalf("Cancel after completion = %v, want EINVAL", err)
		}
		if s.dev.cancels != 0 {
			t.Fatal("the cancel function ran after completion")
		}
		c.mustBe(t, "completed read", 1, nil)
	})

	t.Run("C8/without-cancel-function", func(t *testing.T) {
		s := newAioSetup(t)
		s.dev.noCancel = true
		iocb, c := s.queueRead(t, 1)
		if err := iocb.Cancel(); !errors.Is(err, EINVAL) {
			t.Fatalf("Cancel = %v, want EINVAL", err)
		}
		c.mustPend(t, "uncancellable read")
		s.write(t, "b")
		c.mustBe(t, "uncancellable read", 1, nil)
	})

	t.Run("C8/driver-refuses", func(t *testing.T) {
		s := newAioSetup(t)
		s.dev.cancelFn = syscall.EBUSY
		iocb, c := s.queueRead(t, 1)
		if err := iocb.Cancel(); !errors.Is(err, syscall.EBUSY) {
			t.Fatalf("Cancel = %v, want the driver's EBUSY", err)
		}
		if err := iocb.Cancel(); !errors.Is(err, EINVAL) || s.dev.cancels != 1 {
			t.Fatalf("second Cancel = %v after %d calls; want EINVAL, the function called once", err, s.dev.cancels)
		}
		s.write(t, "c")
		c.mustBe(t, "read whose cancel was refused", 1, nil)
	})

	t.Run("C8/never-submitted", func(t *testing.T) {
		c := newCompletion()
		iocb := NewKiocb(nil, 0, c.done)
		iocb.SetCancel(func() error { return nil }) // ignored: not in flight
		if err := iocb.Cancel(); !errors.Is(err, EINVAL) {
			t.Fatalf("Cancel = %v, want EINVAL", err)
		}
		iocb.Complete(1, nil) // ignored: not in flight
		c.mustPend(t, "kiocb never submitted")
	})

	t.Run("C8/C13/races-with-writes", func(t *testing.T) {
		// Cancels racing writers: every kiocb completes exactly once,
		// either cancelled or with its byte, and no byte is lost.
		s := newAioSetup(t)
		const n = 200
		iocbs := make([]*Kiocb, n)
		cs := make([]*completion, n)
		for i := range iocbs {
			iocbs[i], cs[i] = s.queueRead(t, 1)
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := 0; i < n; i += 2 {
				iocbs[i].Cancel()
			}
		})
		wg.Go(func() {
			for range n / 2 {
				s.w.Write(context.Background(), s.wf, []byte{'x'})
			}
		})
		wg.Wait()
		read := 0
		for i, c := range cs {
			calls, got, err := c.result()
			switch {
			case calls == 0 && i%2 == 1:
				continue // not cancelled, no byte left for it
			case calls != 1:
				t.Fatalf("kiocb %d completed %d times", i, calls)
			case err == nil && got == 1:
				read++
			case !errors.Is(err, syscall.ECANCELED):
				t.Fatalf("kiocb %d: (%d, %v)", i, got, err)
			}
		}
		if read+len(s.dev.data) != n/2 {
			t.Fatalf("%d bytes read and %d left, want %d written", read, len(s.dev.data), n/2)
		}
	})
}

// C13, C4: submissions that start nothing.
func TestKiocbNotStarted(t *testing.T) {
	s := newAioSetup(t)
	newPipe(t, s.k, "sync") // Reader and Writer, no AioReader or AioWriter
	if err := s.k.Register("bare", &bareDev{}); err != nil {
		t.Fatal(err)
	}
	syncFd := mustOpen(t, s.t, "sync", O_RDWR)
	bareFd := mustOpen(t, s.t, "bare", O_RDWR)
	ro := mustOpen(t, s.t, "aio", O_RDONLY)
	wo := mustOpen(t, s.t, "aio", O_WRONLY)
	used := NewKiocb(make([]byte, 1), 0, func(int, error) {})
	if err := s.t.AioRead(s.fd, used); err != nil { // queued: in flight
		t.Fatal(err)
	}
	dead := s.k.NewTask("dead", Cred{})
	deadFd := mustOpen(t, dead, "aio", O_RDWR)
	dead.Exit()

	for _, tc := range []struct {
		name  string
		task  *Task
		fd    int
		write bool
		iocb  func(done func(int, error)) *Kiocb // nil: NewKiocb
		want  error
	}{
		{"C13/sync-driver-read", s.t, syncFd, false, nil, EOPNOTSUPP},
		{"C13/sync-driver-write", s.t, syncFd, true, nil, EOPNOTSUPP},
		{"C13/bare-driver-read", s.t, bareFd, false, nil, EOPNOTSUPP},
		{"C13/bare-driver-write", s.t, bareFd, true, nil, EOPNOTSUPP},
		{"C4/closed-descriptor", s.t, 99, false, nil, EBADF},
		{"C4/negative-descriptor", s.t, -1, true, nil, EBADF},
		{"C4/read-of-write-only", s.t, wo, false, nil, EBADF},
		{"C4/write-of-read-only", s.t, ro, true, nil, EBADF},
		{"C4/dead-task", dead, deadFd, false, nil, EBADF},
		{"C13/nil-kiocb", s.t, s.fd, false, func(func(int, error)) *Kiocb { return nil }, EINVAL},
		{"C13/zero-kiocb", s.t, s.fd, false, func(func(int, error)) *Kiocb { return &Kiocb{Buf: make([]byte, 1)} }, EINVAL},
		{"C13/kiocb-in-flight", s.t, s.fd, false, func(func(int, error)) *Kiocb { return used }, EINVAL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCompletion()
			var iocb *Kiocb
			if tc.iocb != nil {
				iocb = tc.iocb(c.done)
			} else {
				iocb = NewKiocb(make([]byte, 1), 0, c.done)
			}
			var err error
			if tc.write {
				err = tc.task.AioWrite(tc.fd, iocb)
			} else {
				err = tc.task.AioRead(tc.fd, iocb)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			c.mustPend(t, "a submission that failed")
		})
	}

	// Failed submissions leave no reference behind: closing the
	// descriptors releases the files at once.
	before := s.dev.releases.Load()
	for _, fd := range []int{ro, wo} {
		if err := s.t.Close(fd); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.dev.releases.Load() - before; got != 2 {
		t.Fatalf("C13: %d releases after closing 2 descriptors, want 2", got)
	}
}
