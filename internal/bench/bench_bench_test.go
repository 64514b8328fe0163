package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/fasync-go/fasync/internal/benchfile"
	"github.com/fasync-go/fasync/internal/uring"
)

// BenchmarkCompare runs the harness from go test: the job `fasync bench
// aio` runs by default (4 KiB random reads at depth 32 of the shared
// 1 GiB file), on every engine, beside the goroutine baseline in the
// same run, one second each. Each row reports IOPS, its ratio to the
// baseline's, latency percentiles and CPU time per I/O as metrics (ns/op
// is the comparison's wall time and means nothing).
//
//	go test -run '^$' -bench Compare -benchtime 1x ./internal/bench
func BenchmarkCompare(b *testing.B) {
	if err := uring.Available(); err != nil {
		b.Skipf("io_uring unavailable: %v", err)
	}
	name := benchfile.Shared()
	job := &Job{RW: "randread", BS: 4096, IODepth: 32, Size: benchfile.SharedSize, Runtime: time.Second,
		Filename: name, Engine: "goroutines", Notify: "chan"}
	if err := job.Check(); err != nil {
		b.Fatal(err)
	}
	if err := job.Prepare(); err != nil {
		b.Fatal(err)
	}
	b.Logf("data file %s, kept for the next run (fasync bench aio --clean removes it)", name)
	var rows []Row
	for _, engine := range Engines() {
		j := *job
		j.Engine = engine
		rows = append(rows, Row{engine, func() (Result, error) { return Run(&j) }})
	}
	for b.Loop() {
		results := CompareAll(rows, 1)
		for _, r := range results {
			if r.Err != "" {
				b.Fatalf("%s: %s", r.Name, r.Err)
			}
			metric := strings.NewReplacer(" ", "-", "(", "", ")", "", ",", "").Replace(r.Name)
			b.ReportMetric(r.IOPS, metric+":IOPS")
			b.ReportMetric(1/r.Ratio, metric+":x-baseline")
			b.ReportMetric(float64(r.Clat.P50), metric+":p50-ns")
			b.ReportMetric(float64(r.Clat.P99), metric+":p99-ns")
			b.ReportMetric(r.CPUPerIO, metric+":cpu-ns/IO")
		}
	}
}
