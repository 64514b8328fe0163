package bench

import (
	"context"
	"fmt"
	"runtime"

	"github.com/fasync-go/fasync/aio"
	"github.com/fasync-go/fasync/internal/benchfile"
)

// The submitters that drive the aio Engine: SIGEV_CHAN consumers, one
// per CPU; SIGEV_INLINE callbacks that resubmit where the request
// completed; or ListIO lists.

// startEngine starts the submitters the job's Batch and Notify ask for.
func startEngine(r *run) (string, []*meter) {
	desc := describeEngine(r.job, r.eng)
	switch {
	case r.job.Batch > 0:
		return fmt.Sprintf("fasync aio ListIO x%d %s", r.job.Batch, desc), startListWorkers(r)
	case r.job.Notify == "inline":
		return "fasync aio inline " + desc, startInlineRequests(r)
	}
	return "fasync aio " + desc, startEngineWorkers(r)
}

func newJobEngine(job *Job, backend string) (*aio.Engine, error) {
	opts := []aio.Option{aio.WithBackend(backend), aio.WithQueueDepth(job.IODepth)}
	if job.FixedBufs {
		page := (job.BS + 4095) &^ 4095
		opts = append(opts, aio.WithBufferArena(int(page)*job.IODepth))
	}
	if job.Rings > 0 {
		opts = append(opts, aio.WithRings(job.Rings))
	}
	if job.RingThreads {
		opts = append(opts, aio.WithRingThreads())
	}
	if backend == "threads" {
		opts = append(opts, aio.WithWorkers(job.IODepth))
	}
	return aio.New(opts...)
}

func describeEngine(job *Job, e *aio.Engine) string {
	var name string
	if job.FixedBufs {
		name = "fixedbufs "
	}
	if job.RegisterFiles {
		name += "registerfiles "
	}
	if job.RingThreads && e.Backend() == "uring" {
		name += "ringthreads "
	}
	return name + backendDesc(job, e)
}

// backendDesc names e's backend and its size for a row: io_uring's
// rings, native AIO's depth and why it was chosen (the backends passed
// over, or "forced" when io_uring was available and linuxaio was asked
// for by name), the thread pool's workers.
func backendDesc(job *Job, e *aio.Engine) string {
	switch e.Backend() {
	case "uring":
		rings := job.Rings
		if rings == 0 {
			rings = runtime.NumCPU()
		}
		return fmt.Sprintf("(io_uring, %d rings)", rings)
	case "linuxaio":
		why := e.BackendReason()
		if why == "" {
			why = "forced"
		}
		return fmt.Sprintf("(linuxaio, depth %d; %s)", job.IODepth, why)
	}
	return fmt.Sprintf("(threads, %d workers)", job.IODepth)
}

// submitter returns the Engine call for the job's direction.
func (r *run) submitter() func(*aio.Request) error {
	if r.job.IsRead() {
		return r.eng.Read
	}
	return r.eng.Write
}

// startEngineWorkers keeps IODepth requests in flight. One submitter
// goroutine per CPU owns an equal share of the requests and is notified
// through a channel of its own (SIGEV_CHAN, no allocation); it takes each
// result and resubmits the request at once, until the run stops.
func startEngineWorkers(r *run) []*meter {
	depth := r.job.IODepth
	workers := min(runtime.GOMAXPROCS(0), depth)
	meters := make([]*meter, workers)
	for w := range workers {
		m := &meter{}
		meters[w] = m
		lo, hi := w*depth/workers, (w+1)*depth/workers
		r.wg.Go(func() { r.engineWorker(r.bufs[lo:hi], m, uint64(w)) })
	}
	return meters
}

func (r *run) engineWorker(bufs [][]byte, m *meter, seed uint64) {
	ch := make(chan *aio.Request, len(bufs))
	reqs := make([]aio.Request, len(bufs))
	laps := make([]lap, len(bufs))
	rnd := benchfile.NewRand(seed)
	submit := r.submitter()
	inflight := 0
	start := func(q *aio.Request) bool {
		q.Offset = r.offset(&rnd)
		if err := submit(q); err != nil {
			r.fail(m, err)
			return false
		}
		inflight++
		return true
	}
	fd := int(r.f.Fd())
	for i := range reqs {
		// Notify.Value is not used by SIGEV_CHAN: it carries the index.
		reqs[i] = aio.Request{Fd: fd, Buf: bufs[i], Notify: aio.Sigevent{Notify: aio.SIGEV_CHAN, Chan: ch, Value: uint64(i)}}
		laps[i].begin()
		if !start(&reqs[i]) {
			break
		}
	}
	for inflight > 0 {
		q := <-ch
		inflight--
		lat := laps[q.Notify.Value].end()
		if _, err := q.Return(); err != nil {
			r.fail(m, fmt.Errorf("request at offset %d: %w", q.Offset, err))
			continue
		}
		m.done(lat)
		if !r.stop.Load() {
			start(q)
		}
	}
}

// startInlineRequests keeps IODepth requests in flight with no goroutine
// of its own: each request is notified with SIGEV_INLINE, and its
// callback, run where the request completed (a ring's loop goroutine, a
// worker), takes the result and submits the request again at once, until
// the run stops. Callbacks of requests on different rings run at the same
// time, on different cores, so each request keeps its state and meter in
// a block of its own (adjacent small allocations would share cache lines
// between the cores).
func startInlineRequests(r *run) []*meter {
	submit := r.submitter()
	meters := make([]*meter, len(r.bufs))
	for i := range r.bufs {
		q := &inlineRequest{rnd: benchfile.NewRand(uint64(i))}
		meters[i] = &q.m
		q.r = aio.Request{Fd: int(r.f.Fd()), Buf: r.bufs[i]}
		start := func(req *aio.Request) {
			req.Offset = r.offset(&q.rnd)
			if err := submit(req); err != nil {
				r.fail(&q.m, err)
				r.wg.Done()
			}
		}
		q.r.Notify = aio.Sigevent{Notify: aio.SIGEV_INLINE, Func: func(req *aio.Request) {
			lat := q.lap.end()
			if _, err := req.Return(); err != nil {
				r.fail(&q.m, fmt.Errorf("request at offset %d: %w", req.Offset, err))
				r.wg.Done()
				return
			}
			q.m.done(lat)
			if r.stop.Load() {
				r.wg.Done()
				return
			}
			start(req)
		}}
		r.wg.Add(1)
		q.lap.begin()
		start(&q.r)
	}
	return meters
}

// inlineRequest is one request of startInlineRequests with its state.
type inlineRequest struct {
	_   [64]byte
	r   aio.Request
	lap lap
	rnd benchfile.Rand
	m   meter // padded at its end
}

// startListWorkers keeps IODepth requests in flight in lists of Batch:
// one goroutine per list submits it with ListIO (LIO_NOWAIT, one
// io_uring_enter), waits for the list's one channel notification, takes
// every result and submits the list again, until the run stops. The
// requests of a list share its turnaround.
func startListWorkers(r *run) []*meter {
	batch := r.job.Batch
	lists := r.job.IODepth / batch
	meters := make([]*meter, lists)
	for w := range lists {
		m := &meter{}
		meters[w] = m
		r.wg.Go(func() { r.listWorker(r.bufs[w*batch:(w+1)*batch], m, uint64(w)) })
	}
	return meters
}

func (r *run) listWorker(bufs [][]byte, m *meter, seed uint64) {
	ch := make(chan *aio.Request, 1)
	notify := &aio.Sigevent{Notify: aio.SIGEV_CHAN, Chan: ch}
	opcode := aio.LIO_READ
	if !r.job.IsRead() {
		opcode = aio.LIO_WRITE
	}
	fd := int(r.f.Fd())
	reqs := make([]aio.Request, len(bufs))
	list := make([]*aio.Request, len(bufs))
	for i := range reqs {
		reqs[i] = aio.Request{Fd: fd, Buf: bufs[i], Opcode: opcode}
		list[i] = &reqs[i]
	}
	rnd := benchfile.NewRand(seed)
	ctx := context.Background()
	var l lap
	l.begin()
	for !r.stop.Load() {
		for _, q := range list {
			q.Offset = r.offset(&rnd)
		}
		if err := r.eng.ListIO(ctx, aio.LIO_NOWAIT, list, notify); err != nil {
			r.fail(m, err)
			return
		}
		<-ch
		lat := l.end()
		for _, q := range list {
			if _, err := q.Return(); err != nil {
				r.fail(m, fmt.Errorf("request at offset %d: %w", q.Offset, err))
				return
			}
			m.done(lat)
		}
	}
}
