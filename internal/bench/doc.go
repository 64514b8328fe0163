// Package bench is the benchmark harness shared by `fasync bench` and the
// go test benchmarks: the AIO job (fio's vocabulary: rw, bs, iodepth,
// size, runtime, direct) and the drivers that run it on the aio Engine or
// on plain goroutines, the fio runner and its JSON, the latency histogram,
// and the alternating rounds that put every row beside its baseline in
// one run (SPEC C13). It prints nothing but progress; the command line
// and its tables live in cmd/fasync.
package bench
