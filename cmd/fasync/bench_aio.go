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
}

func runBenchAIO(args []string) int { return benchAIO(args, os.Stdout, os.Stderr) }

// benchAIO is `fasync bench aio` writing its result to stdout and its
// progress and errors to stderr.
func benchAIO(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("bench aio", "fasync bench aio [flags]",
		"Runs POSIX AIO on a real file through the aio Engine, with fio's vocabulary;\n"+
			"--compare runs goroutines, the other engine and fio beside it in the same\n"+
			"invocation and prints ratios.")
	fs.Stdout, fs.Stderr = stdout, stderr
	rw := fs.String("rw", "randread", "randread, randwrite, read or write")
	bs := cli.SizeFlag(fs.FlagSet, "bs", 4<<10, 1, bench.MaxBS, "bytes per request")
	iodepth := fs.Int("iodepth", 32, "requests kept in flight")
	size := cli.SizeFlag(fs.FlagSet, "size", 1<<30, 1, 1<<40, "bytes of the file the job uses, at least --bs; a file fasync laid out is grown to it, another only with --grow")
	rt := fs.String("runtime", "10s", "how long to run (seconds, or a Go duration)")
	direct := fs.Bool("direct", false, "open the file O_DIRECT (--direct=1)")
	filename := fs.String("filename", "", "the data file, a regular file (default: the cache file $FASYNC_BENCH_FILE or TMPDIR/"+benchfile.CacheName+", laid out once and kept)")
	grow := fs.Bool("grow", false, "lay out an existing --filename that fasync did not make and that is shorter than --size, up to --size")
	overwrite := fs.Bool("overwrite", false, "let a write job write to an existing --filename that fasync did not make")
	clean := fs.Bool("clean", false, "remove the data file (--filename, or the cache file) if fasync laid it out, and exit")
	svg := fs.String("svg", "", "with --compare, also draw the rows (IOPS and latency) as an SVG chart in this file")
	engine := fs.String("engine", "uring", "uring (aio Engine on io_uring), threads (aio Engine on its thread pool), file (IODEPTH goroutines calling aio.File's ReadAt/WriteAt, on io_uring), file-threads (the same on the thread pool), or goroutines (IODEPTH goroutines calling os.File's ReadAt/WriteAt)")
	fsync := fs.Int("fsync", 0, "write jobs: Sync after every N-th write of the job, like fio's --fsync=N (engines file, file-threads and goroutines)")
	rings := fs.Int("rings", 0, "io_uring rings for --engine uring (0: one per CPU)")
	batch := fs.Int("batch", 0, "submit with ListIO in lists of this many requests, one notification per list (fio's iodepth_batch_submit); 0: one Read or Write per request")
	fixedbufs := fs.Bool("fixedbufs", false, "take the engine's buffers from its arena (aio.WithBufferArena), which io_uring registers: reads and writes go as READ_FIXED/WRITE_FIXED, like fio's --fixedbufs (the row is named \"fasync aio fixedbufs\"); with --compare and --engine uring the other variant runs as a row too")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	registerfiles := fs.Bool("registerfiles", false, "register the file with the engine (Engine.RegisterFile), which io_uring uses as a fixed file, like fio's --registerfiles (the row's name says \"registerfiles\")")
	ringthreads := fs.Bool("ringthreads", false, "give each io_uring ring's loop an OS thread of its own, with a SINGLE_ISSUER | DEFER_TASKRUN ring as fio sets up (aio.WithRingThreads; the row's name says \"ringthreads\")")
	notify := fs.String("notify", "chan", "how the engine announces completions: chan (SIGEV_CHAN, one consumer goroutine per CPU resubmits) or inline (SIGEV_INLINE, the callback resubmits on the goroutine that completed the request)")
	compare := fs.Bool("compare", false, "also run the goroutine baseline, the other engine and fio (io_uring plain, batched, fixed buffers; libaio; posixaio) with the same parameters, and print ratios")
	rounds := fs.Int("rounds", 2, "with --compare, run every row this many times, alternating the order, and report medians")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the engine's run to this file")
	if _, status, ok := fs.Parse(args, 0, 0); !ok {
		return status
	}
	if *filename == "" {
		*filename = benchfile.Shared()
	}
	if *clean {
		return cleanDataFile(*filename, stdout, stderr)
	}
	job := &bench.Job{RW: *rw, IODepth: *iodepth, Direct: *direct, Filename: *filename, Engine: *engine, Rings: *rings,
		Batch: *batch, Notify: *notify, Fsync: *fsync, FixedBufs: *fixedbufs, RegisterFiles: *registerfiles, RingThreads: *ringthreads,
		Grow: *grow, Overwrite: *overwrite, Progress: stderr}
	if *rounds < 1 || *rounds > 1000 {
		fmt.Fprintf(stderr, "fasync bench aio: --rounds %d: want 1 to 1000\n", *rounds)
		return 2
	}
	if *svg != "" && !*compare {
		fmt.Fprintln(stderr, "fasync bench aio: --svg draws the rows of --compare: add --compare")
		return 2
	}
	job.BS, job.Size = *bs, *size
	if err := parseAIOJob(job, *rt); err != nil {
		fmt.Fprintf(stderr, "fasync bench aio: %v\n", err)
		return 2
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
	if *cpuprofile != "" {
		pf, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintf(stderr, "fasync bench aio: %v\n", err)
			return 1
		}
		defer pf.Close()
		pprof.StartCPUProfile(pf)
	}
	var res bench.Result
	var others []bench.Result
	var err error
	if *compare {
		res, others = bench.Compare(job, *rounds)
		if res.Err != "" {
			err = errors.New(res.Err)
		}
	} else {
		res, err = bench.Run(job)
	}
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		fmt.Fprintf(stderr, "fasync bench aio: %v\n", err)
		return 1
	}
	rep := aioReport{Result: res, Engine: job.Engine, RW: job.RW, BS: job.BS, IODepth: job.IODepth,
		Size: job.Size, Direct: job.Direct, Fsync: job.Fsync, CPUs: runtime.NumCPU(), Compare: others}
	if *svg != "" {
		if err := writeAIOChart(*svg, &rep); err != nil {
			fmt.Fprintf(stderr, "fasync bench aio: %v\n", err)
			return 1
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
		return 0
	}
	printAIOReport(stdout, &rep)
	return 0
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
}
