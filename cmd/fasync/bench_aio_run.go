package main

import (
	"fmt"
	"math/bits"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/aio"
	"github.com/fasync-go/fasync/internal/benchfile"
)

// prepareFile lays out job.filename and, for buffered I/O, reads it once
// so the measured reads hit the page cache.
func prepareFile(job *aioJob) error {
	return benchfile.Prepare(job.filename, job.size, !job.direct, job.progress)
}

// openJobFile opens the file the way the job says: read-only or
// read-write, with O_DIRECT when asked.
func openJobFile(job *aioJob) (*os.File, error) {
	flags := os.O_RDONLY
	if !job.isRead() {
		flags = os.O_RDWR
	}
	if job.direct {
		flags |= syscall.O_DIRECT
	}
	return os.OpenFile(job.filename, flags, 0)
}

// pageBuffers maps n buffers of size bytes, each starting on a page
// boundary (a 16-byte-aligned destination halves copy speed on these
// CPUs), outside the Go heap; free unmaps them.
func pageBuffers(n int, size int64) (bufs [][]byte, free func(), err error) {
	per := (size + 4095) &^ 4095
	mem, err := unix.Mmap(-1, 0, int(per)*n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
	if err != nil {
		return nil, nil, fmt.Errorf("buffers: %w", err)
	}
	rnd := xorshift(12345)
	for i := range mem {
		mem[i] = byte(rnd.next())
	}
	bufs = make([][]byte, n)
	for i := range bufs {
		bufs[i] = mem[int64(i)*per : int64(i)*per+size : int64(i)*per+size]
	}
	return bufs, func() { unix.Munmap(mem) }, nil
}

// xorshift is a small random source, one per goroutine.
type xorshift uint64

func (x *xorshift) next() uint64 {
	*x ^= *x << 13
	*x ^= *x >> 7
	*x ^= *x << 17
	return uint64(*x)
}

// offsets hands out the job's offsets: uniformly random blocks, or one
// sequential stream shared by every submitter.
type offsets struct {
	job    *aioJob
	blocks uint64
	seq    atomic.Int64
}

func (o *offsets) next(rnd *xorshift) int64 {
	if o.job.isRandom() {
		return int64(rnd.next()%o.blocks) * o.job.bs
	}
	return (o.seq.Add(o.job.bs) - o.job.bs) % (int64(o.blocks) * o.job.bs)
}

// meter is one submitter's tally: I/Os done (read by the progress line
// while running) and their latencies. Padded so submitters' counters do
// not share a cache line.
type meter struct {
	ios  atomic.Int64
	hist latHist
	err  error
	_    [64]byte
}

// runAIOJob runs the job on its engine for job.runtime and measures it.
func runAIOJob(job *aioJob) (aioResult, error) {
	f, err := openJobFile(job)
	if err != nil {
		return aioResult{}, err
	}
	defer f.Close()
	var eng *aio.Engine
	if job.engine != "goroutines" {
		if eng, err = newJobEngine(job); err != nil {
			return aioResult{}, err
		}
		defer eng.Close()
		if job.regfiles {
			if err := eng.RegisterFile(int(f.Fd())); err != nil {
				return aioResult{}, err
			}
			defer eng.UnregisterFile(int(f.Fd()))
		}
	}
	bufs, free, err := jobBuffers(job, eng)
	if err != nil {
		return aioResult{}, err
	}
	defer free()
	offs := &offsets{job: job, blocks: uint64(job.size / job.bs)}
	var stop atomic.Bool
	var meters []*meter
	var wg sync.WaitGroup
	name := job.engine
	switch job.engine {
	case "goroutines":
		name = fmt.Sprintf("goroutines x%d ReadAt", job.iodepth)
		if !job.isRead() {
			name = fmt.Sprintf("goroutines x%d WriteAt", job.iodepth)
		}
		meters = startGoroutines(job, f, bufs, offs, &stop, &wg)
	default:
		name = "fasync aio " + describeEngine(job, eng)
		if job.batch > 0 {
			name = fmt.Sprintf("fasync aio ListIO x%d %s", job.batch, describeEngine(job, eng))
			meters = startListWorkers(job, eng, f, bufs, offs, &stop, &wg)
		} else if job.notify == "inline" {
			name = "fasync aio inline " + describeEngine(job, eng)
			meters = startInlineRequests(job, eng, f, bufs, offs, &stop, &wg)
		} else {
			meters = startEngineWorkers(job, eng, f, bufs, offs, &stop, &wg)
		}
	}
	return measure(job, name, meters, &stop, &wg)
}

// jobBuffers returns job.iodepth page-aligned buffers of job.bs bytes,
// filled with random bytes (what a write job writes): from the engine's
// arena with --fixedbufs, else mapped outside the Go heap.
func jobBuffers(job *aioJob, e *aio.Engine) (bufs [][]byte, free func(), err error) {
	if !job.fixed || e == nil {
		return pageBuffers(job.iodepth, job.bs)
	}
	rnd := xorshift(12345)
	for range job.iodepth {
		b, err := e.Buffer(int(job.bs))
		if err != nil {
			return nil, nil, fmt.Errorf("buffers: %w", err)
		}
		for i := range b {
			b[i] = byte(rnd.next())
		}
		bufs = append(bufs, b)
	}
	return bufs, func() {
		for _, b := range bufs {
			e.ReleaseBuffer(b)
		}
	}, nil
}

func newJobEngine(job *aioJob) (*aio.Engine, error) {
	opts := []aio.Option{aio.WithBackend(job.engine), aio.WithQueueDepth(job.iodepth)}
	if job.fixed {
		page := (job.bs + 4095) &^ 4095
		opts = append(opts, aio.WithBufferArena(int(page)*job.iodepth))
	}
	if job.rings > 0 {
		opts = append(opts, aio.WithRings(job.rings))
	}
	if job.threads {
		opts = append(opts, aio.WithRingThreads())
	}
	if job.engine == "threads" {
		opts = append(opts, aio.WithWorkers(job.iodepth))
	}
	return aio.New(opts...)
}

func describeEngine(job *aioJob, e *aio.Engine) string {
	var name string
	if job.fixed {
		name = "fixedbufs "
	}
	if job.regfiles {
		name += "registerfiles "
	}
	if job.threads && e.Backend() == "uring" {
		name += "ringthreads "
	}
	return name + describeBackend(job, e)
}

func describeBackend(job *aioJob, e *aio.Engine) string {
	if e.Backend() == "uring" {
		rings := job.rings
		if rings == 0 {
			rings = runtime.NumCPU()
		}
		return fmt.Sprintf("(io_uring, %d rings)", rings)
	}
	return fmt.Sprintf("(threads, %d workers)", job.iodepth)
}

// startGoroutines is the baseline: job.iodepth goroutines, each doing
// os.File.ReadAt (or WriteAt) into its own page-aligned buffer.
func startGoroutines(job *aioJob, f *os.File, bufs [][]byte, offs *offsets, stop *atomic.Bool, wg *sync.WaitGroup) []*meter {
	meters := make([]*meter, job.iodepth)
	for g := range job.iodepth {
		m := &meter{}
		meters[g] = m
		wg.Go(func() {
			rnd := xorshift(uint64(g+1) * 0x9E3779B97F4A7C15)
			for !stop.Load() {
				off := offs.next(&rnd)
				t0 := time.Now()
				var err error
				if job.isRead() {
					_, err = f.ReadAt(bufs[g], off)
				} else {
					_, err = f.WriteAt(bufs[g], off)
				}
				if err != nil {
					m.err = err
					stop.Store(true)
					return
				}
				m.hist.add(int64(time.Since(t0)))
				m.ios.Add(1)
			}
		})
	}
	return meters
}

// measure lets the submitters run for job.runtime with a progress line on
// job.progress, stops them, and sums up.
func measure(job *aioJob, name string, meters []*meter, stop *atomic.Bool, wg *sync.WaitGroup) (aioResult, error) {
	t0, cpu0 := time.Now(), cpuTime()
	tick := time.NewTicker(time.Second)
	deadline := time.NewTimer(job.runtime)
	last, lastT := int64(0), t0
	total := func() (n int64) {
		for _, m := range meters {
			n += m.ios.Load()
		}
		return n
	}
loop:
	for !stop.Load() {
		select {
		case <-deadline.C:
			break loop
		case now := <-tick.C:
			n := total()
			rate := float64(n-last) / now.Sub(lastT).Seconds()
			fmt.Fprintf(job.progress, "\r%s: %4.0fs/%s %9.0f IOPS %8.1f MiB/s ", name, now.Sub(t0).Seconds(),
				job.runtime, rate, rate*float64(job.bs)/(1<<20))
			last, lastT = n, now
		}
	}
	tick.Stop()
	stop.Store(true)
	wg.Wait()
	elapsed, cpu := time.Since(t0), cpuTime()-cpu0
	fmt.Fprintf(job.progress, "\r%s: done in %.1fs%30s\n", name, elapsed.Seconds(), "")
	var h latHist
	for _, m := range meters {
		if m.err != nil {
			return aioResult{}, fmt.Errorf("%s: %w", name, m.err)
		}
		h.merge(&m.hist)
	}
	ios := int64(h.n)
	return aioResult{
		Name: name, IOs: ios, RuntimeNS: int64(elapsed),
		IOPS:     float64(ios) / elapsed.Seconds(),
		BWBytes:  float64(ios) * float64(job.bs) / elapsed.Seconds(),
		Clat:     clatNS{P50: h.percentile(0.50), P99: h.percentile(0.99), Mean: h.mean()},
		CPUPerIO: float64(cpu) / float64(max(ios, 1)),
		CPUsBusy: float64(cpu) / float64(elapsed),
	}, nil
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// latHist is a log-linear latency histogram in nanoseconds: 16 buckets per
// power of two, so a percentile is within about 3% of the true value.
type latHist struct {
	counts [60 * 16]uint64
	n      uint64
	sum    float64
}

func latBucket(v int64) int {
	if v < 16 {
		return int(max(v, 0))
	}
	e := bits.Len64(uint64(v)) - 1 // 4 or more
	return (e-3)*16 + int(v>>(e-4)&15)
}

// latValue is the middle of bucket b.
func latValue(b int) int64 {
	if b < 16 {
		return int64(b)
	}
	e, sub := b/16+3, int64(b%16)
	width := int64(1) << (e - 4)
	return (16+sub)*width + width/2
}

func (h *latHist) add(v int64) {
	h.counts[min(latBucket(v), len(h.counts)-1)]++
	h.n++
	h.sum += float64(v)
}

func (h *latHist) merge(o *latHist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
}

func (h *latHist) percentile(p float64) int64 {
	if h.n == 0 {
		return 0
	}
	want := uint64(p*float64(h.n-1)) + 1
	var seen uint64
	for b, c := range h.counts {
		seen += c
		if seen >= want {
			return latValue(b)
		}
	}
	return latValue(len(h.counts) - 1)
}

func (h *latHist) mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}
