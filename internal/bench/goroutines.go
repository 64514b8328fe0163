package bench

import (
	"fmt"
	"time"

	"github.com/fasync-go/fasync/internal/benchfile"
)

// startGoroutines is the baseline: IODepth goroutines, each doing
// os.File.ReadAt (or WriteAt) into its own page-aligned buffer.
func startGoroutines(r *run) (string, []*meter) {
	job := r.job
	call := "ReadAt"
	if !job.IsRead() {
		call = "WriteAt"
	}
	meters := make([]*meter, job.IODepth)
	for g := range job.IODepth {
		m := &meter{}
		meters[g] = m
		r.wg.Go(func() {
			buf := r.bufs[g]
			rnd := benchfile.NewRand(uint64(g))
			for !r.stop.Load() {
				off := r.offset(&rnd)
				t0 := time.Now()
				var err error
				if job.IsRead() {
					_, err = r.f.ReadAt(buf, off)
				} else {
					_, err = r.f.WriteAt(buf, off)
				}
				if err != nil {
					r.fail(m, err)
					return
				}
				m.done(time.Since(t0))
			}
		})
	}
	return fmt.Sprintf("goroutines x%d %s", job.IODepth, call), meters
}
