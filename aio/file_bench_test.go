package aio

import (
	"io"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/fasync-go/fasync/internal/benchfile"
)

// Benchmarks of File (SPEC C16): 32 goroutines each calling ReadAt for
// 4 KiB random blocks of the shared 1 GiB benchmark file, through
// os.File and through File on each backend, measured side by side in the
// same run (the rows alternate when -count repeats them). ns/op is the
// time per read, so the ratio of two rows' ns/op is the inverse ratio of
// their IOPS; allocs/op is what a File call allocates.
//
//	go test -run '^$' -bench 'File' -benchmem -count 3 ./aio
//
// The O_DIRECT rows read the disk (the file's pages bypass the cache);
// they are skipped with -short.

const fileBenchGoroutines = 32

func BenchmarkFileRandRead4K(b *testing.B) {
	for _, direct := range []bool{false, true} {
		mode, flags := "cached", os.O_RDONLY
		if direct {
			if testing.Short() {
				continue
			}
			mode, flags = "direct", os.O_RDONLY|syscall.O_DIRECT
		}
		b.Run(mode+"/baseline=os.File-ReadAt/g32", func(b *testing.B) {
			f, err := benchfile.OpenShared(flags)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			benchReaderAt(b, f, fileBenchGoroutines)
		})
		for _, be := range backendsByRank() {
			if be.available() != nil {
				continue
			}
			b.Run(mode+"/file="+be.name+"/g32", func(b *testing.B) {
				f, err := benchfile.OpenShared(flags)
				if err != nil {
					b.Fatal(err)
				}
				af, err := NewFile(f, WithBackend(be.name), WithWorkers(fileBenchGoroutines))
				if err != nil {
					f.Close()
					b.Fatal(err)
				}
				defer af.Close()
				benchReaderAt(b, af, fileBenchGoroutines)
			})
		}
	}
}

// benchReaderAt reads b.N random blocks with g goroutines each calling
// r.ReadAt into a page-aligned buffer of its own (outside the Go heap,
// as the other benchmarks' buffers).
func benchReaderAt(b *testing.B, r io.ReaderAt, g int) {
	b.ReportAllocs()
	b.SetBytes(benchBlock)
	var wg sync.WaitGroup
	per := b.N / g
	bufs := benchBuffers(b, g)
	b.ResetTimer()
	for k := range g {
		n := per
		if k == 0 {
			n += b.N % g
		}
		wg.Go(func() {
			buf := bufs[k]
			rnd := benchfile.NewRand(uint64(k))
			for range n {
				if m, err := r.ReadAt(buf, rnd.Block(benchFileSize, benchBlock)); m != len(buf) || err != nil {
					b.Errorf("ReadAt = %d, %v", m, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
