package aio

import (
	"errors"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// C11: every notification kind, for completed and cancelled requests.
func TestNotification(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		f, _ := tempFile(t, 4096, os.O_RDONLY)
		fd := int(f.Fd())

		t.Run("C11/none", func(t *testing.T) {
			for _, ev := range []Sigevent{{}, {Notify: SIGEV_NONE}} {
				r := &Request{Fd: fd, Buf: make([]byte, 10), Notify: ev}
				if err := e.Read(r); err != nil {
					t.Fatal(err)
				}
				waitDoneT(t, r)
				mustReturn(t, r, 10)
			}
		})

		t.Run("C11/channel", func(t *testing.T) {
			ch := make(chan *Request, 1)
			r := &Request{Fd: fd, Buf: make([]byte, 10), Notify: Sigevent{Notify: SIGEV_CHAN, Chan: ch}}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			if got := <-ch; got != r {
				t.Fatalf("channel got %p, want %p", got, r)
			}
			mustReturn(t, r, 10) // the result is visible when notified
		})

		t.Run("C11/channel-without-room-loses-nothing", func(t *testing.T) {
			ch := make(chan *Request) // unbuffered, nobody reading yet
			rs := make([]*Request, 20)
			for i := range rs {
				rs[i] = &Request{Fd: fd, Buf: make([]byte, 1), Notify: Sigevent{Notify: SIGEV_CHAN, Chan: ch}}
				if err := e.Read(rs[i]); err != nil {
					t.Fatal(err)
				}
			}
			waitDoneT(t, rs...) // completions did not wait for the reader
			got := map[*Request]bool{}
			for range rs {
				got[<-ch] = true
			}
			for i, r := range rs {
				if !got[r] {
					t.Fatalf("request %d never notified", i)
				}
			}
		})

		t.Run("C11/callback-runs-without-engine-locks", func(t *testing.T) {
			// The callback uses the engine (submits, cancels): it would
			// deadlock if it ran under an engine lock.
			result := make(chan error, 1)
			second := &Request{Fd: fd, Buf: make([]byte, 5)}
			r := &Request{Fd: fd, Buf: make([]byte, 10)}
			r.Notify = Sigevent{Notify: SIGEV_THREAD, Func: func(got *Request) {
				if got != r {
					result <- errors.New("callback got another request")
					return
				}
				if n, err := got.Return(); n != 10 || err != nil {
					result <- errors.New("result not visible in the callback")
					return
				}
				if _, err := e.Cancel(fd, nil); err != nil {
					result <- err
					return
				}
				result <- e.Read(second)
			}}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			if err := <-result; err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, second)
		})

		t.Run("C11/cancelled-request-is-notified", func(t *testing.T) {
			// An O_APPEND write held behind a blocked one: cancelled for sure.
			pr, pw, n := appendPipe(t)
			ch := make(chan *Request, 2)
			w := &Request{Fd: pw, Buf: []byte("x"), Notify: Sigevent{Notify: SIGEV_CHAN, Chan: ch}}
			s := &Request{Fd: pw, Buf: []byte("y"), Notify: Sigevent{Notify: SIGEV_CHAN, Chan: ch}}
			if err := e.Write(w); err != nil {
				t.Fatal(err)
			}
			if err := e.Write(s); err != nil {
				t.Fatal(err)
			}
			if res, err := e.Cancel(pw, s); res != AIO_CANCELED || err != nil {
				t.Fatalf("Cancel = %d, %v", res, err)
			}
			if got := <-ch; got != s {
				t.Fatalf("first notification %p, want the cancelled write %p", got, s)
			}
			mustStatus(t, s, syscall.ECANCELED)
			drain(t, pr, n)
			if got := <-ch; got != w {
				t.Fatalf("second notification %p, want the write %p", got, w)
			}
		})

		t.Run("C11/signal-with-value-to-a-signalfd-thread", func(t *testing.T) {
			const sig = syscall.Signal(40)
			const value = 0xfeedface_12345678
			sf := newSignalfdThread(t, sig)
			r := &Request{Fd: fd, Buf: make([]byte, 10), Notify: Sigevent{
				Notify: SIGEV_THREAD_ID, Signo: sig, Value: value, ThreadID: sf.tid,
			}}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			info := sf.receive(t)
			if info.Signo != uint32(sig) || info.Code != SI_ASYNCIO || info.Pid != uint32(os.Getpid()) {
				t.Fatalf("siginfo signo %d code %d pid %d; want %d, SI_ASYNCIO, %d",
					info.Signo, info.Code, info.Pid, sig, os.Getpid())
			}
			if info.Ptr != value || uint32(info.Int) != uint32(value&0xffffffff) {
				t.Fatalf("sigval ptr %#x int %#x; want %#x", info.Ptr, info.Int, uint64(value))
			}
			mustReturn(t, r, 10) // published before the signal was sent
		})

		t.Run("C11/process-signal-reaches-os-signal", func(t *testing.T) {
			// A process-directed signal reaches os/signal, without its value.
			const sig = syscall.Signal(41)
			ch := make(chan os.Signal, 1)
			signal.Notify(ch, sig)
			defer signal.Stop(ch)
			r := &Request{Fd: fd, Buf: make([]byte, 10), Notify: Sigevent{Notify: SIGEV_SIGNAL, Signo: sig, Value: 7}}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-ch:
				if got != sig {
					t.Fatalf("os/signal got %v, want %v", got, sig)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("signal never arrived")
			}
			mustReturn(t, r, 10)
		})

		t.Run("C11/cancelled-request-signals", func(t *testing.T) {
			const sig = syscall.Signal(42)
			sf := newSignalfdThread(t, sig)
			pr, pw, n := appendPipe(t)
			w := &Request{Fd: pw, Buf: []byte("x")}
			s := &Request{Fd: pw, Buf: []byte("y"), Notify: Sigevent{Notify: SIGEV_THREAD_ID, Signo: sig, Value: 99, ThreadID: sf.tid}}
			if err := e.Write(w); err != nil {
				t.Fatal(err)
			}
			if err := e.Write(s); err != nil {
				t.Fatal(err)
			}
			if res, _ := e.Cancel(pw, s); res != AIO_CANCELED {
				t.Fatalf("Cancel = %d", res)
			}
			if info := sf.receive(t); info.Ptr != 99 {
				t.Fatalf("cancel signal carried %d, want 99", info.Ptr)
			}
			drain(t, pr, n)
			waitDoneT(t, w)
		})
	})
}

// signalfdThread is a locked OS thread that blocks one signal and reads it
// from a signalfd: how a Go program receives a completion signal with its
// value (see doc.go).
type signalfdThread struct {
	tid   int
	infos chan unix.SignalfdSiginfo
	errs  chan error
}

// newSignalfdThread starts the thread. It never unlocks: the thread's
// signal mask is changed, so the runtime discards the thread when the
// goroutine ends.
func newSignalfdThread(t *testing.T, sig syscall.Signal) *signalfdThread {
	t.Helper()
	sf := &signalfdThread{infos: make(chan unix.SignalfdSiginfo, 16), errs: make(chan error, 1)}
	tids := make(chan int, 1)
	go func() {
		runtime.LockOSThread()
		var set unix.Sigset_t
		set.Val[(sig-1)/64] |= 1 << ((uint(sig) - 1) % 64)
		if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
			sf.errs <- err
			tids <- 0
			return
		}
		sfd, err := unix.Signalfd(-1, &set, unix.SFD_CLOEXEC)
		if err != nil {
			sf.errs <- err
			tids <- 0
			return
		}
		defer unix.Close(sfd)
		tids <- unix.Gettid()
		for {
			var info unix.SignalfdSiginfo
			buf := (*[unsafe.Sizeof(info)]byte)(unsafe.Pointer(&info))[:]
			// Bounded waits, so the goroutine ends after the test.
			fds := []unix.PollFd{{Fd: int32(sfd), Events: unix.POLLIN}}
			n, err := unix.Poll(fds, 10_000)
			if err == syscall.EINTR {
				continue
			}
			if err != nil || n == 0 {
				return
			}
			if _, err := unix.Read(sfd, buf); err != nil {
				sf.errs <- err
				return
			}
			sf.infos <- info
		}
	}()
	sf.tid = <-tids
	if sf.tid == 0 {
		t.Fatalf("signalfd thread: %v", <-sf.errs)
	}
	return sf
}

// receive waits for the next signal on the thread.
func (sf *signalfdThread) receive(t *testing.T) unix.SignalfdSiginfo {
	t.Helper()
	select {
	case info := <-sf.infos:
		return info
	case err := <-sf.errs:
		t.Fatalf("signalfd: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("signal never arrived on the signalfd thread")
	}
	return unix.SignalfdSiginfo{}
}
