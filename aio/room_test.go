package aio

import (
	"context"
	"errors"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/fasync-go/fasync/internal/testutil"
)

// C20: calls that find the in-flight limit reached wait, parked on the
// engine's list of room waiters (a goroutine on a channel, no thread, no
// timer), until completions give places back; then each gets its data.
// A waiting ReadAtContext whose context ends leaves the list with
// ctx.Err(), and Close ends the wait of its File's calls with
// os.ErrClosed.
func TestFileWaitsForRoom(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t, WithMaxInFlight(1))
		wfd, held := saturate(t, e)
		_, data := tempFile(t, 1<<16, os.O_RDONLY)
		f, _ := newTestFile(t, e, data, os.O_RDONLY)
		f.rd.never() // every read goes to the engine
		const calls = 8
		var wg sync.WaitGroup
		for g := range calls {
			wg.Go(func() {
				p := make([]byte, 4096)
				off := int64(g) * 4096
				if n, err := f.ReadAt(p, off); n != len(p) || err != nil || string(p) != string(data[off:off+4096]) {
					t.Errorf("C20: ReadAt after waiting for room = %d, %v", n, err)
				}
			})
		}
		testutil.WaitFor(t, "every call to wait for room", func() bool { return e.roomWaiters.Load() == calls })

		ctx, cancel := context.WithCancel(context.Background())
		ctxDone := make(chan error, 1)
		go func() {
			_, err := f.ReadAtContext(ctx, make([]byte, 10), 0)
			ctxDone <- err
		}()
		testutil.WaitFor(t, "the context call to wait too", func() bool { return e.roomWaiters.Load() == calls+1 })
		cancel()
		if err := <-ctxDone; !errors.Is(err, context.Canceled) {
			t.Fatalf("C20: ReadAtContext waiting for room, cancelled: %v", err)
		}
		if n := e.roomWaiters.Load(); n != calls {
			t.Fatalf("C20: %d waiters after the cancelled one left, want %d", n, calls)
		}

		syscall.Write(wfd, []byte{1}) // the pipe read completes: room, one place at a time
		waitDoneT(t, held)
		held.Return()
		wg.Wait()
		if n := e.roomWaiters.Load(); n != 0 {
			t.Fatalf("C20: %d waiters left", n)
		}

		// Close ends the wait of its calls.
		if err := e.Read(held); err != nil {
			t.Fatal(err)
		}
		waiting := make(chan error, 1)
		go func() {
			_, err := f.ReadAt(make([]byte, 10), 0)
			waiting <- err
		}()
		testutil.WaitFor(t, "a call to wait for room", func() bool { return e.roomWaiters.Load() == 1 })
		if err := f.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := <-waiting; !errors.Is(err, os.ErrClosed) {
			t.Fatalf("C20: a call waiting for room when its File closed: %v, want os.ErrClosed", err)
		}
	})
}
