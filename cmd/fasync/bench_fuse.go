package main

// fasync bench fuse: exported scullpipe devices against a kernel FIFO, in
// one run (SPEC R3), over each FUSE transport devfs has (classic
// /dev/fuse, and io_uring when the kernel offers it). The clients are this
// same binary re-executed (internal/bench's Throughput and PingPong), for
// the FIFO and for the devices alike; the FUSE server is this process.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/bench"
	"github.com/fasync-go/fasync/internal/cli"
	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

func init() {
	registerBench("fuse", "scullpipe through FUSE beside a kernel FIFO: 64 KiB throughput, 1-byte ping", runBenchFuse)
}

func runBenchFuse(args []string) int { return benchFuseMain(args, os.Stdout, os.Stderr) }

// fuseParams are bench fuse's flags.
type fuseParams struct {
	total, bs, pings, runs int
	sizes                  []int // scullpipe ring sizes
	trs                    []devfs.Transport
	cpuprofile, svg        string
}

// The accepted ranges of bench fuse's flags.
const (
	maxFuseBytes = 64 << 30
	maxFuseBS    = 64 << 20
	maxFusePings = 10_000_000
	maxFuseRuns  = 1000
)

// parseFuseFlags reads bench fuse's command line; an error names the
// flag at fault and what it accepts. After -h it reports errHelp, and
// errReported after a usage error the flag set has written out.
func parseFuseFlags(args []string, stdout, stderr io.Writer) (p fuseParams, err error) {
	fl := cli.NewFlagSet("bench fuse", "fasync bench fuse [flags]",
		"Moves data through exported scullpipe devices and through a kernel FIFO in\n"+
			"the same run, over each FUSE transport: 64 KiB throughput and a 1-byte ping,\n"+
			"each FUSE figure beside the FIFO's as a ratio. Progress goes to stderr, a\n"+
			"line per run.")
	fl.Stdout, fl.Stderr = stdout, stderr
	total := cli.SizeFlag(fl.FlagSet, "bytes", 256<<20, 1, maxFuseBytes, "bytes moved per throughput run")
	bs := cli.SizeFlag(fl.FlagSet, "bs", 64<<10, 1, maxFuseBS, "bytes per read(2) and write(2)")
	rings := fl.String("ring", "4000,65536,1048576", fmt.Sprintf("scullpipe buffer sizes to measure, comma-separated (%s to %s each; k, m suffixes)",
		cli.HumanSize(scull.MinSize), cli.HumanSize(scull.MaxSize)))
	fl.IntVar(&p.pings, "pings", 20000, fmt.Sprintf("round trips per ping run (1 to %d)", maxFusePings))
	fl.IntVar(&p.runs, "runs", 3, fmt.Sprintf("runs of each case, in alternating order; the median is reported (1 to %d)", maxFuseRuns))
	fl.StringVar(&p.cpuprofile, "cpuprofile", "", "write a CPU profile of the FUSE server (this process) to this file")
	fl.StringVar(&p.svg, "svg", "", "also draw the tables (throughput and round trips, beside the FIFOs) as an SVG chart in this file")
	transports := fl.String("transport", "classic,uring", "FUSE transports to measure, comma-separated (uring is skipped, with a note, when the kernel cannot offer it)")
	if _, status, ok := fl.Parse(args, 0, 0); !ok {
		if status == 0 {
			return p, errHelp
		}
		return p, errReported
	}
	p.total, p.bs = int(*total), int(*bs)
	for _, f := range strings.Split(*rings, ",") {
		n, err := cli.ParseSize(f)
		if err != nil || n < scull.MinSize || n > scull.MaxSize {
			return p, fmt.Errorf("--ring %q: want sizes from %s to %s, comma-separated", strings.TrimSpace(f),
				cli.HumanSize(scull.MinSize), cli.HumanSize(scull.MaxSize))
		}
		p.sizes = append(p.sizes, int(n))
	}
	if p.pings < 1 || p.pings > maxFusePings {
		return p, fmt.Errorf("--pings %d: want 1 to %d", p.pings, maxFusePings)
	}
	if p.runs < 1 || p.runs > maxFuseRuns {
		return p, fmt.Errorf("--runs %d: want 1 to %d", p.runs, maxFuseRuns)
	}
	for _, f := range strings.Split(*transports, ",") {
		tr, err := devfs.ParseTransport(strings.TrimSpace(f))
		if err != nil || tr == devfs.Auto {
			return p, fmt.Errorf("--transport %q: want classic, uring or both, comma-separated", *transports)
		}
		if !slices.Contains(p.trs, tr) {
			p.trs = append(p.trs, tr)
		}
	}
	return p, nil
}

// errHelp and errReported end the command before it runs: after -h
// (status 0) and after a usage error already written out (status 2).
var (
	errHelp     = errors.New("help printed")
	errReported = errors.New("usage error reported")
)

// benchFuseMain is `fasync bench fuse`: tables on stdout; progress,
// notes and errors on stderr.
func benchFuseMain(args []string, stdout, stderr io.Writer) int {
	p, err := parseFuseFlags(args, stdout, stderr)
	if err == errHelp {
		return 0
	}
	if err != nil {
		if err != errReported {
			fmt.Fprintln(stderr, "fasync bench fuse:", err)
		}
		return 2
	}
	if err := devfs.CheckHost(); err != nil {
		fmt.Fprintln(stderr, "fasync bench fuse:", err)
		return 1
	}
	if p.cpuprofile != "" {
		f, err := os.Create(p.cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, "fasync bench fuse:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "fasync bench fuse:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	trs, restore := usableTransports(p.trs, stderr)
	defer restore()
	if len(trs) == 0 {
		fmt.Fprintln(stderr, "fasync bench fuse: no transport to measure")
		return 1
	}
	p.trs = trs
	if err := benchFuse(p, restore, stdout, stderr); err != nil {
		var stopped errInterrupted
		if errors.As(err, &stopped) {
			return stopped.status
		}
		fmt.Fprintln(stderr, "fasync bench fuse:", err)
		return 1
	}
	return 0
}

// uringSwitch turns fuse.enable_uring on for the run if it is off
// (devfs.EnableURing) and reports whether it was off; restore puts it
// back. Tests replace it.
var uringSwitch = func() (wasOff bool, restore func(), err error) {
	on, err := devfs.URingEnabled()
	if err != nil {
		return false, nil, err
	}
	restore, err = devfs.EnableURing()
	return !on, restore, err
}

// usableTransports drops the io_uring transport, saying why, when it
// cannot be had. For the run it turns fuse.enable_uring on if it is off
// and this process may (root), saying so; restore puts back what it
// found, saying so too.
func usableTransports(trs []devfs.Transport, stderr io.Writer) (_ []devfs.Transport, restore func()) {
	restore = func() {}
	if !slices.Contains(trs, devfs.URing) {
		return trs, restore
	}
	wasOff, r, err := uringSwitch()
	if err == nil {
		if wasOff {
			fmt.Fprintln(stderr, "turning fuse.enable_uring on for the io_uring transport; it is turned off again when the benchmark ends")
		}
		var once sync.Once
		restore = func() {
			once.Do(func() {
				r()
				if wasOff {
					fmt.Fprintln(stderr, "fuse.enable_uring turned off again")
				}
			})
		}
		err = devfs.URingAvailable()
	}
	if err != nil {
		fmt.Fprintf(stderr, "io_uring transport not measured: %v\n", err)
		return slices.DeleteFunc(trs, func(t devfs.Transport) bool { return t == devfs.URing }), restore
	}
	return trs, restore
}

// benchFuse mounts the devices once per transport on temporary
// directories, makes the FIFOs, measures every table's rows in
// alternating rounds, and prints each table: a line per row with its
// median, its ratios to the table's first row and to its own baseline,
// and each run's result with its ratio to the first row's in that run.
// A signal stops it after the run in progress: it prints what finished
// and returns an errInterrupted.
func benchFuse(p fuseParams, restore func(), stdout, stderr io.Writer) error {
	env, err := newBenchEnv(p, restore, stderr)
	if err != nil {
		return err
	}
	defer env.close()
	fmt.Fprintf(stdout, "%d-byte transfers, %s per run; median of %d runs, in alternating order\n", p.bs, cli.HumanSize(int64(p.total)), p.runs)
	var tables []*caseTable
	var all []bench.Case
	for _, spec := range fuseTables {
		t := &caseTable{fuseTable: spec}
		for _, add := range spec.rows {
			add(t, env)
		}
		tables = append(tables, t)
		all = append(all, t.cases...)
	}
	// One measurement over every table's cases, so the rounds alternate
	// over all of them; Base indexes a case's own table, which
	// MeasureCases does not look at.
	err = bench.MeasureCases(p.runs, all, stderr, env.intr.Stop())
	if err != nil && !errors.Is(err, bench.ErrInterrupted) {
		return err
	}
	for _, t := range tables {
		n := copy(t.cases, all)
		all = all[n:]
		t.print(stdout)
	}
	if status, ok := env.intr.Interrupted(); ok {
		fmt.Fprintln(stdout, "interrupted: medians of the runs that finished")
		return errInterrupted{status}
	}
	if p.svg != "" {
		if err := writeChart(p.svg, fuseChart(tables, p)); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "chart written to %s\n", p.svg)
	}
	err = benchSignals(env, p.pings) // bench_sigio.go
	if status, ok := env.intr.Interrupted(); ok {
		return errInterrupted{status} // the signal's clients were interrupted too
	}
	return err
}

// A fuseTable is one table of bench fuse: its rows come from a list of
// builders, each adding its cases (a baseline first, then the rows
// measured against it). Adding a measurement to bench fuse is adding a
// builder to a table, or a table to fuseTables.
type fuseTable struct {
	column     string // the first column's heading
	note       string // printed under the table
	chartTitle string // the table's panel in the --svg chart
	rows       []func(t *caseTable, env *benchEnv)
}

var fuseTables = []fuseTable{
	{column: "case", rows: []func(*caseTable, *benchEnv){throughputRows},
		chartTitle: "throughput between two processes (higher is better)",
		note:       "vs FIFO: against the default FIFO (64 KiB); vs FIFO=: against the FIFO with the ring's buffer size (- for rings up to 64 KiB: the default one)"},
	{column: "round trip", rows: []func(*caseTable, *benchEnv){pingRows},
		chartTitle: "1-byte round trip between two processes (lower is better)",
		note:       "vs FIFO: against the FIFO's round trip"},
}

// A caseTable is a fuseTable's cases being built and measured.
type caseTable struct {
	fuseTable
	cases []bench.Case
}

// add appends c, whose Base indexes this table's cases, and returns its
// index.
func (t *caseTable) add(c bench.Case) int {
	t.cases = append(t.cases, c)
	return len(t.cases) - 1
}

// throughputRows: the kernel's default FIFO (a 64 KiB pipe buffer) is
// the baseline; for a scullpipe ring larger than that, a FIFO whose
// buffer is raised to the same size (F_SETPIPE_SZ) runs too, so a ring
// that lets the writer run further ahead is also compared with a FIFO
// that does.
func throughputRows(t *caseTable, env *benchEnv) {
	p := env.params
	fifo := env.fifos[0]
	t.add(bench.Case{Name: "fifo (65536-byte pipe buffer)", Unit: "MB/s", Baseline: true,
		Run: func() (float64, error) { return bench.Throughput(fifo, p.total, p.bs, 0) }})
	for _, size := range p.sizes {
		same := 0
		if size > 64<<10 {
			same = t.add(bench.Case{Name: fmt.Sprintf("fifo (%d-byte pipe buffer)", size), Unit: "MB/s", Baseline: true,
				Run: func() (float64, error) { return bench.Throughput(fifo, p.total, p.bs, size) }})
		}
		for _, x := range env.exports {
			t.add(bench.Case{Name: fmt.Sprintf("fuse/%v scullpipe, ring %d", x.tr, size), Unit: "MB/s", Base: same,
				Run: func() (float64, error) {
					if err := x.pipes.Pipe(0).SetSize(size); err != nil {
						return 0, err
					}
					return bench.Throughput(x.dev(0), p.total, p.bs, 0)
				}})
		}
	}
}

// pingRows: one-byte round trips over two FIFOs, and over two exported
// devices on each transport.
func pingRows(t *caseTable, env *benchEnv) {
	pings := env.params.pings
	us := func(a, b string) func() (float64, error) {
		return func() (float64, error) {
			ns, err := bench.PingPong(a, b, pings)
			return ns / 1e3, err
		}
	}
	t.add(bench.Case{Name: "fifo 1-byte ping", Unit: "µs", Baseline: true, Run: us(env.fifos[0], env.fifos[1])})
	for _, x := range env.exports {
		t.add(bench.Case{Name: fmt.Sprintf("fuse/%v 1-byte ping", x.tr), Unit: "µs", Run: us(x.dev(0), x.dev(1))})
	}
}

// print writes the table.
// A row whose runs were all interrupted says so; a ratio to a row with
// no finished run is "-".
func (t *caseTable) print(w io.Writer) {
	fmt.Fprintf(w, "%-40s %14s %8s %8s   %s\n", t.column, "median", "vs FIFO", "vs FIFO=", "each run (vs that run's first row)")
	first := t.cases[0]
	ratio := func(c, to bench.Case) string {
		if len(to.Runs) == 0 {
			return "-"
		}
		return fmt.Sprintf("%.3f", c.Median/to.Median)
	}
	for _, c := range t.cases {
		if len(c.Runs) == 0 {
			fmt.Fprintf(w, "%-40s %14s\n", c.Name, "interrupted")
			continue
		}
		base := "-"
		if c.Base != 0 {
			base = ratio(c, t.cases[c.Base])
		}
		fmt.Fprintf(w, "%-40s %9.4g %-4s %8s %8s  %s\n", c.Name, c.Median, c.Unit, ratio(c, first), base, perRun(c, first))
	}
	fmt.Fprintln(w, t.note)
}

// perRun lists c's result in each run with its ratio to first's in the
// same run ("-" where first's run did not finish).
func perRun(c, first bench.Case) string {
	var b strings.Builder
	for i, x := range c.Runs {
		if i < len(first.Runs) {
			fmt.Fprintf(&b, " %.4g (%.2f)", x, x/first.Runs[i])
		} else {
			fmt.Fprintf(&b, " %.4g (-)", x)
		}
	}
	return b.String()
}

// A benchExport is one mount of two scullpipe devices over one transport,
// with a model kernel of its own.
type benchExport struct {
	tr    devfs.Transport
	dir   string
	k     *kernel.Kernel
	pipes *scull.Pipes
	m     *devfs.Mount
}

// dev returns the path of exported device i.
func (x *benchExport) dev(i int) string { return filepath.Join(x.dir, scull.DeviceName(i)) }

// A benchEnv is what the benchmark runs on: two FIFOs, and an export per
// transport on temporary mounts.
type benchEnv struct {
	params  fuseParams
	restore func() // puts fuse.enable_uring back
	tmp     string
	fifos   []string
	exports []*benchExport
	intr    *benchInterrupt
}

func newBenchEnv(p fuseParams, restore func(), stderr io.Writer) (_ *benchEnv, err error) {
	tmp, err := os.MkdirTemp("", "fasync-bench-fuse")
	if err != nil {
		return nil, err
	}
	env := &benchEnv{params: p, restore: restore, tmp: tmp}
	defer func() {
		if err != nil {
			env.close()
		}
	}()
	env.fifos = []string{filepath.Join(tmp, "fifo-a"), filepath.Join(tmp, "fifo-b")}
	for _, f := range env.fifos {
		if err := unix.Mkfifo(f, 0o600); err != nil {
			return nil, err
		}
	}
	for _, tr := range p.trs {
		x := &benchExport{tr: tr, dir: filepath.Join(tmp, "mnt-"+tr.String()), k: kernel.New(kernel.Config{})}
		env.exports = append(env.exports, x)
		if err := os.Mkdir(x.dir, 0o700); err != nil {
			return nil, err
		}
		if x.pipes, err = scull.Register(x.k, scull.Config{Devices: 2, Size: p.sizes[0]}); err != nil {
			return nil, err
		}
		if x.m, err = devfs.New(x.k, devfs.Options{Transport: tr}).Mount(x.dir); err != nil {
			return nil, err
		}
	}
	// A first Ctrl-C ends the measuring after the run in progress. A
	// second exits at once, but must not leave a mount behind, nor
	// fuse.enable_uring turned on: detach the mounts, put the switch
	// back and go; clients still using the mounts fail with ECONNABORTED
	// once this process is gone.
	env.intr = catchBenchSignals(stderr, "fasync bench fuse", func() {
		for _, x := range env.exports {
			devfs.Unmount(x.dir, true)
		}
		os.RemoveAll(tmp)
		env.restore()
	})
	return env, nil
}

func (env *benchEnv) close() {
	if env.intr != nil {
		env.intr.Release()
	}
	for _, x := range env.exports {
		if x.m != nil {
			x.m.Close()
		}
		x.k.Close()
	}
	os.RemoveAll(env.tmp)
}
