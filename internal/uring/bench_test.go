package uring

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/benchfile"
)

// Benchmarks of the ring on its own, each beside its baseline in the same
// run: 4 KiB random reads of a page-cached 1 GiB file at queue depth 32
// (the issue's workload), against 32 goroutines doing os.File.ReadAt.
//
//	go test -run '^$' -bench . -benchtime 2000000x ./internal/uring/
//
// The file is benchfile's shared one, the same file `fasync bench aio`
// uses by default.

const (
	benchSize  = benchfile.SharedSize
	benchBS    = 4096
	benchDepth = 32
)

// benchFile opens the shared benchmark file, laid out and cached.
func benchFile(b *testing.B) *os.File {
	f, err := benchfile.OpenShared(os.O_RDONLY)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// BenchmarkRingRandRead4K is one goroutine driving a raw Ring: 32 reads
// per io_uring_enter, reaped, resubmitted. One ring, one core; the
// sub-benchmarks differ in setup flags.
func BenchmarkRingRandRead4K(b *testing.B) {
	needUring(b)
	for _, c := range []struct {
		name  string
		flags uint32
	}{
		{"plain", 0},
		{"coop", IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_NO_SQARRAY},
		{"single-issuer-defer", IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_NO_SQARRAY},
	} {
		b.Run(c.name, func(b *testing.B) { benchRing(b, c.flags, false) })
	}
	b.Run("fixed-file-and-buffers", func(b *testing.B) { benchRing(b, 0, true) })
}

// benchRing drives one ring from one locked goroutine; fixed registers
// the file and the buffers (IOSQE_FIXED_FILE, READ_FIXED).
func benchRing(b *testing.B, flags uint32, fixed bool) { benchRingOn(b, benchFile(b), flags, fixed) }

func benchRingOn(b *testing.B, f *os.File, flags uint32, fixed bool) {
	runtime.LockOSThread() // SINGLE_ISSUER: this thread submits
	defer runtime.UnlockOSThread()
	r := newRing(b, Config{Entries: benchDepth, Flags: flags})
	bufs := pageBuf(b, benchDepth*benchBS)
	rnd := benchfile.NewRand(0)
	fd := int(f.Fd())
	var cqes [benchDepth]CQE
	prep := func(i uint64) {
		s := r.NextSQE()
		if !fixed {
			s.PrepRead(fd, bufs[i*benchBS:(i+1)*benchBS], rnd.Block(benchSize, benchBS), i)
			return
		}
		s.PrepReadFixed(0, bufs[i*benchBS:(i+1)*benchBS], rnd.Block(benchSize, benchBS), 0, i)
		s.Flags |= IOSQE_FIXED_FILE
	}
	if fixed {
		if err := r.RegisterFiles([]int32{int32(fd)}); err != nil {
			b.Fatal(err)
		}
		if err := r.RegisterBuffers([][]byte{bufs}); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(benchBS)
	b.ReportAllocs()
	b.ResetTimer()
	defer benchfile.ReportCPU(b)()
	issued, done := 0, 0
	for i := 0; i < benchDepth && issued < b.N; i++ {
		prep(uint64(i))
		issued++
	}
	for done < b.N {
		if _, err := r.SubmitAndWait(1); err != nil {
			b.Fatal(err)
		}
		n := r.Reap(cqes[:])
		for _, c := range cqes[:n] {
			if c.Res != benchBS {
				b.Fatalf("read res %d", c.Res)
			}
			done++
			if issued < b.N {
				prep(c.UserData)
				issued++
			}
		}
	}
}

// BenchmarkLoopRandRead4K drives n Loops at a total depth of 32; each
// completion resubmits from the Handler, so every Loop keeps its own
// core busy with no hand-off.
func BenchmarkLoopRandRead4K(b *testing.B) {
	needUring(b)
	for _, loops := range []int{1, 2} {
		b.Run(fmt.Sprintf("loops=%d", loops), func(b *testing.B) { benchLoopsOn(b, benchFile(b), loops, false) })
	}
	b.Run("loops=1/thread", func(b *testing.B) { benchLoopsOn(b, benchFile(b), 1, true) })
}

// benchLoopsOn reads f through nloops Loops, with a thread each when
// thread is set.
func benchLoopsOn(b *testing.B, f *os.File, nloops int, thread bool) {
	fd := int(f.Fd())
	bufs := pageBuf(b, benchDepth*benchBS)
	var issued, done atomic.Int64
	finished := make(chan struct{})
	loops := make([]*Loop, nloops)
	for k := range loops {
		rnd := benchfile.NewRand(uint64(k))
		var l *Loop
		handler := func(ud uint64, res int32, _ uint32) {
			if res != benchBS {
				panic(fmt.Sprintf("read res %d", res))
			}
			if issued.Add(1) <= int64(b.N) {
				var sqe [1]SQE
				sqe[0].PrepRead(fd, bufs[ud*benchBS:(ud+1)*benchBS], rnd.Block(benchSize, benchBS), ud)
				if _, err := l.Submit(sqe[:]); err != nil {
					panic(err)
				}
			}
			if done.Add(1) == int64(b.N) {
				close(finished)
			}
		}
		var err error
		l, err = NewLoop(LoopConfig{Entries: benchDepth, Thread: thread}, handler)
		if err != nil {
			b.Fatal(err)
		}
		loops[k] = l
		defer l.Close()
	}
	b.SetBytes(benchBS)
	b.ReportAllocs()
	b.ResetTimer()
	defer benchfile.ReportCPU(b)()
	rnd := benchfile.NewRand(99)
	for i := 0; i < benchDepth && issued.Add(1) <= int64(b.N); i++ {
		var sqe [1]SQE
		sqe[0].PrepRead(fd, bufs[i*benchBS:(i+1)*benchBS], rnd.Block(benchSize, benchBS), uint64(i))
		if _, err := loops[i%nloops].Submit(sqe[:]); err != nil {
			b.Fatal(err)
		}
	}
	<-finished
}

// BenchmarkGoroutinesReadAt4K is the baseline: 32 goroutines, each doing
// os.File.ReadAt of 4 KiB at random offsets into a page-aligned buffer.
func BenchmarkGoroutinesReadAt4K(b *testing.B) {
	f := benchFile(b)
	bufs := pageBuf(b, benchDepth*benchBS)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.SetBytes(benchBS)
	b.ReportAllocs()
	b.ResetTimer()
	defer benchfile.ReportCPU(b)()
	for g := 0; g < benchDepth; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			buf := bufs[g*benchBS : (g+1)*benchBS]
			rnd := benchfile.NewRand(uint64(g))
			for next.Add(1) <= int64(b.N) {
				if _, err := f.ReadAt(buf, rnd.Block(benchSize, benchBS)); err != nil {
					panic(err)
				}
			}
		}(g)
	}
	wg.Wait()
}

// BenchmarkRingNop measures the ring's own cost: 32 NOPs per enter.
func BenchmarkRingNop(b *testing.B) {
	r := newRing(b, Config{Entries: benchDepth})
	var cqes [benchDepth]CQE
	b.ReportAllocs()
	for i := 0; i < b.N; i += benchDepth {
		for j := 0; j < benchDepth; j++ {
			r.NextSQE().PrepNop(uint64(j))
		}
		if _, err := r.SubmitAndWait(benchDepth); err != nil {
			b.Fatal(err)
		}
		r.Reap(cqes[:])
	}
}

// BenchmarkLoopDirectRandRead4K is benchLoops on the file opened
// O_DIRECT: disk-bound, it shows what the Loop adds to device latency.
func BenchmarkLoopDirectRandRead4K(b *testing.B) {
	needUring(b)
	f, err := benchfile.OpenShared(os.O_RDONLY | unix.O_DIRECT)
	if err != nil {
		b.Skipf("O_DIRECT: %v", err)
	}
	defer f.Close()
	b.Run("loop", func(b *testing.B) { benchLoopsOn(b, f, 1, false) })
	b.Run("loop/thread", func(b *testing.B) { benchLoopsOn(b, f, 1, true) })
	b.Run("ring-waits-in-enter", func(b *testing.B) { benchRingOn(b, f, 0, false) })
}
