package aio

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// C8 and C11 under concurrency: requests resubmitted in a loop while
// Cancel(fd, nil) and Suspend run beside them. Every accepted submission
// completes exactly once, with success or ECANCELED, and is notified once.
func TestCancelSuspendRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t, WithWorkers(4))
		f, data := tempFile(t, 1<<16, os.O_RDONLY)
		fd := int(f.Fd())
		const submitters, rounds = 4, 300
		var submitted, notified, cancelled atomic.Int64
		var wg sync.WaitGroup
		stop := make(chan struct{})

		for i := range submitters {
			wg.Go(func() {
				ch := make(chan *Request, 1)
				r := &Request{Fd: fd, Offset: int64(i * 512), Buf: make([]byte, 512),
					Notify: Sigevent{Notify: SIGEV_CHAN, Chan: ch}}
				for range rounds {
					if err := e.Read(r); err != nil {
						t.Errorf("Read: %v", err)
						return
					}
					submitted.Add(1)
					if err := e.Suspend(context.Background(), []*Request{r}, NoTimeout); err != nil {
						t.Errorf("Suspend: %v", err)
						return
					}
					if got := <-ch; got != r {
						t.Errorf("notified %p, want %p", got, r)
						return
					}
					notified.Add(1)
					n, err := r.Return()
					switch {
					case errors.Is(err, syscall.ECANCELED):
						cancelled.Add(1)
					case err != nil || n != 512:
						t.Errorf("Return = %d, %v", n, err)
						return
					default:
						mustEqualNoFatal(t, r.Buf, data[i*512:(i+1)*512])
					}
				}
			})
		}
		var cancellers sync.WaitGroup
		cancellers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := e.Cancel(fd, nil)
				if err != nil || res < AIO_CANCELED || res > AIO_ALLDONE {
					t.Errorf("Cancel = %d, %v", res, err)
					return
				}
			}
		})
		wg.Wait()
		close(stop)
		cancellers.Wait()
		if submitted.Load() != notified.Load() {
			t.Fatalf("%d submissions, %d notifications", submitted.Load(), notified.Load())
		}
		t.Logf("%d requests, %d cancelled", submitted.Load(), cancelled.Load())
		if e.InFlight() != 0 {
			t.Fatalf("InFlight = %d after everything completed", e.InFlight())
		}
	})
}

func mustEqualNoFatal(t *testing.T, got, want []byte) {
	t.Helper()
	if string(got) != string(want) {
		t.Errorf("read data differs from the file")
	}
}

// Close under load: submissions racing Close either fail with ErrClosed
// or complete (success or ECANCELED) and are notified; Close returns only
// when nothing is in flight.
func TestCloseRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		for range 20 {
			e := newEngine(t, WithWorkers(2))
			f, _ := tempFile(t, 1<<16, os.O_RDONLY)
			ch := make(chan *Request, 4096)
			var accepted atomic.Int64
			var wg sync.WaitGroup
			for i := range 4 {
				wg.Go(func() {
					for j := range 200 {
						r := &Request{Fd: int(f.Fd()), Offset: int64((i*200 + j) % 64 * 1024), Buf: make([]byte, 1024),
							Notify: Sigevent{Notify: SIGEV_CHAN, Chan: ch}}
						err := e.Read(r)
						if errors.Is(err, ErrClosed) {
							return
						}
						if err != nil {
							t.Errorf("Read: %v", err)
							return
						}
						accepted.Add(1)
					}
				})
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			if e.InFlight() != 0 {
				t.Fatalf("InFlight = %d after Close", e.InFlight())
			}
			for range accepted.Load() {
				r := <-ch
				if err := r.Error(); err != nil && err != syscall.ECANCELED {
					t.Fatalf("request after Close: %v", err)
				}
			}
			if err := e.Read(&Request{Fd: int(f.Fd()), Buf: make([]byte, 1)}); !errors.Is(err, ErrClosed) || !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("Read after Close: %v, want ErrClosed", err)
			}
		}
	})
}

// Close cancels what is queued and what waits on a descriptor that may
// never become ready: a read blocked on an empty pipe ends with ECANCELED
// and Close returns, on every backend (C8). Nothing is written to the pipe.
func TestCloseBlockedPipeRead(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t, WithWorkers(1))
		pr, _ := pipe(t)
		f, _ := tempFile(t, 100, os.O_RDONLY)
		blocker := &Request{Fd: pr, Buf: make([]byte, 1)}
		queued := &Request{Fd: int(f.Fd()), Buf: make([]byte, 1)}
		if err := e.Read(blocker); err != nil {
			t.Fatal(err)
		}
		waitRunning(t, e, blocker)
		if err := e.Read(queued); err != nil {
			t.Fatal(err)
		}
		closeWithin(t, e, 10*time.Second)
		mustStatus(t, blocker, syscall.ECANCELED)
		if err := queued.Error(); err != nil && err != syscall.ECANCELED {
			t.Fatalf("queued request after Close: %v", err)
		}
	})
}

// A submission under way as Close began reaches the backend after Close's
// cancel pass: Close's interrupt still stops a read it starts on an empty
// pipe (C8). Submitting after interrupt, without Close, shows it: the
// read ends with ECANCELED on every backend.
func TestInterruptReachesLaterSubmissions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		in, ok := e.bk.(interrupter)
		if !ok {
			t.Fatalf("backend %s cannot interrupt", e.Backend())
		}
		pr, _ := pipe(t)
		in.interrupt()
		r := &Request{Fd: pr, Buf: make([]byte, 1)}
		if err := e.Read(r); err != nil {
			t.Fatal(err)
		}
		waitDoneT(t, r)
		mustStatus(t, r, syscall.ECANCELED)
	})
}
