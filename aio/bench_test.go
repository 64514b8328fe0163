package aio

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"unsafe"
)

// Benchmarks of 4 KiB random reads from a page-cached file: the engine on
// each backend at queue depth 32, beside the baseline the issue names, 32
// goroutines doing os.File.ReadAt, measured in the same run. ns/op is the
// time per read (so the ratio of ns/op is the inverse ratio of IOPS);
// allocs/op is what the engine allocates per request in steady state.
//
//	go test -run '^$' -bench RandRead -benchmem ./aio

const (
	benchFileSize = 256 << 20
	benchBlock    = 4096
	benchDepth    = 32
)

var benchFile struct {
	once sync.Once
	name string
	err  error
}

// cachedFile returns the name of a benchFileSize file, created once per
// run and read once so its pages are cached.
func cachedFile(b *testing.B) string {
	b.Helper()
	benchFile.once.Do(func() {
		dir, err := os.MkdirTemp("", "aio-bench")
		if err != nil {
			benchFile.err = err
			return
		}
		name := filepath.Join(dir, "data")
		f, err := os.Create(name)
		if err != nil {
			benchFile.err = err
			return
		}
		defer f.Close()
		chunk := make([]byte, 1<<20)
		for i := range chunk {
			chunk[i] = byte(i * 7)
		}
		for off := 0; off < benchFileSize; off += len(chunk) {
			if _, err := f.Write(chunk); err != nil {
				benchFile.err = err
				return
			}
		}
		benchFile.name = name
	})
	if benchFile.err != nil {
		b.Fatal(benchFile.err)
	}
	return benchFile.name
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchFile.name != "" {
		os.RemoveAll(filepath.Dir(benchFile.name))
	}
	os.Exit(code)
}

// alignedBuf returns n bytes starting on a page boundary: a destination
// aligned to less halves copy speed on this CPU (NOTES.md).
func alignedBuf(n int) []byte {
	const page = 4096
	raw := make([]byte, n+page)
	skip := (page - int(uintptr(unsafe.Pointer(&raw[0]))%page)) % page
	return raw[skip : skip+n : skip+n]
}

// rng is a xorshift generator: random offsets without locks or allocation.
type rng uint64

func (r *rng) offset() int64 {
	x := uint64(*r)
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	*r = rng(x)
	return int64(x%(benchFileSize/benchBlock)) * benchBlock
}

func BenchmarkRandRead4K(b *testing.B) {
	name := cachedFile(b)
	f, err := os.Open(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	warm := alignedBuf(1 << 20)
	for off := int64(0); off < benchFileSize; off += int64(len(warm)) {
		f.ReadAt(warm, off)
	}

	b.Run("baseline=goroutines-ReadAt/qd32", func(b *testing.B) {
		benchGoroutines(b, f, benchDepth)
	})
	for _, be := range backendsByRank() {
		if be.available() != nil {
			continue
		}
		b.Run("engine="+be.name+"/qd32", func(b *testing.B) {
			benchEngine(b, f, be.name, benchDepth)
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
			benchEngine(b, f, be.name, 1)
		})
	}
}

// benchGoroutines reads b.N random blocks with depth goroutines each
// calling ReadAt.
func benchGoroutines(b *testing.B, f *os.File, depth int) {
	b.ReportAllocs()
	b.SetBytes(benchBlock)
	var wg sync.WaitGroup
	per := b.N / depth
	b.ResetTimer()
	for g := range depth {
		n := per
		if g == 0 {
			n += b.N % depth
		}
		wg.Go(func() {
			buf := alignedBuf(benchBlock)
			r := rng(g*7919 + 1)
			for range n {
				if _, err := f.ReadAt(buf, r.offset()); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// benchEngine keeps depth requests in flight on an engine, reaping
// completions from a channel and resubmitting each request at once.
func benchEngine(b *testing.B, f *os.File, backend string, depth int) {
	e, err := New(WithBackend(backend), WithQueueDepth(depth), WithWorkers(depth))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	done := make(chan *Request, depth)
	reqs := make([]*Request, depth)
	r := rng(1)
	for i := range reqs {
		reqs[i] = &Request{Fd: int(f.Fd()), Buf: alignedBuf(benchBlock),
			Notify: Sigevent{Notify: SIGEV_CHAN, Chan: done}}
	}
	b.ReportAllocs()
	b.SetBytes(benchBlock)
	b.ResetTimer()
	inFlight := 0
	for i := 0; i < min(depth, b.N); i++ {
		reqs[i].Offset = r.offset()
		if err := e.Read(reqs[i]); err != nil {
			b.Fatal(err)
		}
		inFlight++
	}
	for submitted := inFlight; inFlight > 0; {
		q := <-done
		inFlight--
		if n, err := q.Return(); n != benchBlock || err != nil {
			b.Fatalf("Return = %d, %v", n, err)
		}
		if submitted < b.N {
			q.Offset = r.offset()
			if err := e.Read(q); err != nil {
				b.Fatal(err)
			}
			submitted++
			inFlight++
		}
	}
}
