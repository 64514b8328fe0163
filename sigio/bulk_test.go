package sigio

import (
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// TestTenThousandWrites: 10,000 one-byte writes spread over 4 pipes by 4
// concurrent writers give exactly 10,000 POLL_IN events, 2,500 per pipe,
// each with its own descriptor. The kernel does not coalesce real-time
// signals: pipe_write raises one per write() call and each is queued while
// the queue has room (RLIMIT_SIGPENDING is far above 10,000 here) (SPEC R1).
func TestTenThousandWrites(t *testing.T) {
	const pipes, perPipe = 4, 2500
	w := newWatcher(t, nil)
	var readEnds, writeEnds [pipes]int
	for i := range pipes {
		readEnds[i], writeEnds[i] = pipe(t)
		if err := w.Watch(readEnds[i]); err != nil {
			t.Fatal(err)
		}
	}
	// The sentinel is written after every writer has finished: real-time
	// signals of one number are dequeued in the order they were queued,
	// so once its event arrives every earlier signal has been read.
	sentR, sentW := pipe(t)
	if err := w.Watch(sentR); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for i := range pipes {
		wg.Add(1)
		go func(fd int) {
			defer wg.Done()
			for range perPipe {
				if n, err := unix.Write(fd, []byte{'x'}); n != 1 || err != nil {
					t.Errorf("write fd %d: %d, %v", fd, n, err)
					return
				}
			}
		}(writeEnds[i])
	}
	counted := make(chan map[int]int)
	go func() {
		n := map[int]int{}
		for e := range w.Events() {
			if e.Fd == sentR {
				break
			}
			if e.Band == POLL_IN && !e.Polled {
				n[e.Fd]++
			} else {
				n[-100]++ // anything else, reported below
			}
		}
		counted <- n
	}()
	wg.Wait()
	write(t, sentW, []byte{'s'})
	n := <-counted

	total := 0
	for i, fd := range readEnds {
		if n[fd] != perPipe {
			t.Errorf("pipe %d (fd %d): %d POLL_IN events, want %d", i, fd, n[fd], perPipe)
		}
		total += n[fd]
		if got := drain(t, fd); got != perPipe {
			t.Errorf("pipe %d holds %d bytes, want %d", i, got, perPipe)
		}
	}
	if n[-100] != 0 {
		t.Errorf("%d events other than POLL_IN", n[-100])
	}
	st := w.Stats()
	if total != pipes*perPipe || st.Resyncs != 0 || st.Stale != 0 || st.Foreign != 0 {
		t.Errorf("%d events, stats %+v; want %d events and no resync, stale or foreign signal", total, st, pipes*perPipe)
	}
	t.Logf("%d writes -> %d events; stats %+v", pipes*perPipe, total, st)
}
