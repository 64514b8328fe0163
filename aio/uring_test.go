package aio

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/benchfile"
	"github.com/fasync-go/fasync/internal/uring"
)

// needUring skips t when io_uring cannot be used here, naming why.
func needUring(t testing.TB) {
	t.Helper()
	if err := uring.Available(); err != nil {
		t.Skipf("io_uring unavailable, skipping: %v", err)
	}
}

// C13: with io_uring available, automatic selection picks it, with one
// ring per CPU unless told otherwise.
func TestUringSelectedAutomatically(t *testing.T) {
	needUring(t)
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Backend() != "uring" {
		t.Fatalf("Backend() = %q, want uring", e.Backend())
	}
	if n := len(e.bk.(*uringBackend).rings); n != runtime.NumCPU() {
		t.Fatalf("%d rings, want %d (one per CPU)", n, runtime.NumCPU())
	}
	e2, err := New(WithBackend("uring"), WithRings(3), WithQueueDepth(4))
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if n := len(e2.bk.(*uringBackend).rings); n != 3 {
		t.Fatalf("WithRings(3): %d rings", n)
	}
}

// C6, C8: requests beyond the ring's depth wait on its backlog, where
// Cancel takes them off at once (AIO_CANCELED); the rest run when room
// appears, nothing lost.
func TestUringBacklog(t *testing.T) {
	needUring(t)
	e, err := New(WithBackend("uring"), WithRings(1), WithQueueDepth(1))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	pr, pw := pipe(t)
	rs := make([]*Request, 4)
	for i := range rs {
		rs[i] = &Request{Fd: pr, Buf: make([]byte, 1)}
		if err := e.Read(rs[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rs[1:] {
		if r.bkState.Load() != ubBacklog {
			t.Fatalf("C6/backlog: request beyond depth 1 in stage %d, want the backlog", r.bkState.Load())
		}
	}
	res, err := e.Cancel(pr, rs[2])
	if err != nil || res != AIO_CANCELED {
		t.Fatalf("C8/backlog-cancel: Cancel = %d, %v; want AIO_CANCELED", res, err)
	}
	mustStatus(t, rs[2], syscall.ECANCELED)
	unix.Write(pw, []byte("abc"))
	waitDoneT(t, rs[0], rs[1], rs[3])
	for _, r := range []*Request{rs[0], rs[1], rs[3]} {
		mustReturn(t, r, 1)
	}
}

// C8: a read parked on an empty pipe is cancelled through
// IORING_OP_ASYNC_CANCEL: AIO_CANCELED, and the request reports
// ECANCELED when Cancel returns.
func TestUringCancelInKernel(t *testing.T) {
	needUring(t)
	e, err := New(WithBackend("uring"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	pr, _ := pipe(t)
	r := &Request{Fd: pr, Buf: make([]byte, 8)}
	if err := e.Read(r); err != nil {
		t.Fatal(err)
	}
	if r.bkState.Load() != ubRing {
		t.Fatalf("request in stage %d, want in the ring", r.bkState.Load())
	}
	res, err := e.Cancel(pr, r)
	if err != nil || res != AIO_CANCELED {
		t.Fatalf("Cancel = %d, %v; want AIO_CANCELED", res, err)
	}
	mustStatus(t, r, syscall.ECANCELED)
}

// C1: a steady stream of reads costs no allocation per request: the
// request, its SQE, its pinning and its channel notification all reuse
// memory.
func TestUringZeroAllocsPerRequest(t *testing.T) {
	needUring(t)
	e, err := New(WithBackend("uring"), WithRings(1))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	f, _ := tempFile(t, 1<<16, os.O_RDONLY)
	ch := make(chan *Request, 1)
	r := &Request{Fd: int(f.Fd()), Buf: make([]byte, 4096), Notify: Sigevent{Notify: SIGEV_CHAN, Chan: ch}}
	round := func() {
		if err := e.Read(r); err != nil {
			panic(err)
		}
		<-ch
		if n, err := r.Return(); n != 4096 || err != nil {
			panic(fmt.Sprint("Return: ", n, err))
		}
	}
	round() // first use: the ring, the pinner and the descriptor state warm up
	if allocs := testing.AllocsPerRun(2000, round); allocs > 0.01 {
		t.Fatalf("%.3f allocations per request, want 0", allocs)
	}
}

// C9: a ListIO is one io_uring_enter: its new entries share a ring and
// reach the kernel in one submission.
func TestUringListIOOneEnter(t *testing.T) {
	needUring(t)
	e, err := New(WithBackend("uring"), WithRings(2))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	f, data := tempFile(t, 16*4096, os.O_RDONLY)
	rings := e.bk.(*uringBackend).rings
	before := []uring.LoopStats{rings[0].loop.Stats(), rings[1].loop.Stats()}
	list := make([]*Request, 16)
	for i := range list {
		list[i] = &Request{Fd: int(f.Fd()), Offset: int64(i * 4096), Buf: make([]byte, 4096), Opcode: LIO_READ}
	}
	if err := e.ListIO(t.Context(), LIO_WAIT, list, nil); err != nil {
		t.Fatal(err)
	}
	for i, r := range list {
		mustReturn(t, r, 4096)
		mustEqual(t, "entry", r.Buf, data[i*4096:(i+1)*4096])
		if r.ring != list[0].ring {
			t.Fatalf("entry %d on ring %d, entry 0 on ring %d", i, r.ring, list[0].ring)
		}
	}
	k := list[0].ring - 1
	after := rings[k].loop.Stats()
	if sqes, enters := after.Submitted-before[k].Submitted, after.Enters-before[k].Enters; sqes != 16 || enters != 1 {
		t.Fatalf("ListIO of 16: %d SQEs in %d io_uring_enter calls, want 16 in 1", sqes, enters)
	}
}

// C11: requests announced on one channel share a ring; another channel
// gets the next ring.
func TestUringChannelAffinity(t *testing.T) {
	needUring(t)
	e, err := New(WithBackend("uring"), WithRings(2))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	f, _ := tempFile(t, 4096, os.O_RDONLY)
	chA, chB := make(chan *Request, 8), make(chan *Request, 8)
	var ringsA, ringsB []int32
	for i := 0; i < 8; i++ {
		ch := chA
		if i%2 == 1 {
			ch = chB
		}
		r := &Request{Fd: int(f.Fd()), Buf: make([]byte, 512), Notify: Sigevent{Notify: SIGEV_CHAN, Chan: ch}}
		if err := e.Read(r); err != nil {
			t.Fatal(err)
		}
		if ch == chA {
			ringsA = append(ringsA, r.ring)
		} else {
			ringsB = append(ringsB, r.ring)
		}
	}
	for i := range ringsA {
		if ringsA[i] != ringsA[0] || ringsB[i] != ringsB[0] {
			t.Fatalf("rings of channel A %v, of channel B %v: want one ring each", ringsA, ringsB)
		}
	}
	if ringsA[0] == ringsB[0] {
		t.Fatalf("both channels on ring %d, want different rings", ringsA[0])
	}
	for range 8 {
		select {
		case <-chA:
		case <-chB:
		}
	}
}

// C4: a request on a descriptor that is not open completes with EBADF.
func TestUringBadDescriptor(t *testing.T) {
	needUring(t)
	e, err := New(WithBackend("uring"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	f, _ := tempFile(t, 16, os.O_RDONLY)
	fd := int(f.Fd())
	f.Close() // fd is now closed, and Read does not check it
	r := &Request{Fd: fd, Buf: make([]byte, 4)}
	if err := e.Read(r); err != nil {
		if !errors.Is(err, syscall.EBADF) {
			t.Fatalf("Read on a closed descriptor: %v, want EBADF", err)
		}
		return
	}
	waitDoneT(t, r)
	mustStatus(t, r, syscall.EBADF)
}

// Benchmarks: 4 KiB random reads of a page-cached 1 GiB file at queue
// depth 32, through an Engine on each backend, beside 32 goroutines doing
// os.File.ReadAt (the baseline) in the same run:
//
//	go test -run '^$' -bench 'Uring.*RandRead4K' -benchtime 2000000x ./aio/
//
// The file is the shared one of bench_test.go.

// BenchmarkUringRandRead4K runs the baseline (32 goroutines, each doing
// os.File.ReadAt into its own page-aligned buffer) and the Engine on
// io_uring (one ring per CPU) and on the thread pool, one after another in
// one run; compare ns/op.
func BenchmarkUringRandRead4K(b *testing.B) {
	needUring(b)
	f := sharedFile(b)
	b.Run("baseline=goroutines-ReadAt", func(b *testing.B) { benchGoroutines(b, f, benchDepth) })
	b.Run("engine=uring", func(b *testing.B) { ubenchEngine(b, f, WithBackend("uring")) })
	b.Run("engine=threads", func(b *testing.B) { ubenchEngine(b, f, WithBackend("threads")) })
}

// ubenchEngine keeps 32 reads in flight on an Engine: one worker goroutine
// per CPU owns an equal share of the requests, is notified through its
// own channel (SIGEV_CHAN), takes each result and resubmits at once.
func ubenchEngine(b *testing.B, f *os.File, opts ...Option) {
	e, err := New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	workers := min(runtime.GOMAXPROCS(0), benchDepth)
	bufs := benchBuffers(b, benchDepth)
	var issued atomic.Int64
	var wg sync.WaitGroup
	b.SetBytes(benchBlock)
	b.ReportAllocs()
	b.ResetTimer()
	defer benchfile.ReportCPU(b)()
	for w := range workers {
		wg.Go(func() {
			per := benchDepth / workers
			ch := make(chan *Request, per)
			reqs := make([]Request, per)
			rnd := benchfile.NewRand(uint64(w))
			inflight := 0
			submit := func(r *Request) {
				r.Offset = rnd.Block(benchFileSize, benchBlock)
				if err := e.Read(r); err != nil {
					panic(err)
				}
				inflight++
			}
			for i := range reqs {
				reqs[i] = Request{Fd: int(f.Fd()), Buf: bufs[w*per+i], Notify: Sigevent{Notify: SIGEV_CHAN, Chan: ch}}
				if issued.Add(1) <= int64(b.N) {
					submit(&reqs[i])
				}
			}
			for inflight > 0 {
				r := <-ch
				inflight--
				if n, err := r.Return(); n != benchBlock {
					panic(fmt.Sprint("read: ", n, err))
				}
				if issued.Add(1) <= int64(b.N) {
					submit(r)
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if ub, ok := e.bk.(*uringBackend); ok {
		var enters, sqes, waits uint64
		for _, q := range ub.rings {
			st := q.loop.Stats()
			enters, sqes, waits = enters+st.Enters, sqes+st.Submitted, waits+st.Parks+st.Idles
		}
		b.ReportMetric(float64(sqes)/float64(max(enters, 1)), "sqes/enter")
		b.ReportMetric(float64(waits)/float64(b.N), "waits/op")
	}
}

// BenchmarkUringLayers splits the cost of a cached 4 KiB random read at
// depth 32 by layer, in one run: the io_uring backend alone, each
// completion resubmitting its request from the ring's goroutine (no
// engine, no hand-off), against the full Engine with channel
// notification and one consumer goroutine per CPU (as `fasync bench aio`
// drives it). Compare cpu-ns/op.
func BenchmarkUringLayers(b *testing.B) {
	needUring(b)
	f := sharedFile(b)
	b.Run("backend-only", func(b *testing.B) { ubenchBackend(b, f) })
	b.Run("engine+chan", func(b *testing.B) { ubenchEngine(b, f, WithBackend("uring")) })
	b.Run("baseline=goroutines-ReadAt", func(b *testing.B) { benchGoroutines(b, f, benchDepth) })
}

func ubenchBackend(b *testing.B, f *os.File) {
	bufs := benchBuffers(b, benchDepth)
	var issued, completed atomic.Int64
	finished := make(chan struct{})
	var bk backend
	rnds := make([]benchfile.Rand, benchDepth)
	done := func(r *Request, n int, errno syscall.Errno) {
		if n != benchBlock {
			panic(fmt.Sprint("read: ", n, errno))
		}
		if issued.Add(1) <= int64(b.N) {
			r.off = rnds[r.Notify.Value].Block(benchFileSize, benchBlock)
			r.one[0] = r
			bk.start(r.one[:])
		}
		if completed.Add(1) == int64(b.N) {
			close(finished)
		}
	}
	var err error
	bk, err = newUringBackend(backendConfig{QueueDepth: benchDepth, Rings: runtime.NumCPU()}, done)
	if err != nil {
		b.Fatal(err)
	}
	defer bk.close()
	reqs := make([]Request, benchDepth)
	b.SetBytes(benchBlock)
	b.ReportAllocs()
	b.ResetTimer()
	defer benchfile.ReportCPU(b)()
	for i := range reqs {
		r := &reqs[i]
		rnds[i] = benchfile.NewRand(uint64(i))
		r.Notify.Value = uint64(i) // which random source: not used by the backend
		r.fd, r.buf, r.op, r.off = int(f.Fd()), bufs[i], opRead, rnds[i].Block(benchFileSize, benchBlock)
		if issued.Add(1) <= int64(b.N) {
			r.one[0] = r
			bk.start(r.one[:])
		}
	}
	<-finished
}
