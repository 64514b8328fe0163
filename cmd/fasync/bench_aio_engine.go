package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasync-go/fasync/aio"
)

// The submitters that drive the aio Engine in `fasync bench aio`.

// startEngineWorkers keeps job.iodepth requests in flight on e. One
// submitter goroutine per CPU owns an equal share of the requests and is
// notified through a channel of its own (SIGEV_CHAN, no allocation); it
// takes each result and resubmits the request at once, until stop.
func startEngineWorkers(job *aioJob, e *aio.Engine, f *os.File, bufs [][]byte, offs *offsets, stop *atomic.Bool, wg *sync.WaitGroup) []*meter {
	workers := min(runtime.GOMAXPROCS(0), job.iodepth)
	meters := make([]*meter, workers)
	base := time.Now()
	for w := range workers {
		m := &meter{}
		meters[w] = m
		lo, hi := w*job.iodepth/workers, (w+1)*job.iodepth/workers
		wg.Go(func() { engineWorker(job, e, int(f.Fd()), bufs[lo:hi], offs, stop, m, base, uint64(w+1)) })
	}
	return meters
}

func engineWorker(job *aioJob, e *aio.Engine, fd int, bufs [][]byte, offs *offsets, stop *atomic.Bool, m *meter, base time.Time, seed uint64) {
	ch := make(chan *aio.Request, len(bufs))
	reqs := make([]aio.Request, len(bufs))
	started := make([]time.Duration, len(bufs))
	rnd := xorshift(seed * 0x9E3779B97F4A7C15)
	submit := e.Read
	if !job.isRead() {
		submit = e.Write
	}
	inflight := 0
	start := func(r *aio.Request) bool {
		r.Offset = offs.next(&rnd)
		started[r.Notify.Value] = time.Since(base)
		if err := submit(r); err != nil {
			m.err = err
			stop.Store(true)
			return false
		}
		inflight++
		return true
	}
	for i := range reqs {
		// Notify.Value is not used by SIGEV_CHAN: it carries the index.
		reqs[i] = aio.Request{Fd: fd, Buf: bufs[i], Notify: aio.Sigevent{Notify: aio.SIGEV_CHAN, Chan: ch, Value: uint64(i)}}
		if !start(&reqs[i]) {
			break
		}
	}
	for inflight > 0 {
		r := <-ch
		inflight--
		lat := time.Since(base) - started[r.Notify.Value]
		if _, err := r.Return(); err != nil {
			m.err = fmt.Errorf("request at offset %d: %w", r.Offset, err)
			stop.Store(true)
			continue
		}
		m.hist.add(int64(lat))
		m.ios.Add(1)
		if !stop.Load() {
			start(r)
		}
	}
}

// startInlineRequests keeps job.iodepth requests in flight on e with no
// goroutine of its own: each request is notified with SIGEV_INLINE, and
// its callback, run where the request completed (a ring's loop goroutine,
// a worker), takes the result and submits the request again at once,
// until stop. Callbacks of requests on different rings run at the same
// time, on different cores, so each request keeps its state and meter in
// a block of its own (adjacent small allocations would share cache lines
// between the cores).
func startInlineRequests(job *aioJob, e *aio.Engine, f *os.File, bufs [][]byte, offs *offsets, stop *atomic.Bool, wg *sync.WaitGroup) []*meter {
	submit := e.Read
	if !job.isRead() {
		submit = e.Write
	}
	meters := make([]*meter, len(bufs))
	base := time.Now()
	for i := range bufs {
		q := &inlineRequest{rnd: xorshift(uint64(i+1) * 0x9E3779B97F4A7C15)}
		meters[i] = &q.m
		q.r = aio.Request{Fd: int(f.Fd()), Buf: bufs[i]}
		start := func(r *aio.Request) {
			r.Offset = offs.next(&q.rnd)
			q.started = time.Since(base)
			if err := submit(r); err != nil {
				q.m.err = err
				stop.Store(true)
				wg.Done()
			}
		}
		q.r.Notify = aio.Sigevent{Notify: aio.SIGEV_INLINE, Func: func(r *aio.Request) {
			lat := time.Since(base) - q.started
			if _, err := r.Return(); err != nil {
				q.m.err = fmt.Errorf("request at offset %d: %w", r.Offset, err)
				stop.Store(true)
				wg.Done()
				return
			}
			q.m.hist.add(int64(lat))
			q.m.ios.Add(1)
			if stop.Load() {
				wg.Done()
				return
			}
			start(r)
		}}
		wg.Add(1)
		start(&q.r)
	}
	return meters
}

// inlineRequest is one request of startInlineRequests with its state.
type inlineRequest struct {
	_       [64]byte
	r       aio.Request
	started time.Duration
	rnd     xorshift
	m       meter // padded at its end
}

// startListWorkers keeps job.iodepth requests in flight on e in lists
// of job.batch: one goroutine per list submits it with ListIO (LIO_NOWAIT,
// one io_uring_enter), waits for the list's one channel notification,
// takes every result and submits the list again, until stop. A request's
// latency runs from its list's submission to the list's notification.
func startListWorkers(job *aioJob, e *aio.Engine, f *os.File, bufs [][]byte, offs *offsets, stop *atomic.Bool, wg *sync.WaitGroup) []*meter {
	lists := job.iodepth / job.batch
	meters := make([]*meter, lists)
	for w := range lists {
		m := &meter{}
		meters[w] = m
		wg.Go(func() {
			listWorker(job, e, int(f.Fd()), bufs[w*job.batch:(w+1)*job.batch], offs, stop, m, uint64(w+1))
		})
	}
	return meters
}

func listWorker(job *aioJob, e *aio.Engine, fd int, bufs [][]byte, offs *offsets, stop *atomic.Bool, m *meter, seed uint64) {
	ch := make(chan *aio.Request, 1)
	notify := &aio.Sigevent{Notify: aio.SIGEV_CHAN, Chan: ch}
	opcode := aio.LIO_READ
	if !job.isRead() {
		opcode = aio.LIO_WRITE
	}
	reqs := make([]aio.Request, len(bufs))
	list := make([]*aio.Request, len(bufs))
	for i := range reqs {
		reqs[i] = aio.Request{Fd: fd, Buf: bufs[i], Opcode: opcode}
		list[i] = &reqs[i]
	}
	rnd := xorshift(seed * 0x9E3779B97F4A7C15)
	ctx := context.Background()
	for !stop.Load() {
		for _, r := range list {
			r.Offset = offs.next(&rnd)
		}
		t0 := time.Now()
		if err := e.ListIO(ctx, aio.LIO_NOWAIT, list, notify); err != nil {
			m.err = err
			stop.Store(true)
			return
		}
		<-ch
		lat := int64(time.Since(t0))
		for _, r := range list {
			if _, err := r.Return(); err != nil {
				m.err = fmt.Errorf("request at offset %d: %w", r.Offset, err)
				stop.Store(true)
				return
			}
			m.hist.add(lat)
		}
		m.ios.Add(int64(len(list)))
	}
}
