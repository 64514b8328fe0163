package aio

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/benchfile"
)

// Many goroutines reading a file that is not in memory (SPEC C21).
//
// The Go runtime never gives back an OS thread it made, so a process's
// thread count is its peak: each measurement runs in a process of its
// own, this test binary run again with coldChildEnv set, which reads,
// samples /proc/self/status, and prints a coldResult as JSON.

// coldChildEnv carries a child's job: "kind goroutines reads file
// backend workers" (kind os or aio; backend "" for NewFile's default;
// workers 0 for the default pool size).
const coldChildEnv = "FASYNC_AIO_COLD_CHILD"

// coldGoroutines is the number of goroutines calling ReadAt at once.
const coldGoroutines = 1024

// A coldResult is what one child measured.
type coldResult struct {
	Reads      int64   `json:"reads"`
	Seconds    float64 `json:"seconds"`
	CPUNS      float64 `json:"cpu_ns_per_read"`
	Threads    int     `json:"peak_threads"`
	RSSKiB     int     `json:"peak_rss_kib"`
	GOMAXPROCS int     `json:"gomaxprocs"`
	Backend    string  `json:"backend"`
}

// TestColdChild is the child's body; run as a test, it does nothing.
func TestColdChild(t *testing.T) {
	job := os.Getenv(coldChildEnv)
	if job == "" {
		return
	}
	res, err := coldChild(strings.Split(job, " "))
	if err != nil {
		fmt.Fprintln(os.Stderr, "cold child:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(res)
	os.Exit(0)
}

// runCold runs a child that makes reads 4 KiB random reads of name,
// cold, from goroutines goroutines calling ReadAt on an os.File (kind
// "os") or an aio.File (kind "aio", on backend or NewFile's default,
// with a pool of workers workers unless 0).
func runCold(tb testing.TB, kind string, goroutines, reads int, name, backend string, workers int) coldResult {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestColdChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d %d %s %s %d", coldChildEnv, kind, goroutines, reads, name, backend, workers))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("cold child %s: %v", kind, err)
	}
	var res coldResult
	if err := json.Unmarshal(out, &res); err != nil {
		tb.Fatalf("cold child %s said %q: %v", kind, out, err)
	}
	return res
}

// coldChild reads as runCold says, after dropping the file from the
// page cache (POSIX_FADV_DONTNEED).
func coldChild(args []string) (coldResult, error) {
	if len(args) < 4 {
		return coldResult{}, fmt.Errorf("bad job %q", args)
	}
	kind, name := args[0], args[3]
	goroutines, _ := strconv.Atoi(args[1])
	reads, _ := strconv.Atoi(args[2])
	backend, workers := "", 0
	if len(args) > 5 {
		backend = args[4]
		workers, _ = strconv.Atoi(args[5])
	}
	osf, err := os.Open(name)
	if err != nil {
		return coldResult{}, err
	}
	st, err := osf.Stat()
	if err != nil {
		return coldResult{}, err
	}
	if err := dropPageCache(osf); err != nil {
		return coldResult{}, err
	}
	// No readahead: each read brings its own block from the disk, not
	// the neighbours later reads would then find in memory.
	if err := unix.Fadvise(int(osf.Fd()), 0, 0, unix.FADV_RANDOM); err != nil {
		return coldResult{}, fmt.Errorf("posix_fadvise(RANDOM): %w", err)
	}
	var r io.ReaderAt = osf
	res := coldResult{GOMAXPROCS: runtime.GOMAXPROCS(0), Backend: "os.File"}
	if kind == "aio" {
		var opts []Option
		if backend != "" {
			opts = append(opts, WithBackend(backend))
		}
		if workers > 0 {
			opts = append(opts, WithWorkers(workers))
		}
		f, err := NewFile(osf, opts...)
		if err != nil {
			return coldResult{}, err
		}
		defer f.Close()
		r, res.Backend = f, f.e.Backend()
	}
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { // the peak thread count, sampled while the reads run
		defer close(sampled)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			peak.Store(max(peak.Load(), int64(procStatus("Threads:"))))
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	per := max(reads/goroutines, 1)
	blocks := st.Size() / 4096
	var wg sync.WaitGroup
	var failed atomic.Value
	t0, cpu0 := time.Now(), benchfile.CPUTime()
	for g := range goroutines {
		wg.Go(func() {
			buf := make([]byte, 4096)
			rnd := benchfile.NewRand(uint64(g) + 1)
			for range per {
				if n, err := r.ReadAt(buf, rnd.Block(blocks*4096, 4096)); n != len(buf) {
					failed.Store(fmt.Errorf("ReadAt = %d, %v", n, err))
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(t0), benchfile.CPUTime()-cpu0
	close(stop)
	<-sampled
	if err, _ := failed.Load().(error); err != nil {
		return coldResult{}, err
	}
	res.Reads = int64(per * goroutines)
	res.Seconds = elapsed.Seconds()
	res.CPUNS = float64(cpu) / float64(res.Reads)
	res.Threads = int(max(peak.Load(), int64(procStatus("Threads:"))))
	res.RSSKiB = procStatus("VmHWM:")
	return res, nil
}

// dropPageCache drops f's pages from the page cache. Only the file's:
// /proc/sys/vm/drop_caches would empty the whole machine's cache under
// every other program (and benchmark) running beside this one, and the
// advice does what the measurement needs for a file whose pages are
// clean (the parent checks it with mincore, dropCache).
func dropPageCache(f *os.File) error {
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		return fmt.Errorf("posix_fadvise(DONTNEED): %w", err)
	}
	return nil
}

// procStatus reads a number field (Threads:, VmHWM: in kB) of
// /proc/self/status, or 0.
func procStatus(field string) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field); ok {
			n, _ := strconv.Atoi(strings.Fields(rest)[0])
			return n
		}
	}
	return 0
}

// C21: 1024 goroutines calling aio.File.ReadAt on a file not in memory
// hold few OS threads: the process's peak thread count stays within
// GOMAXPROCS+16, where os.File would hold one thread per blocked read.
// On io_uring the waiting calls park in the scheduler. Elsewhere a
// buffered read that misses the cache holds a thread in the kernel, its
// own in a worker's place or a worker's (C16), so the pool's size bounds
// them: with 16 workers, GOMAXPROCS+16 more.
func TestFileFewThreadsCold(t *testing.T) {
	if testing.Short() {
		t.Skip("C21 reads a file from the disk")
	}
	name := t.TempDir() + "/cold"
	data := make([]byte, 64<<20)
	for i := range data {
		data[i] = byte(i >> 12)
	}
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	dropCache(t, f) // skips where the file system keeps the pages (tmpfs)
	f.Close()
	for _, be := range backendsByRank() {
		t.Run(be.name, func(t *testing.T) {
			if err := be.available(); err != nil {
				t.Skipf("backend %s unavailable here: %v", be.name, err)
			}
			workers, what := 0, "GOMAXPROCS+16"
			if be.name != "uring" {
				// Buffered reads of a cold file wait in the kernel
				// without a thread only on io_uring.
				workers, what = 16, "GOMAXPROCS+16 and 16 workers"
			}
			res := runCold(t, "aio", coldGoroutines, 2*coldGoroutines, name, be.name, workers)
			t.Logf("%s: %d reads in %.2fs, %.0f ns CPU per read, peak %d threads, peak RSS %d KiB",
				res.Backend, res.Reads, res.Seconds, res.CPUNS, res.Threads, res.RSSKiB)
			if bound := res.GOMAXPROCS + 16 + workers; res.Threads > bound {
				t.Fatalf("C21: 1024 goroutines reading a cold file through aio.File on %s peaked at %d threads; want at most %s = %d",
					res.Backend, res.Threads, what, bound)
			}
		})
	}
}
