package aio

import (
	"os"
	"testing"
)

// Zero allocations per request in steady state (the goal): a
// request resubmitted after Return, notified on a channel, and a ListIO
// of such requests, allocate nothing once warm.
func TestSteadyStateAllocations(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		f, _ := tempFile(t, 1<<16, os.O_RDONLY)
		done := make(chan *Request, 8)
		r := &Request{Fd: int(f.Fd()), Buf: make([]byte, 4096), Notify: Sigevent{Notify: SIGEV_CHAN, Chan: done}}
		if got := readAllocs(t, e, r, done); got != 0 {
			t.Errorf("C1/zero-allocs: Read+Return allocates %.2f times per request", got)
		}
		list := make([]*Request, 16)
		for i := range list {
			list[i] = &Request{Fd: int(f.Fd()), Offset: int64(i * 4096), Buf: make([]byte, 4096), Opcode: LIO_READ}
		}
		listio := func() {
			if err := e.ListIO(t.Context(), LIO_WAIT, list, nil); err != nil {
				t.Fatal(err)
			}
			for _, q := range list {
				q.Return()
			}
		}
		if raceEnabled {
			return // sync.Pool drops items on purpose under -race
		}
		if got := testing.AllocsPerRun(200, listio); got != 0 {
			t.Errorf("C9/zero-allocs: ListIO of %d allocates %.2f times per call", len(list), got)
		}
	})
}

// readAllocs reports the allocations of one Read of r, its notification
// on done, and Return, averaged over 1000 runs; every read must return
// len(r.Buf) bytes.
func readAllocs(t *testing.T, e *Engine, r *Request, done <-chan *Request) float64 {
	t.Helper()
	return testing.AllocsPerRun(1000, func() {
		if err := e.Read(r); err != nil {
			t.Fatal(err)
		}
		<-done
		if n, err := r.Return(); n != len(r.Buf) || err != nil {
			t.Fatalf("Return = %d, %v", n, err)
		}
	})
}
