package aio

import (
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/fasync-go/fasync/internal/benchfile"
)

// Benchmarks of 4 KiB random reads from a page-cached file: the engine on
// each backend at queue depth 32, beside the baseline the issue names, 32
// goroutines doing os.File.ReadAt, measured in the same run. ns/op is the
// time per read (so the ratio of ns/op is the inverse ratio of IOPS);
// allocs/op is what the engine allocates per request in steady state.
//
//	go test -run '^$' -bench RandRead -benchmem ./aio

// The file is the one every AIO benchmark reads (internal/benchfile):
// 1 GiB, as in the issue's goals, so figures compare across `fasync bench
// aio`, this package's and internal/uring's benchmarks.
const (
	benchFileSize = benchfile.SharedSize
	benchBlock    = 4096
	benchDepth    = 32
)

// sharedFile opens the shared benchmark file, laid out and cached.
func sharedFile(b *testing.B) *os.File {
	f, err := benchfile.OpenShared(os.O_RDONLY)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// benchBuffers returns n page-aligned buffers of one block each.
func benchBuffers(b *testing.B, n int) [][]byte {
	bufs, free, err := benchfile.PageBuffers(n, benchBlock)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(free)
	return bufs
}

func BenchmarkRandRead4K(b *testing.B) {
	f := sharedFile(b)
	b.Run("baseline=goroutines-ReadAt/qd32", func(b *testing.B) {
		benchGoroutines(b, f, benchDepth)
	})
	for _, be := range backendsByRank() {
		if be.available() != nil {
			continue
		}
		b.Run("engine="+be.name+"/qd32", func(b *testing.B) {
			benchEngine(b, f, be.name, benchDepth, runtime.GOMAXPROCS(0))
		})
	}
	for _, be := range backendsByRank() {
		if be.available() != nil {
			continue
		}
		b.Run("engine="+be.name+"/qd32/one-consumer", func(b *testing.B) {
			benchEngine(b, f, be.name, benchDepth, 1)
		})
	}
	b.Run("baseline=goroutines-ReadAt/qd1", func(b *testing.B) {
		benchGoroutines(b, f, 1)
	})
	for _, be := range backendsByRank() {
		if be.available() != nil {
			continue
		}
		b.Run("engine="+be.name+"/qd1", func(b *testing.B) {
			benchEngine(b, f, be.name, 1, 1)
		})
	}
}

// benchGoroutines is the baseline: it reads b.N random blocks with depth
// goroutines each calling ReadAt into its own page-aligned buffer, and
// reports the CPU time per read too.
func benchGoroutines(b *testing.B, f *os.File, depth int) {
	benchReaderAt(b, f, depth)
}

// benchEngine keeps depth requests in flight on an engine, split among
// consumers goroutines: each owns an equal share of the requests, is
// notified on a channel of its own, takes each result and resubmits the
// request at once (the pattern of `fasync bench aio`).
//
// One consumer for all requests (the one-consumer rows) is much slower
// on io_uring, by design rather than by cost per request: the backend
// keeps the requests announced on one channel on one ring (see
// uringBackend.ringOf), so one ring's goroutine does every inline
// page-cache copy on one core while the other cores idle, and the single
// consumer's Return and resubmission are serial on top of that. Measured
// on two cores: about 0.4x the goroutine baseline, against 1.0x with a
// consumer per P; spreading that channel's requests over both rings
// instead reached only 0.55x, the consumer being the bottleneck.
func benchEngine(b *testing.B, f *os.File, backend string, depth, consumers int) {
	e, err := New(WithBackend(backend), WithQueueDepth(depth), WithWorkers(depth))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	consumers = max(1, min(consumers, depth))
	var wg sync.WaitGroup
	all := benchBuffers(b, depth)
	b.ReportAllocs()
	b.SetBytes(benchBlock)
	b.ResetTimer()
	for c := range consumers {
		n := b.N / consumers
		if c == 0 {
			n += b.N % consumers
		}
		bufs := all[c*depth/consumers : (c+1)*depth/consumers]
		wg.Go(func() { consume(b, e, f, bufs, n, benchfile.NewRand(uint64(c))) })
	}
	wg.Wait()
}

// consume submits n reads of random blocks, one per buffer at a time,
// resubmitting each request as soon as its completion arrives.
func consume(b *testing.B, e *Engine, f *os.File, bufs [][]byte, n int, r benchfile.Rand) {
	done := make(chan *Request, len(bufs))
	inFlight, submitted := 0, 0
	for _, buf := range bufs[:min(len(bufs), n)] {
		q := &Request{Fd: int(f.Fd()), Buf: buf, Offset: r.Block(benchFileSize, benchBlock), Notify: Sigevent{Notify: SIGEV_CHAN, Chan: done}}
		if err := e.Read(q); err != nil {
			b.Error(err)
			return
		}
		inFlight++
		submitted++
	}
	for inFlight > 0 {
		q := <-done
		inFlight--
		if got, err := q.Return(); got != benchBlock || err != nil {
			b.Errorf("Return = %d, %v", got, err)
			return
		}
		if submitted < n {
			q.Offset = r.Block(benchFileSize, benchBlock)
			if err := e.Read(q); err != nil {
				b.Error(err)
				return
			}
			submitted++
			inFlight++
		}
	}
}
