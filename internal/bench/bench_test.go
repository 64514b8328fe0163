package bench

import (
	"strings"
	"testing"
	"time"
)

// C13: the histogram's percentiles land within its bucket precision (~3%).
func TestLatHist(t *testing.T) {
	var h Hist
	for v := int64(1); v <= 100000; v++ {
		h.Add(v * 10) // 10 ns .. 1 ms, uniform
	}
	for _, c := range []struct {
		p    float64
		want float64
	}{{0.5, 500000}, {0.99, 990000}, {0.01, 10000}} {
		got := float64(h.Percentile(c.p))
		if got < c.want*0.96 || got > c.want*1.04 {
			t.Errorf("percentile(%v) = %v, want about %v", c.p, got, c.want)
		}
	}
	if m := h.Mean(); m < 500000*0.99 || m > 500010*1.01 {
		t.Errorf("mean %v, want about 500005", m)
	}
	for v := int64(0); v < 1<<40; v = v*3 + 1 {
		if b := histBucket(v); histValue(b) > v*2+16 || histValue(b) < v/2 {
			t.Errorf("value %d: bucket %d stands for %d", v, b, histValue(b))
		}
	}
}

// C13: fio's JSON is read from the job's direction, after any warning lines.
func TestParseFio(t *testing.T) {
	out := []byte(`fio: some warning
{"jobs":[{"error":0,
 "read":{"iops":723456.5,"bw_bytes":2963271680,"total_ios":7234565,"runtime":10000,
  "clat_ns":{"mean":40123.5,"percentile":{"50.000000":38144,"99.000000":67072}}},
 "write":{"iops":0,"bw_bytes":0,"total_ios":0,"runtime":0,"clat_ns":{"mean":0}}}]}`)
	r, err := ParseFio(out, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.IOPS != 723456.5 || r.BWBytes != 2963271680 || r.Clat.P50 != 38144 || r.Clat.P99 != 67072 || r.RuntimeNS != 10e9 {
		t.Fatalf("parsed %+v", r)
	}
	// With --lat_percentiles fio reports lat_ns, the span the other rows
	// measure: it is taken over clat_ns.
	withLat := []byte(`{"jobs":[{"error":0,"read":{"iops":1000,"total_ios":1000,"runtime":1000,
  "clat_ns":{"mean":400,"percentile":{"50.000000":380,"99.000000":900}},
  "lat_ns":{"mean":31000,"percentile":{"50.000000":28288,"99.000000":48384}}}}]}`)
	if r, err := ParseFio(withLat, true); err != nil || r.Clat.P50 != 28288 || r.Clat.P99 != 48384 || r.Clat.Mean != 31000 {
		t.Fatalf("lat_ns not taken: %+v, %v", r.Clat, err)
	}
	if _, err := ParseFio([]byte(`{"jobs":[{"error":5}]}`), true); err == nil {
		t.Fatal("a job error was not reported")
	}
	job := &Job{RW: "randread", BS: 4096, Size: 1 << 30, IODepth: 32, Runtime: 10 * time.Second, Filename: "/f"}
	args := strings.Join(FioArgs(job, FioConfigs(32)[3]), " ")
	for _, want := range []string{"--lat_percentiles=1", "--iomem_align=4096", "--fixedbufs=1", "--iodepth_batch_submit=32", "--direct=0", "--invalidate=0", "--runtime=10s", "--bs=4096"} {
		if !strings.Contains(args, want) {
			t.Errorf("fio arguments %q lack %q", args, want)
		}
	}
}

// C13: a row's median: the middle run, or the mean of the two middle ones.
func TestMedianOfRuns(t *testing.T) {
	rs := []Result{{IOPS: 5, BWBytes: 50}, {IOPS: 1, BWBytes: 10}, {IOPS: 3, BWBytes: 30}}
	if m := Median(rs); m.IOPS != 3 || m.BWBytes != 30 || len(m.IOPSRuns) != 3 || m.IOPSRuns[0] != 5 {
		t.Fatalf("median of 3: %+v", m)
	}
	if m := Median(rs[:2]); m.IOPS != 3 || m.BWBytes != 30 {
		t.Fatalf("median of 2: %+v", m)
	}
}
