// Package bench is the benchmark harness shared by `fasync bench` and the
// go test benchmarks (SPEC C13, H1–H5).
//
// The AIO part: a Job holds fio's parameters (rw, bs, iodepth, size,
// runtime, direct) and the Engine's options; Run drives it with the
// driver its Engine names (drivers, in run.go: plain goroutines, the aio
// Engine on io_uring or on its thread pool) and measures IOPS, CPU time
// and latency in a Hist, every driver over the same span (a request's
// turnaround). Compare runs the job beside the other drivers and fio
// (FioConfigs, FioArgs, ParseFio) in alternating Rounds and reports
// medians and ratios. Job.Prepare lays out the data file through
// internal/benchfile, which refuses what the job must not touch.
//
// The pipe part: Throughput and PingPong move data between two client
// processes (this program re-executed; RunClient serves that role), and
// MeasureCases runs Case rows in alternating rounds with a progress line
// per run, for `fasync bench fuse`.
//
// Chart draws any of these comparisons as an SVG bar chart (WriteSVG).
// The package prints nothing but progress; the command line and its
// tables live in cmd/fasync.
package bench
