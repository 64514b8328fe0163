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
	meters := startCallers(r, r.f, nil)
	return fmt.Sprintf("goroutines x%d %s", job.IODepth, call), meters
}

// A callerFile is what the caller rows drive: os.File, or aio.File.
type callerFile interface {
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	Sync() error
}

// startCallers starts IODepth goroutines, each calling f.ReadAt (or
// WriteAt) into its own page-aligned buffer until the run stops; with
// Fsync, every Fsync-th write of the job is followed by f.Sync. finish,
// if set, runs once, after the last goroutine has stopped.
func startCallers(r *run, f callerFile, finish func()) []*meter {
	job := r.job
	var left atomic.Int32
	left.Store(int32(job.IODepth))
	var writes atomic.Int64
	meters := make([]*meter, job.IODepth)
	for g := range job.IODepth {
		m := &meter{}
		meters[g] = m
		r.wg.Go(func() {
			defer func() {
				if left.Add(-1) == 0 && finish != nil {
					finish()
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
	return meters
}
