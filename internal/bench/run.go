package bench

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fasync-go/fasync/aio"
	"github.com/fasync-go/fasync/internal/benchfile"
)

// A driver keeps a job's requests in flight until the run stops: one per
// --engine value. Adding an engine to the benchmark is adding a driver
// to drivers.
type driver struct {
	name string
	// backend, when set, is the aio Engine backend the run opens for the
	// driver (aio.WithBackend); with none the driver needs no Engine.
	backend string
	// start launches the submitters, adding each to r.wg, and returns the
	// row's name and one meter per submitter.
	start func(r *run) (row string, meters []*meter)
	// fsync says the driver honours Job.Fsync.
	fsync bool
}

// drivers are the engines a job may name, in the order Compare runs them
// beside the job's own.
var drivers = []*driver{
	{name: "goroutines", start: startGoroutines, fsync: true},
	{name: "uring", backend: "uring", start: startEngine},
	{name: "threads", backend: "threads", start: startEngine},
	{name: "file", backend: "uring", start: startFile, fsync: true},
	{name: "file-threads", backend: "threads", start: startFile, fsync: true},
	// Native AIO where io_uring is refused: see refused.go.
	{name: "linuxaio", backend: "linuxaio", start: startEngine},
	{name: "file-linuxaio", backend: "linuxaio", start: startFile, fsync: true},
}

// Engines lists the names a Job's Engine may take.
func Engines() []string {
	var names []string
	for _, d := range drivers {
		names = append(names, d.name)
	}
	return names
}

func driverNamed(name string) *driver {
	for _, d := range drivers {
		if d.name == name {
			return d
		}
	}
	return nil
}

// A run is one job's run in progress: what its driver's submitters share.
type run struct {
	job  *Job
	eng  *aio.Engine // nil when the driver needs none
	f    *os.File
	bufs [][]byte // IODepth page-aligned buffers of BS bytes
	seq  atomic.Int64
	stop atomic.Bool // set to end the run, by the clock or by a failing submitter
	wg   sync.WaitGroup
}

// offset returns the next request's offset: a uniformly random block, or
// the next block of one sequential stream shared by every submitter.
func (r *run) offset(rnd *benchfile.Rand) int64 {
	j := r.job
	if j.IsRandom() {
		return rnd.Block(j.Size, j.BS)
	}
	return (r.seq.Add(j.BS) - j.BS) % j.Size
}

// fail records err on m and stops the run.
func (r *run) fail(m *meter, err error) {
	m.err = err
	r.stop.Store(true)
}

// Every driver measures a request's latency the same way, as fio's
// lat_ns does: its slot's turnaround, from the moment the submitter held
// the slot's previous result (for a slot's first request, from just
// before its submission) to the moment it holds this one's. A request
// that waits for its submitter, in a channel or for the goroutine to be
// scheduled, waits inside that span whichever the driver, and the mean
// is the queue depth over the IOPS (Little's law).

// A lap times one slot's turnaround.
type lap struct{ last time.Duration }

// clockBase anchors now: a monotonic time as one word.
var clockBase = time.Now()

func now() time.Duration { return time.Since(clockBase) }

// begin starts the slot's first turnaround, just before its submission.
func (l *lap) begin() { l.last = now() }

// end reports the turnaround of the result just taken and starts the next.
func (l *lap) end() time.Duration {
	t := now()
	d := t - l.last
	l.last = t
	return d
}

// meter is one submitter's tally: I/Os done (read by the progress line
// while running) and their latencies. Padded so submitters' counters do
// not share a cache line.
type meter struct {
	ios  atomic.Int64
	hist Hist
	err  error
	_    [64]byte
}

// done counts one I/O of lat nanoseconds.
func (m *meter) done(lat time.Duration) {
	m.hist.Add(int64(lat))
	m.ios.Add(1)
}

// Run runs the job on its engine for job.Runtime and measures it. The
// job must have passed Check and its file must hold job.Size bytes
// (Prepare). A run that job.Stop ends reports ErrInterrupted.
func Run(job *Job) (Result, error) {
	d := driverNamed(job.Engine)
	if d == nil {
		return Result{}, fmt.Errorf("no engine %q", job.Engine)
	}
	if stopped(job.Stop) {
		return Result{}, ErrInterrupted
	}
	if d.backend == "linuxaio" && !inRefusedClient() && Reexec {
		return runRefused(job)
	}
	if job.Engine == "file" && job.Direct && job.Rings == 0 && !job.RingThreads {
		// The engine aio.NewFile gives an O_DIRECT file by default: one
		// ring with a thread.
		direct := *job
		direct.Rings, direct.RingThreads = 1, true
		job = &direct
	}
	r := &run{job: job}
	var err error
	if r.f, err = openJobFile(job); err != nil {
		return Result{}, err
	}
	defer r.f.Close()
	if d.backend != "" {
		if r.eng, err = newDriverEngine(job, d); err != nil {
			return Result{}, err
		}
		defer r.eng.Close()
		if job.RegisterFiles {
			if err := r.eng.RegisterFile(int(r.f.Fd())); err != nil {
				return Result{}, err
			}
			defer r.eng.UnregisterFile(int(r.f.Fd()))
		}
	}
	bufs, free, err := jobBuffers(job, r.eng)
	if err != nil {
		return Result{}, err
	}
	defer free()
	r.bufs = bufs
	name, meters := d.start(r)
	return r.measure(name, meters)
}

// openJobFile opens the file the way the job says: read-only or
// read-write, with O_DIRECT when asked.
func openJobFile(job *Job) (*os.File, error) {
	flags := os.O_RDONLY
	if !job.IsRead() {
		flags = os.O_RDWR
	}
	if job.Direct {
		flags |= syscall.O_DIRECT
	}
	return os.OpenFile(job.Filename, flags, 0)
}

// jobBuffers returns job.IODepth page-aligned buffers of job.BS bytes,
// filled with random bytes (what a write job writes): from the engine's
// arena with FixedBufs, else mapped outside the Go heap.
func jobBuffers(job *Job, e *aio.Engine) (bufs [][]byte, free func(), err error) {
	if !job.FixedBufs || e == nil {
		return benchfile.PageBuffers(job.IODepth, job.BS)
	}
	rnd := benchfile.NewRand(12345)
	for range job.IODepth {
		b, err := e.Buffer(int(job.BS))
		if err != nil {
			for _, b := range bufs {
				e.ReleaseBuffer(b)
			}
			return nil, nil, fmt.Errorf("buffers: %w", err)
		}
		rnd.Fill(b)
		bufs = append(bufs, b)
	}
	return bufs, func() {
		for _, b := range bufs {
			e.ReleaseBuffer(b)
		}
	}, nil
}

// measure lets the submitters run for the job's runtime with a progress
// line, stops them, and sums up.
func (r *run) measure(name string, meters []*meter) (Result, error) {
	job := r.job
	t0, cpu0 := time.Now(), benchfile.CPUTime()
	tick := time.NewTicker(time.Second)
	deadline := time.NewTimer(job.Runtime)
	last, lastT := int64(0), t0
	total := func() (n int64) {
		for _, m := range meters {
			n += m.ios.Load()
		}
		return n
	}
	interrupted := false
loop:
	for !r.stop.Load() {
		select {
		case <-deadline.C:
			break loop
		case <-job.Stop:
			interrupted = true
			break loop
		case now := <-tick.C:
			n := total()
			rate := float64(n-last) / now.Sub(lastT).Seconds()
			job.progressf("\r%s: %4.0fs/%s %9.0f IOPS %8.1f MiB/s ", name, now.Sub(t0).Seconds(),
				job.Runtime, rate, rate*float64(job.BS)/(1<<20))
			last, lastT = n, now
		}
	}
	tick.Stop()
	r.stop.Store(true)
	r.wg.Wait()
	elapsed, cpu := time.Since(t0), benchfile.CPUTime()-cpu0
	if interrupted {
		job.progressf("\r%s: interrupted after %.1fs%30s\n", name, elapsed.Seconds(), "")
		return Result{}, ErrInterrupted
	}
	job.progressf("\r%s: done in %.1fs%30s\n", name, elapsed.Seconds(), "")
	var h Hist
	for _, m := range meters {
		if m.err != nil {
			return Result{}, fmt.Errorf("%s: %w", name, m.err)
		}
		h.Merge(&m.hist)
	}
	ios := h.Count()
	return Result{
		Name: name, IOs: ios, RuntimeNS: int64(elapsed),
		IOPS:     float64(ios) / elapsed.Seconds(),
		BWBytes:  float64(ios) * float64(job.BS) / elapsed.Seconds(),
		Clat:     h.Latency(),
		CPUPerIO: float64(cpu) / float64(max(ios, 1)),
		CPUsBusy: float64(cpu) / float64(elapsed),
	}, nil
}
