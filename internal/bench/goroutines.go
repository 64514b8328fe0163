package bench

import (
	"fmt"
	"sync/atomic"

	"github.com/fasync-go/fasync/internal/benchfile"
)

// startGoroutines is the baseline: IODepth goroutines, each doing
// os.File.ReadAt (or WriteAt) into its own page-aligned buffer. With
// Fsync, every Fsync-th write of the job is followed by an os.File.Sync.
func startGoroutines(r *run) (string, []*meter) {
	job := r.job
	call := "ReadAt"
	if !job.IsRead() {
		call = "WriteAt"
	}
	var writes atomic.Int64
	meters := make([]*meter, job.IODepth)
	for g := range job.IODepth {
		m := &meter{}
		meters[g] = m
		r.wg.Go(func() {
			buf := r.bufs[g]
			rnd := benchfile.NewRand(uint64(g))
			var l lap
			l.begin()
			for !r.stop.Load() {
				off := r.offset(&rnd)
				var err error
				if job.IsRead() {
					_, err = r.f.ReadAt(buf, off)
				} else {
					_, err = r.f.WriteAt(buf, off)
					if err == nil && job.Fsync > 0 && writes.Add(1)%int64(job.Fsync) == 0 {
						err = r.f.Sync()
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
	return fmt.Sprintf("goroutines x%d %s", job.IODepth, call), meters
}
