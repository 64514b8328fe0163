package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/fasync-go/fasync/internal/bench"
	"github.com/fasync-go/fasync/internal/benchfile"
	"github.com/fasync-go/fasync/internal/cli"
)

// `fasync bench aio`: POSIX AIO on a real file through the aio Engine,
// with fio's vocabulary, optionally beside fio and a goroutine baseline
// measured in the same invocation (--compare). SPEC section C; the
// figures it gives are in docs/PERFORMANCE.md.

func init() {
	registerBench("aio", "AIO on a real file through the aio Engine, fio-style (--compare runs fio too)", runBenchAIO)
}

// aioReport is the --json output: the engine's result at the top level,
// the job, and with --compare the other runs.
type aioReport struct {
	bench.Result
	Engine  string         `json:"engine"`
	RW      string         `json:"rw"`
	BS      int64          `json:"bs"`
	IODepth int            `json:"iodepth"`
	Size    int64          `json:"size"`
	Direct  bool           `json:"direct"`
	Fsync   int            `json:"fsync,omitempty"`
	CPUs    int            `json:"cpus"`
	Compare []bench.Result `json:"compare,omitempty"`
	// Interrupted says a signal stopped the comparison: rows report the
	// runs that finished (SPEC U9).
	Interrupted bool `json:"interrupted,omitempty"`
}

func runBenchAIO(args []string) int { return benchAIO(args, os.Stdout, os.Stderr) }

// aioFlags is bench aio's command line: the job and what to do with it.
type aioFlags struct {
	job             bench.Job
	compare, json   bool
	clean           bool
	rounds          int
	svg, cpuprofile string
}

// parseAIOFlags reads bench aio's command line and checks the job; ok
// false means the command should not run, with the exit status (the
// reason is written out).
func parseAIOFlags(args []string, stdout, stderr io.Writer) (_ *aioFlags, status int, ok bool) {
	fs := cli.NewFlagSet("bench aio", "fasync bench aio [flags]",
		"Runs POSIX AIO on a real file through the aio Engine, with fio's vocabulary;\n"+
			"--compare runs goroutines, the other engine and fio beside it in the same\n"+
			"invocation and prints ratios.")
	fs.Stdout, fs.Stderr = stdout, stderr
	a := &aioFlags{}
	j := &a.job
	fs.StringVar(&j.RW, "rw", "randread", "randread, randwrite, read or write")
	bs := cli.SizeFlag(fs.FlagSet, "bs", 4<<10, 1, bench.MaxBS, "bytes per request")
	fs.IntVar(&j.IODepth, "iodepth", 32, fmt.Sprintf("requests kept in flight (1 to %d)", bench.MaxIODepth))
	size := cli.SizeFlag(fs.FlagSet, "size", 1<<30, 1, 1<<40, "bytes of the file the job uses, at least --bs; a file fasync laid out is grown to it, another only with --grow")
	rt := fs.String("runtime", "10s", "how long to run (seconds, or a Go duration)")
	fs.BoolVar(&j.Direct, "direct", false, "open the file O_DIRECT (--direct=1)")
	fs.StringVar(&j.Filename, "filename", "", "the data file, a regular file (default: the cache file $FASYNC_BENCH_FILE or TMPDIR/"+benchfile.CacheName+", laid out once and kept)")
	fs.BoolVar(&j.Grow, "grow", false, "lay out an existing --filename that fasync did not make and that is shorter than --size, up to --size")
	fs.BoolVar(&j.Overwrite, "overwrite", false, "let a write job write to an existing --filename that fasync did not make")
	fs.BoolVar(&a.clean, "clean", false, "remove the data file (--filename, or the cache file) if fasync laid it out, and exit")
	fs.StringVar(&a.svg, "svg", "", "with --compare, also draw the rows (IOPS and latency) as an SVG chart in this file")
	fs.StringVar(&j.Engine, "engine", "uring", "uring (aio Engine on io_uring), threads (aio Engine on its thread pool), file (IODEPTH goroutines calling aio.File's ReadAt/WriteAt, on io_uring), file-threads (the same on the thread pool), linuxaio and file-linuxaio (the Engine and aio.File on Linux's native AIO, run in a child process whose seccomp filter refuses io_uring with EPERM, as container profiles do), or goroutines (IODEPTH goroutines calling os.File's ReadAt/WriteAt)")
	fs.IntVar(&j.Fsync, "fsync", 0, "write jobs: Sync after every N-th write of the job, like fio's --fsync=N (engines file, file-threads, file-linuxaio and goroutines)")
	fs.IntVar(&j.Rings, "rings", 0, "io_uring rings for --engine uring and file (0: one per CPU; --engine file --direct: one ring with a thread, the engine aio.NewFile gives an O_DIRECT file)")
	fs.IntVar(&j.Batch, "batch", 0, "submit with ListIO in lists of this many requests, one notification per list (fio's iodepth_batch_submit); 0: one Read or Write per request")
	fs.BoolVar(&j.FixedBufs, "fixedbufs", false, "take the engine's buffers from its arena (aio.WithBufferArena), which io_uring registers: reads and writes go as READ_FIXED/WRITE_FIXED, like fio's --fixedbufs (the row is named \"fasync aio fixedbufs\"); with --compare and --engine uring the other variant runs as a row too")
	fs.BoolVar(&a.json, "json", false, "print the result as JSON")
	fs.BoolVar(&j.RegisterFiles, "registerfiles", false, "register the file with the engine (Engine.RegisterFile), which io_uring uses as a fixed file, like fio's --registerfiles (the row's name says \"registerfiles\")")
	fs.BoolVar(&j.RingThreads, "ringthreads", false, "give each io_uring ring's loop an OS thread of its own, with a SINGLE_ISSUER | DEFER_TASKRUN ring as fio sets up (aio.WithRingThreads; the row's name says \"ringthreads\")")
	fs.StringVar(&j.Notify, "notify", "chan", "how the engine announces completions: chan (SIGEV_CHAN, one consumer goroutine per CPU resubmits) or inline (SIGEV_INLINE, the callback resubmits on the goroutine that completed the request)")
	fs.BoolVar(&a.compare, "compare", false, "also run the goroutine baseline, the other engine and fio (io_uring plain, batched, fixed buffers; libaio; posixaio) with the same parameters, and print ratios")
	fs.IntVar(&a.rounds, "rounds", 2, "with --compare, run every row this many times, alternating the order, and report medians (1 to 1000)")
	fs.StringVar(&a.cpuprofile, "cpuprofile", "", "write a CPU profile of the engine's run to this file")
	if _, status, ok := fs.Parse(args, 0, 0); !ok {
		return nil, status, false
	}
	if j.Filename == "" {
		j.Filename = benchfile.Shared()
	}
	j.BS, j.Size, j.Progress = *bs, *size, stderr
	if a.clean {
		return a, 0, true
	}
	var err error
	switch {
	case a.rounds < 1 || a.rounds > 1000:
		err = fmt.Errorf("--rounds %d: want 1 to 1000", a.rounds)
	case a.svg != "" && !a.compare:
		err = errors.New("--svg draws the rows of --compare: add --compare")
	default:
		err = parseAIOJob(j, *rt)
	}
	if err != nil {
		fmt.Fprintf(stderr, "fasync bench aio: %v\n", err)
		return nil, 2, false
	}
	return a, 0, true
}

// benchAIO is `fasync bench aio` writing its result to stdout and its
// progress and errors to stderr.
func benchAIO(args []string, stdout, stderr io.Writer) int {
	a, status, ok := parseAIOFlags(args, stdout, stderr)
	if !ok {
		return status
	}
	job := &a.job
	if a.clean {
		return cleanDataFile(job.Filename, stdout, stderr)
	}
	if err := job.Prepare(); err != nil {
		fmt.Fprintf(stderr, "fasync bench aio: --filename %v\n", err)
		if errors.Is(err, benchfile.ErrNotRegular) || errors.Is(err, benchfile.ErrForeign) {
			return 2 // the flags name a file the benchmark must not use
		}
		return 1
	}
	if ours, _ := benchfile.Ours(job.Filename); ours {
		fmt.Fprintf(stderr, "data file %s, kept for the next run (fasync bench aio --clean removes it)\n", job.Filename)
	}
	intr := catchBenchSignals(stderr, "fasync bench aio", nil) // bench_interrupt.go
	defer intr.Release()
	job.Stop = intr.Stop()
	rep, err := runAIO(a)
	stopped, interrupted := intr.Interrupted()
	if err == nil && a.svg != "" && !interrupted {
		err = writeAIOChart(a.svg, rep)
	}
	if err != nil {
		fmt.Fprintf(stderr, "fasync bench aio: %v\n", err)
		if interrupted {
			return stopped
		}
		return 1
	}
	rep.Interrupted = interrupted
	if a.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		printAIOReport(stdout, rep)
	}
	if interrupted {
		return stopped
	}
	return 0
}

// runAIO runs the job, or with --compare the comparison, under the CPU
// profile if one is asked for.
func runAIO(a *aioFlags) (*aioReport, error) {
	job := &a.job
	if a.cpuprofile != "" {
		pf, err := os.Create(a.cpuprofile)
		if err != nil {
			return nil, err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	var res bench.Result
	var others []bench.Result
	var err error
	if a.compare {
		res, others = bench.Compare(job, a.rounds)
		if res.Err != "" {
			err = errors.New(res.Err)
		}
	} else {
		res, err = bench.Run(job)
	}
	if err != nil {
		return nil, err
	}
	return &aioReport{Result: res, Engine: job.Engine, RW: job.RW, BS: job.BS, IODepth: job.IODepth,
		Size: job.Size, Direct: job.Direct, Fsync: job.Fsync, CPUs: runtime.NumCPU(), Compare: others}, nil
}

// parseAIOJob fills the job's duration from its flag and checks the
// job, naming the flag at fault.
func parseAIOJob(job *bench.Job, rt string) error {
	var err error
	if job.Runtime, err = parseRuntime(rt); err != nil || job.Runtime <= 0 {
		return fmt.Errorf("--runtime %q: want seconds or a Go duration", rt)
	}
	return job.Check()
}

// cleanDataFile removes name if fasync laid it out, saying so, and
// refuses any other file.
func cleanDataFile(name string, stdout, stderr io.Writer) int {
	n, err := benchfile.Remove(name)
	switch {
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(stdout, "no data file %s\n", name)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "fasync bench aio --clean: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "removed %s (%s)\n", name, cli.HumanSize(n))
	return 0
}

// parseRuntime reads fio's runtime: plain seconds, or a Go duration.
func parseRuntime(s string) (time.Duration, error) {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(v * float64(time.Second)), nil
	}
	return time.ParseDuration(s)
}

// printAIOReport writes the human-readable result, and the comparison
// table when there is one.
func printAIOReport(w io.Writer, rep *aioReport) {
	fmt.Fprintf(w, "%s %s bs=%s iodepth=%d size=%s direct=%t cpus=%d\n", rep.Engine, rep.RW,
		cli.FormatSize(rep.BS), rep.IODepth, cli.FormatSize(rep.Size), rep.Direct, rep.CPUs)
	rows := append([]bench.Result{rep.Result}, rep.Compare...)
	if len(rep.Compare) > 0 {
		fmt.Fprintln(w, "medians of the rounds (IOPS of each run in brackets); ours/x: the first row's IOPS over the row's")
	}
	fmt.Fprintln(w, "latency (p50, p99, mean): each request's turnaround, from its slot's previous result in the submitter's hands to its own, alike for every row (fio: lat_ns)")
	fmt.Fprintf(w, "%-42s %10s %9s %9s %9s %9s %10s %6s %7s\n", "run", "IOPS", "MiB/s", "p50 µs", "p99 µs", "mean µs", "CPU µs/IO", "cores", "ours/x")
	for _, r := range rows {
		if r.Err != "" {
			fmt.Fprintf(w, "%-42s %s\n", r.Name, r.Err)
			continue
		}
		ratio := "1.00"
		if r.Ratio != 0 {
			ratio = strconv.FormatFloat(r.Ratio, 'f', 2, 64)
		}
		fmt.Fprintf(w, "%-42s %10.0f %9.1f %9.1f %9.1f %9.1f %10.2f %6.2f %7s", r.Name, r.IOPS, r.BWBytes/(1<<20),
			float64(r.Clat.P50)/1e3, float64(r.Clat.P99)/1e3, r.Clat.Mean/1e3, r.CPUPerIO/1e3, r.CPUsBusy, ratio)
		if len(r.IOPSRuns) > 1 {
			fmt.Fprint(w, "  [")
			for i, v := range r.IOPSRuns {
				if i > 0 {
					fmt.Fprint(w, " ")
				}
				fmt.Fprintf(w, "%.0fk", v/1e3)
			}
			fmt.Fprint(w, "]")
		}
		fmt.Fprintln(w)
	}
	if rep.Interrupted {
		fmt.Fprintln(w, "interrupted: medians of the runs that finished")
	}
}
