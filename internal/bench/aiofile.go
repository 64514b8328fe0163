package bench

import (
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/fasync-go/fasync/internal/benchfile"
)

// startFile is the aio.File driver (--engine file): IODepth goroutines,
// each calling File.ReadAt (or WriteAt) into its own page-aligned buffer,
// the way the goroutine baseline calls os.File's, on a File over the
// run's Engine (which registers the file with it). With Fsync, every
// Fsync-th write of the job is followed by a File.Sync.
func startFile(r *run) (string, []*meter) {
	job := r.job
	call := "ReadAt"
	if !job.IsRead() {
		call = "WriteAt"
	}
	desc := fmt.Sprintf("(threads, %d workers)", job.IODepth)
	if r.eng.Backend() == "uring" {
		rings := job.Rings
		if rings == 0 {
			rings = runtime.NumCPU()
		}
		desc = fmt.Sprintf("(io_uring, %d rings)", rings)
		if job.RingThreads {
			desc = "ringthreads " + desc
		}
	}
	if job.FixedBufs {
		desc = "fixedbufs " + desc
	}
	name := fmt.Sprintf("aio.File x%d %s %s", job.IODepth, call, desc)
	f, err := r.eng.NewFile(r.f)
	if err != nil {
		m := &meter{}
		r.fail(m, err)
		return name, []*meter{m}
	}
	// The File takes r.f over; the last goroutine to finish closes it
	// (Run's own Close of r.f then reports an error nobody reads).
	var left atomic.Int32
	left.Store(int32(job.IODepth))
	var writes atomic.Int64
	meters := make([]*meter, job.IODepth)
	for g := range job.IODepth {
		m := &meter{}
		meters[g] = m
		r.wg.Go(func() {
			defer func() {
				if left.Add(-1) == 0 {
					f.Close()
				}
			}()
			buf := r.bufs[g]
			rnd := benchfile.NewRand(uint64(g))
			var l lap
			l.begin()
			for !r.stop.Load() {
				off := r.offset(&rnd)
				var err error
				if job.IsRead() {
					_, err = f.ReadAt(buf, off)
				} else {
					_, err = f.WriteAt(buf, off)
					if err == nil && job.Fsync > 0 && writes.Add(1)%int64(job.Fsync) == 0 {
						err = f.Sync()
					}
				}
				if err != nil {
					r.fail(m, err)
					return
				}
				m.done(l.end())
			}
		})
	}
	return name, meters
}
