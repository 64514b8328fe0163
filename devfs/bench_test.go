package devfs_test

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The benchmarks run the same C client (testdata/fbench.c) against a
// kernel FIFO and against exported scullpipe devices, in the same run, so
// the ratio is what the numbers mean. Clients are separate processes doing
// blocking read(2)/write(2); the FUSE server is this test process.

// BenchmarkTransfer64KiB moves data in 64 KiB writes and reads from one
// process to another. The FIFO has Linux's default 64 KiB pipe buffer;
// scullpipe is measured at its default size (4000), at 64 KiB and at 1
// MiB, because a transfer moves at most the free contiguous room of the
// ring per request.
func BenchmarkTransfer64KiB(b *testing.B) {
	const bs = 64 << 10
	fbench := cclient(b, "fbench")
	b.Run("fifo", func(b *testing.B) {
		f := mkfifo(b, "f")
		transfer(b, fbench, f, f, bs)
	})
	for _, tr := range transports {
		for _, ring := range []int{4000, 64 << 10, 1 << 20} {
			b.Run(fmt.Sprintf("fuse-%v/ring=%d", tr, ring), func(b *testing.B) {
				e := mountScull(b, tr, 1, ring)
				transfer(b, fbench, e.dev(0), e.dev(0), bs)
			})
		}
	}
}

// BenchmarkPing1B measures one-byte round trips between two processes
// over two FIFOs, and over two exported devices; ns/op is one round trip
// (two one-way hops).
func BenchmarkPing1B(b *testing.B) {
	fbench := cclient(b, "fbench")
	b.Run("fifo", func(b *testing.B) {
		ping(b, fbench, mkfifo(b, "a"), mkfifo(b, "b"))
	})
	for _, tr := range transports {
		b.Run("fuse-"+tr.String(), func(b *testing.B) {
			e := mountScull(b, tr, 2, 4000)
			ping(b, fbench, e.dev(0), e.dev(1))
		})
	}
}

func mkfifo(b *testing.B, name string) string {
	p := filepath.Join(b.TempDir(), name)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		b.Fatal(err)
	}
	return p
}

// transfer runs fbench tput for b.N blocks of bs bytes. The timer covers
// the client's start-up too, which is negligible at the b.N the benchmark
// settles on; the client's own clock is reported beside it.
func transfer(b *testing.B, fbench, w, r string, bs int) {
	b.SetBytes(int64(bs))
	b.ResetTimer()
	out := run(b, fbench, "tput", w, r, strconv.Itoa(b.N*bs), strconv.Itoa(bs))
	b.StopTimer()
	ns := clientNs(b, out)
	b.ReportMetric(float64(b.N*bs)/ns*1e3, "client-MB/s")
}

func ping(b *testing.B, fbench, a, c string) {
	b.ResetTimer()
	out := run(b, fbench, "ping", a, c, strconv.Itoa(b.N))
	b.StopTimer()
	b.ReportMetric(clientNs(b, out)/float64(b.N), "client-ns/roundtrip")
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
