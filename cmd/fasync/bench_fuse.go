package main

// fasync bench fuse: exported scullpipe devices against a kernel FIFO, in
// one run (SPEC R3), over each FUSE transport devfs has (classic
// /dev/fuse, and io_uring when the kernel offers it). The clients are this
// same binary re-executed (internal/bench's Throughput and PingPong), for
// the FIFO and for the devices alike; the FUSE server is this process.

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/bench"
	"github.com/fasync-go/fasync/internal/fuseraw"
	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

func init() {
	registerBench("fuse", "scullpipe through FUSE beside a kernel FIFO: 64 KiB throughput, 1-byte ping", runBenchFuse)
}

func runBenchFuse(args []string) int {
	fl := flag.NewFlagSet("bench fuse", flag.ContinueOnError)
	total := fl.Int("bytes", 256<<20, "bytes moved per throughput run")
	bs := fl.Int("bs", 64<<10, "bytes per read(2) and write(2)")
	rings := fl.String("ring", "4000,65536,1048576", "scullpipe buffer sizes to measure, comma-separated")
	pings := fl.Int("pings", 20000, "round trips per ping run")
	runs := fl.Int("runs", 3, "runs of each case, alternating FIFO and FUSE; the median is reported")
	cpuprofile := fl.String("cpuprofile", "", "write a CPU profile of the FUSE server (this process) to this file")
	transports := fl.String("transport", "classic,uring", "FUSE transports to measure, comma-separated (uring is skipped, with a note, when the kernel cannot offer it)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	var sizes []int
	for _, f := range strings.Split(*rings, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < scull.MinSize || *total <= 0 || *bs <= 0 || *runs <= 0 || *pings <= 0 {
			fmt.Fprintln(os.Stderr, "fasync bench fuse: bad --ring, --bytes, --bs, --runs or --pings")
			return 2
		}
		sizes = append(sizes, n)
	}
	var trs []devfs.Transport
	for _, f := range strings.Split(*transports, ",") {
		tr, err := devfs.ParseTransport(strings.TrimSpace(f))
		if err != nil || tr == devfs.Auto {
			fmt.Fprintln(os.Stderr, "fasync bench fuse: --transport takes classic and uring")
			return 2
		}
		trs = append(trs, tr)
	}
	if err := devfs.CheckHost(); err != nil {
		fmt.Fprintln(os.Stderr, "fasync bench fuse:", err)
		return 1
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fasync bench fuse:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "fasync bench fuse:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	trs, restore := usableTransports(trs)
	defer restore()
	if len(trs) == 0 {
		fmt.Fprintln(os.Stderr, "fasync bench fuse: no transport to measure")
		return 1
	}
	if err := benchFuse(trs, fuseParams{total: *total, bs: *bs, pings: *pings, runs: *runs, sizes: sizes}); err != nil {
		fmt.Fprintln(os.Stderr, "fasync bench fuse:", err)
		return 1
	}
	return 0
}

// usableTransports drops the io_uring transport, saying why, when it
// cannot be had. For the run it turns fuse.enable_uring on if it is off
// and this process may (root); restore puts back what it found.
func usableTransports(trs []devfs.Transport) (_ []devfs.Transport, restore func()) {
	restore = func() {}
	if !slices.Contains(trs, devfs.URing) {
		return trs, restore
	}
	r, err := fuseraw.EnableURing()
	if err == nil {
		restore = r
		err = devfs.URingAvailable()
	}
	if err != nil {
		fmt.Printf("io_uring transport not measured: %v\n", err)
		return slices.DeleteFunc(trs, func(t devfs.Transport) bool { return t == devfs.URing }), restore
	}
	return trs, restore
}

// benchFuse mounts the devices once per transport on temporary
// directories, makes the FIFOs, measures every table's rows in
// alternating rounds, and prints each table: a line per row with its
// median, its ratios to the table's first row and to its own baseline,
// and each run's result with its ratio to the first row's in that run.
func benchFuse(trs []devfs.Transport, p fuseParams) error {
	env, err := newBenchEnv(trs, p.sizes[0])
	if err != nil {
		return err
	}
	defer env.close()
	env.fuseParams = p
	fmt.Printf("%d-byte transfers, %d MiB per run; median of %d runs, in alternating order\n", p.bs, p.total>>20, p.runs)
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
	if err := bench.MeasureCases(p.runs, all, os.Stderr); err != nil {
		return err
	}
	for _, t := range tables {
		n := copy(t.cases, all)
		all = all[n:]
		t.print(os.Stdout)
	}
	return nil
}

// fuseParams are bench fuse's flags.
type fuseParams struct {
	total, bs, pings, runs int
	sizes                  []int // scullpipe ring sizes
}

// A fuseTable is one table of bench fuse: its rows come from a list of
// builders, each adding its cases (a baseline first, then the rows
// measured against it). Adding a measurement to bench fuse is adding a
// builder to a table, or a table to fuseTables.
type fuseTable struct {
	column string // the first column's heading
	note   string // printed under the table
	rows   []func(t *caseTable, env *benchEnv)
}

var fuseTables = []fuseTable{
	{column: "case", rows: []func(*caseTable, *benchEnv){throughputRows},
		note: "vs FIFO: against the default FIFO (64 KiB); vs FIFO=: against the FIFO with the ring's buffer size (- for rings up to 64 KiB: the default one)"},
	{column: "round trip", rows: []func(*caseTable, *benchEnv){pingRows},
		note: "vs FIFO: against the FIFO's round trip"},
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
	p := env.fuseParams
	fifo := env.fifos[0]
	t.add(bench.Case{Name: "fifo (65536-byte pipe buffer)", Unit: "MB/s",
		Run: func() (float64, error) { return bench.Throughput(fifo, p.total, p.bs, 0) }})
	for _, size := range p.sizes {
		same := 0
		if size > 64<<10 {
			same = t.add(bench.Case{Name: fmt.Sprintf("fifo (%d-byte pipe buffer)", size), Unit: "MB/s",
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
	pings := env.pings
	us := func(a, b string) func() (float64, error) {
		return func() (float64, error) {
			ns, err := bench.PingPong(a, b, pings)
			return ns / 1e3, err
		}
	}
	t.add(bench.Case{Name: "fifo 1-byte ping", Unit: "µs", Run: us(env.fifos[0], env.fifos[1])})
	for _, x := range env.exports {
		t.add(bench.Case{Name: fmt.Sprintf("fuse/%v 1-byte ping", x.tr), Unit: "µs", Run: us(x.dev(0), x.dev(1))})
	}
}

// print writes the table.
func (t *caseTable) print(w io.Writer) {
	fmt.Fprintf(w, "%-40s %14s %8s %8s   %s\n", t.column, "median", "vs FIFO", "vs FIFO=", "each run (vs that run's first row)")
	first := t.cases[0]
	for _, c := range t.cases {
		base := "-"
		if c.Base != 0 {
			base = fmt.Sprintf("%.3f", c.Median/t.cases[c.Base].Median)
		}
		fmt.Fprintf(w, "%-40s %9.4g %-4s %8.3f %8s  %s\n", c.Name, c.Median, c.Unit, c.Median/first.Median, base, perRun(c, first))
	}
	fmt.Fprintln(w, t.note)
}

// perRun lists c's result in each run with its ratio to first's in the
// same run.
func perRun(c, first bench.Case) string {
	var b strings.Builder
	for i, x := range c.Runs {
		fmt.Fprintf(&b, " %.4g (%.2f)", x, x/first.Runs[i])
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
	fuseParams
	tmp     string
	fifos   []string
	exports []*benchExport
	sigs    chan os.Signal
}

func newBenchEnv(trs []devfs.Transport, size int) (_ *benchEnv, err error) {
	tmp, err := os.MkdirTemp("", "fasync-bench-fuse")
	if err != nil {
		return nil, err
	}
	env := &benchEnv{tmp: tmp}
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
	for _, tr := range trs {
		x := &benchExport{tr: tr, dir: filepath.Join(tmp, "mnt-"+tr.String()), k: kernel.New(kernel.Config{})}
		env.exports = append(env.exports, x)
		if err := os.Mkdir(x.dir, 0o700); err != nil {
			return nil, err
		}
		if x.pipes, err = scull.Register(x.k, scull.Config{Devices: 2, Size: size}); err != nil {
			return nil, err
		}
		if x.m, err = devfs.New(x.k, devfs.Options{Transport: tr}).Mount(x.dir); err != nil {
			return nil, err
		}
	}
	// Ctrl-C must not leave a mount behind: detach them and go; clients
	// still using them fail with ECONNABORTED once this process is gone.
	env.sigs = make(chan os.Signal, 1)
	signal.Notify(env.sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		if _, ok := <-env.sigs; ok {
			for _, x := range env.exports {
				devfs.Unmount(x.dir, true)
			}
			os.RemoveAll(tmp)
			os.Exit(130)
		}
	}()
	return env, nil
}

func (env *benchEnv) close() {
	if env.sigs != nil {
		signal.Stop(env.sigs)
	}
	for _, x := range env.exports {
		if x.m != nil {
			x.m.Close()
		}
		x.k.Close()
	}
	os.RemoveAll(env.tmp)
}
