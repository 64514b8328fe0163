package sigio

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A latency run: write one byte to a pipe, note when some handler sees it.
// Each path records one sample per iteration, in nanoseconds from just
// before write(2) to the first instruction of the handler.

// clock gives monotonic nanoseconds shareable through an atomic.
var clockBase = time.Now()

func nanotime() int64 { return int64(time.Since(clockBase)) }

// percentiles reports p50 and p99 of samples as benchmark metrics and
// remembers p50 for the ratios BenchmarkLatency prints.
func percentiles(b *testing.B, name string, samples []int64) {
	if len(samples) == 0 {
		return
	}
	slices.Sort(samples)
	p50, p99 := samples[len(samples)/2], samples[len(samples)*99/100]
	b.ReportMetric(float64(p50), "p50-ns")
	b.ReportMetric(float64(p99), "p99-ns")
	p50s.Store(name, p50)
}

var p50s sync.Map // path name -> last p50 in ns

// BenchmarkLatency measures write->handler latency (p50, p99) for the
// signalfd path (handler on the owner thread, and after a channel hop), the
// os/signal SIGIO path (Classic), a Go netpoller read of an os.Pipe, and a C
// SA_SIGINFO handler built with gcc in the same run (SPEC R1, B11). The
// goal is signalfd-handler p50 <= 1.5x the C handler's.
func BenchmarkLatency(b *testing.B) {
	b.Run("signalfd-handler", benchSignalfdHandler)
	b.Run("signalfd-channel", benchSignalfdChannel)
	b.Run("os-signal-SIGIO", benchOsSignal)
	b.Run("netpoller-read", benchNetpoller)
	b.Run("C-SA_SIGINFO", benchC(buildLatencyC(b.TempDir()))) // built once, in this run
	c, ok := p50s.Load("C")
	if !ok {
		return
	}
	for _, name := range []string{"signalfd-handler", "signalfd-channel", "os-signal-SIGIO", "netpoller-read"} {
		if v, ok := p50s.Load(name); ok {
			b.Logf("p50 %-17s %6d ns = %.2fx the C handler's %d ns", name, v, float64(v.(int64))/float64(c.(int64)), c)
		}
	}
}

// pingPipe runs b.N rounds: timestamp, write a byte, wait for seen to
// deliver the handler's sample.
func pingPipe(b *testing.B, wr int, t0 *atomic.Int64, seen <-chan int64) []int64 {
	samples := make([]int64, 0, b.N)
	one := []byte{'x'}
	b.ResetTimer()
	for range b.N {
		t0.Store(nanotime())
		if _, err := unix.Write(wr, one); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, <-seen)
	}
	b.StopTimer()
	return samples
}

func benchSignalfdHandler(b *testing.B) {
	r, wr := pipe(b)
	var t0 atomic.Int64
	seen := make(chan int64, 1)
	buf := make([]byte, 16)
	w := newWatcher(b, &Options{Handler: func(e Event) {
		if e.Fd != r || e.Polled {
			return
		}
		d := nanotime() - t0.Load()
		unix.Read(r, buf)
		seen <- d
	}})
	if err := w.Watch(r); err != nil {
		b.Fatal(err)
	}
	percentiles(b, "signalfd-handler", pingPipe(b, wr, &t0, seen))
}

func benchSignalfdChannel(b *testing.B) {
	r, wr := pipe(b)
	var t0 atomic.Int64
	seen := make(chan int64, 1)
	w := newWatcher(b, nil)
	if err := w.Watch(r); err != nil {
		b.Fatal(err)
	}
	go func() {
		buf := make([]byte, 16)
		for e := range w.Events() {
			if e.Fd == r && !e.Polled {
				d := nanotime() - t0.Load()
				unix.Read(r, buf)
				seen <- d
			}
		}
	}()
	percentiles(b, "signalfd-channel", pingPipe(b, wr, &t0, seen))
}

func benchOsSignal(b *testing.B) {
	r, wr := pipe(b)
	var t0 atomic.Int64
	seen := make(chan int64, 1)
	c := NewClassic()
	defer c.Close()
	if err := c.Watch(r); err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		buf := make([]byte, 16)
		for {
			select {
			case <-c.C:
			case <-stop:
				return
			}
			d := nanotime() - t0.Load()
			if n, _ := unix.Read(r, buf); n > 0 {
				seen <- d
			}
		}
	}()
	percentiles(b, "os-signal-SIGIO", pingPipe(b, wr, &t0, seen))
}

func benchNetpoller(b *testing.B) {
	pr, pw, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	var t0 atomic.Int64
	seen := make(chan int64, 1)
	go func() {
		buf := make([]byte, 16)
		for {
			if _, err := pr.Read(buf); err != nil {
				return
			}
			seen <- nanotime() - t0.Load()
		}
	}()
	samples := make([]int64, 0, b.N)
	one := []byte{'x'}
	b.ResetTimer()
	for range b.N {
		t0.Store(nanotime())
		if _, err := pw.Write(one); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, <-seen)
	}
	b.StopTimer()
	percentiles(b, "netpoller-read", samples)
}

// buildLatencyC compiles testdata/latency.c with gcc into dir. A missing
// gcc is reported with skip set, so callers skip rather than fail.
func buildLatencyC(dir string) (bin string, skip bool, err error) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		return "", true, fmt.Errorf("gcc not found (install gcc to build the C baseline): %w", err)
	}
	bin = filepath.Join(dir, "latency")
	if out, err := exec.Command(gcc, "-O2", "-Wall", "-pthread", "-o", bin, "testdata/latency.c").CombinedOutput(); err != nil {
		return "", false, fmt.Errorf("gcc: %v\n%s", err, out)
	}
	return bin, false, nil
}

// runLatencyC runs the C program for n rounds and returns its p50 and p99.
func runLatencyC(tb testing.TB, bin string, n int) (p50, p99 int64) {
	tb.Helper()
	out, err := exec.Command(bin, fmt.Sprint(n), fmt.Sprint(DefaultSignal)).Output()
	if err != nil {
		tb.Fatalf("latency: %v", err)
	}
	var got int
	if _, err := fmt.Sscan(string(out), &p50, &p99, &got); err != nil || got != n {
		tb.Fatalf("latency printed %q", out)
	}
	return p50, p99
}

// benchC runs the C program built by BenchmarkLatency for b.N rounds.
func benchC(bin string, skip bool, err error) func(b *testing.B) {
	return func(b *testing.B) {
		if skip {
			b.Skip(err)
		}
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		p50, p99 := runLatencyC(b, bin, b.N)
		b.StopTimer()
		b.ReportMetric(float64(p50), "p50-ns")
		b.ReportMetric(float64(p99), "p99-ns")
		p50s.Store("C", p50)
	}
}

// TestLatencyProgram: the C baseline builds and reports sane figures, so the
// benchmark's comparison is not silently broken (SPEC R1).
func TestLatencyProgram(t *testing.T) {
	bin, skip, err := buildLatencyC(t.TempDir())
	if skip {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	p50, p99 := runLatencyC(t, bin, 200)
	if p50 <= 0 || p99 < p50 {
		t.Fatalf("p50 %d ns, p99 %d ns", p50, p99)
	}
}
