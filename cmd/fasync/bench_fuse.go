package main

// fasync bench fuse: exported scullpipe devices against a kernel FIFO, in
// one run (SPEC R3), over each FUSE transport devfs has (classic
// /dev/fuse, and io_uring when the kernel offers it). The clients are this
// same binary re-executed as separate processes doing blocking
// read(2)/write(2), for the FIFO and for the devices alike; the FUSE
// server is this process.

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/fuseraw"
	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

func init() {
	registerBench("fuse", "scullpipe through FUSE beside a kernel FIFO: 64 KiB throughput, 1-byte ping", runBenchFuse)
}

// benchClientEnv marks a re-executed client process; its value is the role.
const benchClientEnv = "FASYNC_BENCH_FUSE_CLIENT"

func runBenchFuse(args []string) int {
	if role := os.Getenv(benchClientEnv); role != "" {
		return benchFuseClient(role, args)
	}
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
	if err := benchFuse(trs, sizes, *total, *bs, *pings, *runs); err != nil {
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
// directories, makes the FIFOs, and prints one table line per case with
// its ratio to the FIFO, the median's and each run's.
func benchFuse(trs []devfs.Transport, sizes []int, total, bs, pings, runs int) error {
	env, err := newBenchEnv(trs, sizes[0])
	if err != nil {
		return err
	}
	defer env.close()
	fifos := env.fifos
	fmt.Printf("%d-byte transfers, %d MiB per run; median of %d runs, FIFO and FUSE cases alternating\n", bs, total>>20, runs)
	// The kernel's default FIFO (a 64 KiB pipe buffer) is the baseline;
	// for a scullpipe ring larger than that, a FIFO whose buffer is raised
	// to the same size (F_SETPIPE_SZ) runs too, so a ring that lets the
	// writer run further ahead is also compared with a FIFO that does.
	cases := []benchCase{{name: "fifo (65536-byte pipe buffer)", run: func() (float64, error) { return benchTput(fifos[0], total, bs, 0) }}}
	for _, size := range sizes {
		same := 0
		if size > 64<<10 {
			same = len(cases)
			cases = append(cases, benchCase{name: fmt.Sprintf("fifo (%d-byte pipe buffer)", size), base: same,
				run: func() (float64, error) { return benchTput(fifos[0], total, bs, size) }})
		}
		for _, x := range env.exports {
			cases = append(cases, benchCase{name: fmt.Sprintf("fuse/%v scullpipe, ring %d", x.tr, size), base: same, run: func() (float64, error) {
				if err := x.pipes.Pipe(0).SetSize(size); err != nil {
					return 0, err
				}
				return benchTput(x.dev(0), total, bs, 0)
			}})
		}
	}
	pingCases := []benchCase{{name: "fifo 1-byte ping (round trip)", run: func() (float64, error) { return benchPing(fifos[0], fifos[1], pings) }}}
	for _, x := range env.exports {
		pingCases = append(pingCases, benchCase{name: fmt.Sprintf("fuse/%v 1-byte ping (round trip)", x.tr),
			run: func() (float64, error) { return benchPing(x.dev(0), x.dev(1), pings) }})
	}
	all := append(append([]benchCase{}, cases...), pingCases...)
	if err := measureAlternating(runs, all); err != nil {
		return err
	}
	cases, pingCases = all[:len(cases)], all[len(cases):]
	fmt.Printf("%-40s %14s %8s %9s   %s\n", "case", "median", "vs FIFO", "vs FIFO=", "each run (vs that run's default FIFO)")
	for _, c := range cases {
		fmt.Printf("%-40s %9.0f MB/s %8.3f %9.3f  %s\n", c.name, c.median, c.median/cases[0].median,
			c.median/cases[c.base].median, perRun(c, cases[0], "%.0f"))
	}
	fmt.Println("vs FIFO: against the default FIFO (64 KiB); vs FIFO=: against the FIFO with the ring's buffer size (the default one for rings up to 64 KiB)")
	for _, c := range pingCases {
		scaled := c
		scaled.xs = nil
		for _, x := range c.xs {
			scaled.xs = append(scaled.xs, x/1e3)
		}
		fmt.Printf("%-40s %10.1f µs %8.1f  %s\n", c.name, c.median/1e3, c.median/pingCases[0].median, perRun(scaled, pingCases[0], "%.1f"))
	}
	return benchSignals(env, pings) // bench_sigio.go
}

// perRun lists c's result in each run with its ratio to base's in the
// same run.
func perRun(c, base benchCase, format string) string {
	var b strings.Builder
	for i, x := range c.xs {
		fmt.Fprintf(&b, " "+format+" (%.2f)", x, c.raw[i]/base.raw[i])
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

// A benchCase is one measurement, repeated.
type benchCase struct {
	name   string
	base   int // the case whose buffer matches (for the vs FIFO= column)
	run    func() (float64, error)
	median float64
	raw    []float64 // each run's result, in run order
	xs     []float64 // raw as printed (scaled)
}

// measureAlternating runs every case once per round, runs rounds, so a
// change in the machine's load hits the baseline and the export alike,
// and keeps each case's median.
func measureAlternating(runs int, cases []benchCase) error {
	xs := make([][]float64, len(cases))
	for r := range runs {
		for i := range cases {
			x, err := cases[i].run()
			if err != nil {
				return fmt.Errorf("%s: %w", cases[i].name, err)
			}
			xs[i] = append(xs[i], x)
		}
		fmt.Fprintf(os.Stderr, "\rround %d of %d", r+1, runs)
	}
	fmt.Fprintln(os.Stderr)
	for i := range cases {
		cases[i].raw = slices.Clone(xs[i])
		cases[i].xs = xs[i]
		sorted := slices.Sorted(slices.Values(xs[i]))
		cases[i].median = sorted[len(sorted)/2]
	}
	return nil
}

// benchTput moves total bytes through path from a writer process to a
// reader process and returns MB/s as the reader measured it.
func benchTput(path string, total, bs, pipeSize int) (float64, error) {
	ns, err := runClients(
		[]string{"read", path, strconv.Itoa(total), strconv.Itoa(bs)},
		[]string{"write", path, strconv.Itoa(total), strconv.Itoa(bs), strconv.Itoa(pipeSize)})
	if err != nil {
		return 0, err
	}
	return float64(total) / ns * 1e3, nil
}

// benchPing returns the mean round trip in ns of one byte sent over a and
// answered over b by a second process.
func benchPing(a, b string, count int) (float64, error) {
	ns, err := runClients(
		[]string{"ping", a, b, strconv.Itoa(count)},
		[]string{"pong", a, b, strconv.Itoa(count)})
	if err != nil {
		return 0, err
	}
	return ns / float64(count), nil
}

// runClients starts the measuring client and its partner, connected by a
// pipe on which the partner says it has opened its files (a FIFO read
// without a writer is end of file, and a scullpipe drops its data when
// its last file closes, B8), and returns the nanoseconds the measuring
// client reports.
func runClients(measure, partner []string) (float64, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	syncR, syncW, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	start := func(args []string, sync *os.File) (*exec.Cmd, *bufio.Scanner, error) {
		cmd := exec.Command(self, append([]string{"bench", "fuse"}, args[1:]...)...)
		cmd.Env = append(os.Environ(), benchClientEnv+"="+args[0])
		cmd.ExtraFiles = []*os.File{sync} // fd 3
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, nil, err
		}
		return cmd, bufio.NewScanner(out), cmd.Start()
	}
	mc, out, err := start(measure, syncR)
	syncR.Close()
	if err != nil {
		syncW.Close()
		return 0, err
	}
	pc, _, err := start(partner, syncW)
	syncW.Close()
	if err != nil {
		mc.Process.Kill()
		mc.Wait()
		return 0, err
	}
	// Whichever client fails first takes its partner down, so a broken
	// run cannot leave the other one sleeping on its device.
	done := make(chan error, 2)
	wait := func(c, other *exec.Cmd) {
		err := c.Wait()
		if err != nil {
			other.Process.Kill()
		}
		done <- err
	}
	var line string
	if out.Scan() {
		line = out.Text()
	}
	go wait(mc, pc)
	go wait(pc, mc)
	if err := errors.Join(<-done, <-done); err != nil {
		return 0, fmt.Errorf("clients %v: %w", measure, err)
	}
	ns, err := strconv.ParseFloat(strings.TrimPrefix(line, "ns "), 64)
	if err != nil || ns <= 0 {
		return 0, fmt.Errorf("client %v said %q", measure, line)
	}
	return ns, nil
}

// benchFuseClient is one client process. Its descriptor 3 is the sync
// pipe: the partner (write, pong) writes a byte once its files are open,
// the measuring client (read, ping) waits for it before starting.
func benchFuseClient(role string, args []string) int {
	sync := os.NewFile(3, "sync")
	var err error
	switch {
	case role == "read" && len(args) == 3:
		err = clientRead(sync, args[0], atoi(args[1]), atoi(args[2]))
	case role == "write" && len(args) == 4:
		err = clientWrite(sync, args[0], atoi(args[1]), atoi(args[2]), atoi(args[3]))
	case role == "ping" && len(args) == 3:
		err = clientPing(sync, args[0], args[1], atoi(args[2]))
	case role == "pong" && len(args) == 3:
		err = clientPong(sync, args[0], args[1], atoi(args[2]))
	default:
		err = fmt.Errorf("bad client %s %v", role, args)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fasync bench fuse client:", err)
		return 1
	}
	return 0
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// readSome and writeSome retry EINTR: FUSE cannot restart a call, so any
// signal (the Go runtime's own preemption signal included) ends a sleeping
// read on an exported file with EINTR, SA_RESTART or not. os.File retries
// the same way.
func readSome(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Read(fd, p)
		if err != unix.EINTR {
			return n, err
		}
	}
}

func writeSome(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Write(fd, p)
		if err != unix.EINTR {
			return n, err
		}
	}
}

func clientRead(sync *os.File, path string, total, bs int) error {
	// Opened before the writer can exist, without waiting for one.
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, unix.O_RDONLY); err != nil {
		return err
	}
	if _, err := sync.Read(make([]byte, 1)); err != nil {
		return err
	}
	buf := make([]byte, bs)
	t0 := time.Now()
	for got := 0; got < total; {
		n, err := readSome(fd, buf)
		if err != nil || n == 0 {
			return fmt.Errorf("read after %d bytes: %v", got, err)
		}
		got += n
	}
	fmt.Printf("ns %d\n", time.Since(t0).Nanoseconds())
	return nil
}

func clientWrite(sync *os.File, path string, total, bs, pipeSize int) error {
	fd, err := unix.Open(path, unix.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if pipeSize > 0 {
		// Before the reader starts: the whole run sees this buffer.
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, pipeSize); err != nil {
			return fmt.Errorf("F_SETPIPE_SZ %d: %w", pipeSize, err)
		}
	}
	sync.Write([]byte{'o'})
	buf := make([]byte, bs)
	for left := total; left > 0; {
		n, err := writeSome(fd, buf[:min(bs, left)])
		if err != nil {
			return err
		}
		left -= n
	}
	return nil
}

func clientPing(sync *os.File, a, b string, count int) error {
	if _, err := sync.Read(make([]byte, 1)); err != nil {
		return err
	}
	wa, err := unix.Open(a, unix.O_WRONLY, 0)
	if err != nil {
		return err
	}
	rb, err := unix.Open(b, unix.O_RDONLY, 0)
	if err != nil {
		return err
	}
	c := []byte{'p'}
	t0 := time.Now()
	for range count {
		if _, err := writeSome(wa, c); err != nil {
			return err
		}
		if n, err := readSome(rb, c); n != 1 {
			return fmt.Errorf("ping read: %d %v", n, err)
		}
	}
	fmt.Printf("ns %d\n", time.Since(t0).Nanoseconds())
	return nil
}

func clientPong(sync *os.File, a, b string, count int) error {
	sync.Write([]byte{'o'}) // the FIFO opens below pair up with ping's
	ra, err := unix.Open(a, unix.O_RDONLY, 0)
	if err != nil {
		return err
	}
	wb, err := unix.Open(b, unix.O_WRONLY, 0)
	if err != nil {
		return err
	}
	c := []byte{0}
	for range count {
		if n, err := readSome(ra, c); n != 1 {
			return fmt.Errorf("pong read: %d %v", n, err)
		}
		if _, err := writeSome(wb, c); err != nil {
			return err
		}
	}
	return nil
}
