package scull

import (
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/fasync-go/fasync/kernel"
)

// aioRead submits an asynchronous read of up to n bytes from fd as task
// (the kiocb path, SPEC C13) and returns the kiocb and a channel that
// receives its completion. The channel has room for a second completion,
// so a test can see that none came (mustComplete).
func aioRead(t testing.TB, task *kernel.Task, fd, n int) (*kernel.Kiocb, chan result) {
	t.Helper()
	ch := make(chan result, 2)
	buf := make([]byte, n)
	iocb := kernel.NewKiocb(buf, 0, func(got int, err error) {
		ch <- result{n: got, err: err, data: string(buf[:max(got, 0)])}
	})
	if err := task.AioRead(fd, iocb); err != nil {
		t.Fatalf("%s: AioRead(%d): %v", task.Name(), fd, err)
	}
	return iocb, ch
}

// mustQueue fails the test if the read has completed.
func mustQueue(t testing.TB, what string, ch chan result) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("%s: completed with (%d, %q, %v), want queued", what, r.n, r.data, r.err)
	default:
	}
}

// mustComplete waits for the read's completion and checks it came once
// with data (or errno when not 0).
func mustComplete(t testing.TB, what string, ch chan result, data string, errno syscall.Errno) {
	t.Helper()
	r := await(t, what, ch)
	switch {
	case errno != 0 && !errors.Is(r.err, errno):
		t.Fatalf("%s: completed with %v, want %v", what, r.err, errno)
	case errno == 0 && (r.err != nil || r.data != data):
		t.Fatalf("%s: completed with (%q, %v), want %q", what, r.data, r.err, data)
	case len(ch) != 0:
		t.Fatalf("%s: completed twice", what)
	}
}

// TestC13AioRead: scullpipe's asynchronous read follows Read's rules (B3)
// but waits as a queued kiocb instead of a sleeping task.
func TestC13AioRead(t *testing.T) {
	t.Run("C13/B3/queued-until-another-task-writes", func(t *testing.T) {
		k, ps := setup(t, Config{Devices: 1})
		r, w := k.NewTask("r", kernel.Cred{}), k.NewTask("w", kernel.Cred{})
		rfd := open(t, r, "scullpipe0", kernel.O_RDONLY)
		wfd := open(t, w, "scullpipe0", kernel.O_WRONLY)
		_, ch := aioRead(t, r, rfd, 100)
		mustQueue(t, "read of an empty pipe", ch)
		if s := ps.Pipe(0).Status(); s.BlockedReaders != 0 || s.QueuedReads != 1 {
			t.Fatalf("B10: %d readers asleep, %d reads queued: want 0 (a queued read holds no task) and 1",
				s.BlockedReaders, s.QueuedReads)
		}
		write(t, w, wfd, []byte("hello"))
		mustComplete(t, "queued read", ch, "hello", 0) // at most what is held
	})

	t.Run("C13/B3/at-once-does-not-wrap", func(t *testing.T) {
		k, _ := setup(t, Config{Devices: 1, Size: 10})
		task := k.NewTask("t", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_RDWR)
		write(t, task, fd, []byte("01234567"))
		read(t, task, fd, 5)
		write(t, task, fd, []byte("abcdef")) // "ab" to the end, then "cdef" from 0
		_, ch := aioRead(t, task, fd, 100)
		mustComplete(t, "read across the end", ch, "567ab", 0)
		_, ch = aioRead(t, task, fd, 100)
		mustComplete(t, "read after the wrap", ch, "cdef", 0)
	})

	t.Run("C13/B3/queued-reads-served-in-order-without-wrap", func(t *testing.T) {
		k, _ := setup(t, Config{Devices: 1, Size: 10})
		task := k.NewTask("t", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_RDWR)
		write(t, task, fd, []byte("01234567"))
		read(t, task, fd, 8) // empty, rp = wp = 8
		var chs []chan result
		for range 3 {
			_, ch := aioRead(t, task, fd, 4)
			chs = append(chs, ch)
		}
		// The first write takes "ab" up to the end of the buffer (B4) and
		// the first read gets just that; the second write, from 0, feeds
		// the other two.
		write(t, task, fd, []byte("abcdefgh"))
		for i, want := range []string{"ab", "cdef", "gh"} {
			mustComplete(t, "queued read", chs[i], want, 0)
		}
	})

	t.Run("C13/M2/non-blocking-EAGAIN", func(t *testing.T) {
		k, _ := setup(t, Config{Devices: 1})
		task := k.NewTask("t", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_RDONLY|kernel.O_NONBLOCK)
		_, ch := aioRead(t, task, fd, 1)
		mustComplete(t, "non-blocking read of an empty pipe", ch, "", syscall.EAGAIN)
	})

	t.Run("C13/zero-length", func(t *testing.T) {
		k, _ := setup(t, Config{Devices: 1})
		task := k.NewTask("t", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_RDONLY)
		_, ch := aioRead(t, task, fd, 0)
		mustComplete(t, "zero-length read", ch, "", 0)
	})

	t.Run("C13/B8/the-file-stays-open-while-queued", func(t *testing.T) {
		k, ps := setup(t, Config{Devices: 1})
		r, w := k.NewTask("r", kernel.Cred{}), k.NewTask("w", kernel.Cred{})
		rfd := open(t, r, "scullpipe0", kernel.O_RDONLY)
		wfd := open(t, w, "scullpipe0", kernel.O_WRONLY)
		_, ch := aioRead(t, r, rfd, 1)
		if err := r.Close(rfd); err != nil {
			t.Fatal(err)
		}
		if n := ps.Pipe(0).Status().Readers; n != 1 {
			t.Fatalf("%d readers after closing the descriptor, want the queued read's file", n)
		}
		write(t, w, wfd, []byte("z"))
		mustComplete(t, "read whose descriptor was closed", ch, "z", 0)
		if n := ps.Pipe(0).Status().Readers; n != 0 {
			t.Fatalf("%d readers after completion, want 0: released before the completion ran", n)
		}
	})
}

// TestC13AioReadNotifiesWriters: a queued read served by a write frees
// space, so writers hear POLL_OUT as after any read (B6).
func TestC13AioReadNotifiesWriters(t *testing.T) {
	k, _ := setup(t, Config{Devices: 1})
	x := k.NewTask("x", kernel.Cred{})
	writer := k.NewTask("writer", kernel.Cred{})
	wsig := catch(t, writer, kernel.SIGRTMIN+2, 0)
	xfd := open(t, x, "scullpipe0", kernel.O_RDWR)
	wfd := open(t, writer, "scullpipe0", kernel.O_WRONLY)
	setAsync(t, writer, wfd, writer.Pid(), kernel.SIGRTMIN+2)

	_, ch := aioRead(t, x, xfd, 3)
	write(t, x, xfd, []byte("abc"))
	mustComplete(t, "queued read", ch, "abc", 0)
	if info := pauseFor(t, writer, wsig); info.Code != kernel.POLL_OUT || info.Fd != wfd {
		t.Fatalf("C13/B6: writer got %+v, want POLL_OUT on fd %d", info, wfd)
	}
}

// TestC13AioReadCancel: a queued read can be withdrawn until a write
// serves it (SPEC C8 through the kiocb's cancel function).
func TestC13AioReadCancel(t *testing.T) {
	t.Run("C8/queued", func(t *testing.T) {
		k, _ := setup(t, Config{Devices: 1})
		task := k.NewTask("t", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_RDWR)
		iocb, ch := aioRead(t, task, fd, 4)
		if err := iocb.Cancel(); err != nil {
			t.Fatalf("Cancel = %v, want nil", err)
		}
		mustComplete(t, "cancelled read", ch, "", syscall.ECANCELED)
		write(t, task, fd, []byte("x"))
		if got := read(t, task, fd, 4); got != "x" {
			t.Fatalf("read %q: the cancelled read took data", got)
		}
	})

	t.Run("C8/already-served", func(t *testing.T) {
		k, _ := setup(t, Config{Devices: 1})
		task := k.NewTask("t", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_RDWR)
		iocb, ch := aioRead(t, task, fd, 4)
		write(t, task, fd, []byte("y"))
		mustComplete(t, "served read", ch, "y", 0)
		if err := iocb.Cancel(); err == nil {
			t.Fatal("Cancel of a completed read succeeded")
		}
		if len(ch) != 0 {
			t.Fatal("Cancel after completion completed the read again")
		}
	})

	t.Run("C8/C13/racing-writes", func(t *testing.T) {
		// Every queued read completes exactly once, cancelled or with one
		// byte, and every byte written is read or still held.
		k, ps := setup(t, Config{Devices: 1})
		task := k.NewTask("t", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_RDWR)
		const n = 200
		iocbs := make([]*kernel.Kiocb, n)
		chs := make([]chan result, n)
		for i := range iocbs {
			iocbs[i], chs[i] = aioRead(t, task, fd, 1)
		}
		ctx := bounded(t)
		var wg sync.WaitGroup
		wg.Go(func() {
			for _, iocb := range iocbs {
				iocb.Cancel()
			}
		})
		wg.Go(func() {
			for range n / 2 {
				task.Write(ctx, fd, []byte{'x'})
			}
		})
		wg.Wait()
		taken := 0
		for i, ch := range chs {
			r := await(t, "a queued read", ch)
			switch {
			case len(ch) != 0:
				t.Fatalf("read %d completed twice", i)
			case r.err == nil && r.data == "x":
				taken++
			case !errors.Is(r.err, syscall.ECANCELED):
				t.Fatalf("read %d: (%q, %v)", i, r.data, r.err)
			}
		}
		if held := ps.Pipe(0).Status().Held; taken+held != n/2 {
			t.Fatalf("%d bytes read and %d held, want %d written", taken, held, n/2)
		}
	})
}

// TestB10StatusCountsQueuedReads: the status view shows the asynchronous
// reads waiting on an empty device (the reads of a FUSE export's clients
// wait this way), and they leave it when served or cancelled.
func TestB10StatusCountsQueuedReads(t *testing.T) {
	k, ps := setup(t, Config{Devices: 2})
	task := k.NewTask("t", kernel.Cred{})
	fd := open(t, task, "scullpipe1", kernel.O_RDWR)
	var iocbs []*kernel.Kiocb
	var chs []chan result
	for range 3 {
		iocb, ch := aioRead(t, task, fd, 1)
		iocbs, chs = append(iocbs, iocb), append(chs, ch)
	}
	row := func() []string { return strings.Fields(strings.Split(ps.StatusText(), "\n")[2]) }
	if f := row(); f[0] != "scullpipe1" || f[len(f)-1] != "3" || f[len(f)-2] != "0/0" {
		t.Fatalf("B10: row %q, want scullpipe1 with 0/0 blocked and 3 queued", f)
	}
	if got := ps.Pipe(1).Status().QueuedReads; got != 3 {
		t.Fatalf("B10: QueuedReads %d, want 3", got)
	}
	write(t, task, fd, []byte("x"))
	mustComplete(t, "served read", chs[0], "x", 0)
	if err := iocbs[1].Cancel(); err != nil {
		t.Fatal(err)
	}
	mustComplete(t, "cancelled read", chs[1], "", syscall.ECANCELED)
	if f := row(); f[len(f)-1] != "1" {
		t.Fatalf("B10: row %q after one read served and one cancelled, want 1 queued", f)
	}
}
