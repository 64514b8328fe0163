package aio

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/fasync-go/fasync/internal/testutil"
)

// C15: Close racing a ReadAt of an empty pipe never hangs, whatever the
// moment: just as the call starts, while its request is between the
// engine and the backend, or once the backend has it. Close returns, and
// the read fails with os.ErrClosed. (A Close that cancels only what the
// backend holds when it looks misses a request on its way there, and
// then waits for data that never comes.) Many tries per run, each with a
// bounded wait, so -count=100 shows a rare miss.
func TestFileCloseRacingRead(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		rfd, _ := pipe(t)
		for try := range 200 {
			f, err := e.NewFile(dupFile(t, rfd))
			if err != nil {
				t.Fatal(err)
			}
			res := make(chan error, 1)
			go func() {
				_, err := f.ReadAt(make([]byte, 1), 0)
				res <- err
			}()
			if try%2 == 1 {
				// Every other try closes once the read is in flight, the
				// rest as it starts.
				testutil.WaitFor(t, "the read to be in flight", func() bool { return e.InFlight() > 0 || len(res) > 0 })
			}
			closed := make(chan error, 1)
			go func() { closed <- f.Close() }()
			select {
			case err := <-closed:
				if err != nil {
					t.Fatalf("try %d: Close: %v", try, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("C15: try %d: Close racing ReadAt of an empty pipe has not returned in 10s (%d in flight)", try, e.InFlight())
			}
			if err := <-res; !errors.Is(err, os.ErrClosed) {
				t.Fatalf("C15: try %d: the read Close raced gave %v; want os.ErrClosed", try, err)
			}
		}
	})
}
