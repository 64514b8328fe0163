package fuseraw

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// The benchmarks run devfs's C client (devfs/testdata/fbench.c: blocking
// read(2)/write(2) from two processes) against a kernel FIFO and against
// pipeFS over each transport, in the same run, so the ratios are what the
// numbers mean. Besides the client's own clock they report context
// switches and CPU time per operation, of this process (the server: every
// thread) and of the client processes, from getrusage.

// BenchmarkTransfer64KiB moves data in 64 KiB writes and reads from one
// process to another through a FIFO (64 KiB pipe buffer) and through a
// pipeFS file with a 1 MiB ring.
func BenchmarkTransfer64KiB(b *testing.B) {
	const bs = 64 << 10
	fbench := buildFbench(b)
	b.Run("fifo", func(b *testing.B) {
		f := mkfifo(b, "f")
		transfer(b, fbench, f, f, bs)
	})
	for _, tr := range []Transport{Classic, URing} {
		b.Run(tr.String(), func(b *testing.B) {
			s, _ := mountPipes(b, tr, 1, 1<<20)
			p := filepath.Join(s.Dir, "p0")
			transfer(b, fbench, p, p, bs)
		})
	}
}

// BenchmarkPing1B measures one-byte round trips between two processes
// over two FIFOs and over two pipeFS files; an op is one round trip.
func BenchmarkPing1B(b *testing.B) {
	fbench := buildFbench(b)
	b.Run("fifo", func(b *testing.B) {
		ping(b, fbench, mkfifo(b, "a"), mkfifo(b, "b"))
	})
	for _, tr := range []Transport{Classic, URing} {
		b.Run(tr.String(), func(b *testing.B) {
			s, _ := mountPipes(b, tr, 2, 4096)
			ping(b, fbench, filepath.Join(s.Dir, "p0"), filepath.Join(s.Dir, "p1"))
		})
	}
}

var fbenchOnce struct {
	sync.Once
	path string
	err  error
}

// buildFbench compiles devfs/testdata/fbench.c once per test binary.
func buildFbench(b *testing.B) string {
	b.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		b.Skip("skipping: gcc not found (apt-get install gcc)")
	}
	fbenchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fuseraw-fbench")
		if err != nil {
			fbenchOnce.err = err
			return
		}
		fbenchOnce.path = filepath.Join(dir, "fbench")
		out, err := exec.Command("gcc", "-O2", "-Wall", "-o", fbenchOnce.path,
			filepath.Join("..", "..", "devfs", "testdata", "fbench.c")).CombinedOutput()
		if err != nil {
			fbenchOnce.err = fmt.Errorf("gcc fbench.c: %v\n%s", err, out)
		}
	})
	if fbenchOnce.err != nil {
		b.Fatal(fbenchOnce.err)
	}
	return fbenchOnce.path
}

func mkfifo(b *testing.B, name string) string {
	p := filepath.Join(b.TempDir(), name)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		b.Fatal(err)
	}
	return p
}

// usage is what getrusage says of this process and of its reaped children.
type usage struct{ self, children syscall.Rusage }

func getUsage(b *testing.B) (u usage) {
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u.self); err != nil {
		b.Fatal(err)
	}
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &u.children); err != nil {
		b.Fatal(err)
	}
	return u
}

func cpuNs(r *syscall.Rusage) float64 {
	return float64(r.Utime.Nano() + r.Stime.Nano())
}

func csw(r *syscall.Rusage) float64 { return float64(r.Nvcsw + r.Nivcsw) }

// report adds per-op context switches and CPU time of server and clients.
func (u usage) report(b *testing.B, before usage, ops int) {
	n := float64(ops)
	b.ReportMetric((csw(&u.self)-csw(&before.self))/n, "srv-csw/op")
	b.ReportMetric((csw(&u.children)-csw(&before.children))/n, "cli-csw/op")
	b.ReportMetric((cpuNs(&u.self)-cpuNs(&before.self))/n, "srv-cpu-ns/op")
	b.ReportMetric((cpuNs(&u.children)-cpuNs(&before.children))/n, "cli-cpu-ns/op")
}

func transfer(b *testing.B, fbench, w, r string, bs int) {
	b.SetBytes(int64(bs))
	before := getUsage(b)
	b.ResetTimer()
	out := runClient(b, fbench, "tput", w, r, strconv.Itoa(b.N*bs), strconv.Itoa(bs))
	b.StopTimer()
	getUsage(b).report(b, before, b.N)
	b.ReportMetric(float64(b.N*bs)/clientNs(b, out)*1e3, "client-MB/s")
}

func ping(b *testing.B, fbench, a, c string) {
	before := getUsage(b)
	b.ResetTimer()
	out := runClient(b, fbench, "ping", a, c, strconv.Itoa(b.N))
	b.StopTimer()
	getUsage(b).report(b, before, b.N)
	b.ReportMetric(clientNs(b, out)/float64(b.N), "client-ns/roundtrip")
}

func runClient(b *testing.B, name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		b.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func clientNs(b *testing.B, out string) float64 {
	f := strings.Fields(out)
	if len(f) != 2 || f[0] != "ns" {
		b.Fatalf("fbench said %q", out)
	}
	ns, err := strconv.ParseFloat(f[1], 64)
	if err != nil || ns <= 0 {
		b.Fatalf("fbench said %q", out)
	}
	return ns
}
