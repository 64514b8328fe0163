package aio

import (
	"syscall"
	"testing"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

// writeAs writes p to scullpipe0 as another task of s's kernel, through
// the kernel's synchronous write(2).
func (s *modelSetup) writeAs(t *testing.T, p string) {
	t.Helper()
	w := s.k.NewTask("writer", kernel.Cred{})
	fd, err := w.Open(t.Context(), scull.DeviceName(0), kernel.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := w.Write(t.Context(), fd, []byte(p)); n != len(p) || err != nil {
		t.Fatalf("writer: Write = %d, %v", n, err)
	}
	if err := w.Close(fd); err != nil {
		t.Fatal(err)
	}
}

// mustBeQueuedKiocb fails the test unless r was handed to its driver as
// a kiocb, not to a worker.
func mustBeQueuedKiocb(t *testing.T, e *Engine, r *Request) {
	t.Helper()
	b := e.bk.(*modelBackend)
	b.mu.Lock()
	defer b.mu.Unlock()
	if op, _ := r.bk.(*modelOp); op == nil || op.kiocb == nil || op.running {
		t.Fatal("the request did not take the kiocb path")
	}
}

// C13: AIO reads of a scullpipe take the driver's kiocb path: queued on
// the device while it is empty, completed by the next write.
func TestModelScullpipe(t *testing.T) {
	t.Run("C13/B3/read-completes-when-another-task-writes", func(t *testing.T) {
		s := newModelSetup(t)
		ch := make(chan *Request, 1)
		rd := &Request{Fd: s.scul, Buf: make([]byte, 64), Notify: Sigevent{Notify: SIGEV_CHAN, Chan: ch}}
		if err := s.e.Read(rd); err != nil {
			t.Fatal(err)
		}
		mustStatus(t, rd, syscall.EINPROGRESS)
		mustBeQueuedKiocb(t, s.e, rd)
		s.writeAs(t, "hello world")
		if got := <-ch; got != rd {
			t.Fatal("completed read not notified")
		}
		mustReturn(t, rd, len("hello world")) // B3: at most what is held
		mustEqual(t, "scull read", rd.Buf[:11], []byte("hello world"))
	})

	t.Run("C13/holds-no-worker", func(t *testing.T) {
		// The only worker sleeps in a synchronous read; scullpipe reads
		// queue anyway and are served in order by one write.
		s := newModelSetup(t, WithWorkers(1))
		blocker := &Request{Fd: s.sync, Buf: make([]byte, 1)}
		if err := s.e.Read(blocker); err != nil {
			t.Fatal(err)
		}
		waitModelRunning(t, s.e, blocker)
		reads := make([]*Request, 3)
		for i := range reads {
			reads[i] = &Request{Fd: s.scul, Buf: make([]byte, 2)}
			if err := s.e.Read(reads[i]); err != nil {
				t.Fatal(err)
			}
			mustBeQueuedKiocb(t, s.e, reads[i])
		}
		s.writeAs(t, "aabbcc")
		waitDoneT(t, reads...)
		for i, want := range []string{"aa", "bb", "cc"} {
			mustReturn(t, reads[i], 2)
			mustEqual(t, "queued read "+want, reads[i].Buf, []byte(want))
		}
		mustStatus(t, blocker, syscall.EINPROGRESS)
	})

	t.Run("C13/C8/cancel-a-queued-read", func(t *testing.T) {
		s := newModelSetup(t)
		rd := &Request{Fd: s.scul, Buf: make([]byte, 4)}
		if err := s.e.Read(rd); err != nil {
			t.Fatal(err)
		}
		if res, err := s.e.Cancel(s.scul, rd); res != AIO_CANCELED || err != nil {
			t.Fatalf("Cancel = %d, %v; want AIO_CANCELED", res, err)
		}
		mustStatus(t, rd, syscall.ECANCELED)
		s.writeAs(t, "x")
		if held := s.pipes.Pipe(0).Status().Held; held != 1 {
			t.Fatalf("pipe holds %d bytes, want the 1 no cancelled read took", held)
		}
	})

	t.Run("C13/C8/cancel-every-read-on-the-descriptor", func(t *testing.T) {
		s := newModelSetup(t)
		rs := []*Request{{Fd: s.scul, Buf: make([]byte, 1)}, {Fd: s.scul, Buf: make([]byte, 1)}}
		for _, r := range rs {
			if err := s.e.Read(r); err != nil {
				t.Fatal(err)
			}
		}
		if res, err := s.e.Cancel(s.scul, nil); res != AIO_CANCELED || err != nil {
			t.Fatalf("Cancel = %d, %v; want AIO_CANCELED", res, err)
		}
		for _, r := range rs {
			mustStatus(t, r, syscall.ECANCELED)
		}
	})

	t.Run("C13/M2/non-blocking-empty", func(t *testing.T) {
		s := newModelSetup(t)
		fd, err := s.t.Open(t.Context(), scull.DeviceName(0), kernel.O_RDONLY|kernel.O_NONBLOCK)
		if err != nil {
			t.Fatal(err)
		}
		rd := &Request{Fd: fd, Buf: make([]byte, 1)}
		if err := s.e.Read(rd); err != nil {
			t.Fatal(err)
		}
		waitDoneT(t, rd)
		mustStatus(t, rd, syscall.EAGAIN)
	})

	t.Run("C13/B8/the-read-keeps-its-file-until-engine-close", func(t *testing.T) {
		// Closing the descriptor does not stop a queued read (as Linux):
		// its file stays open until Engine.Close cancels the read, and
		// only then is it released (B8: the last release frees the buffer).
		s := newModelSetup(t)
		rd := &Request{Fd: s.scul, Buf: make([]byte, 1)}
		if err := s.e.Read(rd); err != nil {
			t.Fatal(err)
		}
		if err := s.t.Close(s.scul); err != nil {
			t.Fatal(err)
		}
		if st := s.pipes.Pipe(0).Status(); st.Readers != 1 || !st.Allocated {
			t.Fatalf("after Close: %d readers, allocated %t; want the kiocb's file still open", st.Readers, st.Allocated)
		}
		if err := s.e.Close(); err != nil {
			t.Fatal(err)
		}
		mustStatus(t, rd, syscall.ECANCELED)
		if st := s.pipes.Pipe(0).Status(); st.Readers != 0 || st.Allocated {
			t.Fatalf("after Engine.Close: %d readers, allocated %t; want the file released", st.Readers, st.Allocated)
		}
	})
}
