package bench

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/fasync-go/fasync/internal/uring"
)

// H3: every driver measures the same span, a request's turnaround, so
// its laps tile each slot's time: the latencies' sum is about the queue
// depth times the run, and the mean about depth over IOPS (Little's law),
// whatever the driver. (A driver that timed only its system calls, as
// plain ReadAt timing does, would come out far below; the bounds are
// loose because a slot's last, unfinished turnaround is not counted.)
func TestLatencyAlike(t *testing.T) {
	name := filepath.Join(t.TempDir(), "data")
	base := Job{RW: "randread", BS: 4096, IODepth: 8, Size: 8 << 20, Runtime: 500 * time.Millisecond,
		Filename: name, Engine: "goroutines", Notify: "chan"}
	if err := base.Check(); err != nil {
		t.Fatal(err)
	}
	if err := base.Prepare(); err != nil {
		t.Fatal(err)
	}
	jobs := map[string]Job{"goroutines": base}
	for _, engine := range []string{"uring", "threads"} {
		if engine == "uring" && uring.Available() != nil {
			continue
		}
		j := base
		j.Engine = engine
		jobs[engine] = j
		j.Notify = "inline"
		jobs[engine+"/inline"] = j
		j.Notify, j.Batch = "chan", 4
		jobs[engine+"/listio"] = j
	}
	for name, job := range jobs {
		t.Run("H3/"+name, func(t *testing.T) {
			r, err := Run(&job)
			if err != nil {
				t.Fatal(err)
			}
			little := r.Clat.Mean * r.IOPS / 1e9 / float64(job.IODepth)
			t.Logf("mean × IOPS / depth = %.2f", little)
			if little < 0.3 || little > 1.25 {
				t.Errorf("mean latency %.0f ns × %.0f IOPS = %.2f × depth %d, want about 1 (p50 %d, p99 %d)",
					r.Clat.Mean, r.IOPS, little, job.IODepth, r.Clat.P50, r.Clat.P99)
			}
			if r.Clat.P50 <= 0 || r.Clat.P99 < r.Clat.P50 {
				t.Errorf("p50 %d, p99 %d", r.Clat.P50, r.Clat.P99)
			}
		})
	}
}
