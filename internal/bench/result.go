package bench

import (
	"cmp"
	"slices"
)

// A Result is what one run (or, from Compare, one row's median run)
// measured. Its JSON form is `fasync bench aio --json`'s.
type Result struct {
	Name      string  `json:"name"`
	IOPS      float64 `json:"iops"`
	BWBytes   float64 `json:"bw_bytes"`
	IOs       int64   `json:"ios"`
	RuntimeNS int64   `json:"runtime_ns"`
	Clat      Latency `json:"clat_ns"`
	// CPUPerIO is the CPU time (user+system, all threads) spent per I/O:
	// a measure of cost that, unlike IOPS, holds up on a busy machine.
	CPUPerIO float64 `json:"cpu_ns_per_io,omitempty"`
	// CPUsBusy is the CPU time over the wall time: how many cores the run
	// kept busy (fio's figure is its one job's).
	CPUsBusy float64 `json:"cpus_busy,omitempty"`
	Ratio    float64 `json:"ratio,omitempty"` // the first row's median IOPS over this one's (Compare)
	// IOPSRuns lists the IOPS of every run (Compare runs each row
	// several times and reports the median).
	IOPSRuns []float64 `json:"iops_runs,omitempty"`
	Err      string    `json:"error,omitempty"`
}

// Latency sums up the requests' latencies, in nanoseconds: each request's
// turnaround, from the moment its submitter held the previous result of
// the request's slot to the moment it holds this one's, the same span
// for every driver and for fio (its lat_ns). In a Result's JSON it is
// clat_ns.
type Latency struct {
	P50  int64   `json:"p50"`
	P99  int64   `json:"p99"`
	Mean float64 `json:"mean"`
}

// Median returns the run of median IOPS (for an even count, the lower
// middle run with IOPS and bandwidth the mean of the two middle ones),
// listing every run's IOPS in IOPSRuns.
func Median(rs []Result) Result {
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b Result) int { return cmp.Compare(a.IOPS, b.IOPS) })
	m := sorted[(len(sorted)-1)/2]
	if len(sorted)%2 == 0 {
		hi := sorted[len(sorted)/2]
		m.IOPS, m.BWBytes = (m.IOPS+hi.IOPS)/2, (m.BWBytes+hi.BWBytes)/2
	}
	m.IOPSRuns = nil
	for _, r := range rs {
		m.IOPSRuns = append(m.IOPSRuns, r.IOPS)
	}
	return m
}
