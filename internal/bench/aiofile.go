package bench

import (
	"fmt"
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
	desc := backendDesc(job, r.eng)
	if r.eng.Backend() == "uring" && job.RingThreads {
		desc = "ringthreads " + desc
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
	meters := startCallers(r, f, func() { f.Close() })
	return name, meters
}
