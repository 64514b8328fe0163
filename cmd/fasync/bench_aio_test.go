package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fasync-go/fasync/internal/bench"
	"github.com/fasync-go/fasync/internal/uring"
)

// C13: `fasync bench aio` runs briefly on each engine and reports the
// JSON fields it promises, with I/O actually done.
func TestBenchAIOJSON(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		engine string
		rw     string
		direct bool
		fixed  bool
		extra  []string
	}{
		{"uring", "randread", false, false, nil},
		{"uring", "randwrite", false, false, nil},
		{"uring", "read", true, false, nil},
		{"threads", "randread", false, false, nil},
		{"goroutines", "randread", false, false, nil},
		{"uring", "randread-listio", false, false, nil},
		{"uring", "randread", true, true, nil},
		{"uring", "randwrite", false, true, nil},
		{"threads", "randread", false, true, nil},
		{"uring", "randread", false, false, []string{"--notify", "inline", "--registerfiles"}},
		{"uring", "randwrite", true, true, []string{"--notify", "inline", "--registerfiles"}},
		{"threads", "randread", false, false, []string{"--notify", "inline", "--registerfiles"}},
		{"uring", "randread", true, true, []string{"--notify", "inline", "--registerfiles", "--ringthreads", "--rings", "1"}},
		// C16: aio.File driven by IODEPTH goroutines, on both backends.
		{"file", "randread", false, false, nil},
		{"file", "randread", true, false, nil},
		{"file", "randwrite", true, false, []string{"--fsync", "4"}},
		{"file-threads", "randread", false, false, nil},
		{"file-threads", "randwrite", false, false, []string{"--fsync", "3"}},
		{"goroutines", "randwrite", false, false, []string{"--fsync", "5"}},
	} {
		name := tc.engine + "/" + tc.rw
		if tc.direct {
			name += "/direct"
		}
		if tc.fixed {
			name += "/fixedbufs"
		}
		if len(tc.extra) > 0 {
			name += "/" + strings.Join(tc.extra, "")
		}
		t.Run("C13/"+name, func(t *testing.T) {
			if tc.engine == "uring" || tc.engine == "file" {
				if err := uring.Available(); err != nil {
					t.Skipf("io_uring unavailable: %v", err)
				}
			}
			rw, batch := tc.rw, "0"
			if rw == "randread-listio" {
				rw, batch = "randread", "4"
			}
			args := []string{"--engine", tc.engine, "--rw", rw, "--batch", batch, "--size", "8m", "--runtime", "300ms",
				"--iodepth", "8", "--filename", filepath.Join(dir, "data"), "--json"}
			if tc.direct {
				args = append(args, "--direct=1")
			}
			if tc.fixed {
				args = append(args, "--fixedbufs")
			}
			args = append(args, tc.extra...)
			var stdout, stderr bytes.Buffer
			if code := benchAIO(args, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d, stderr: %s", code, stderr.String())
			}
			var rep map[string]any
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
			}
			checkResultJSON(t, rep)
			if name, _ := rep["name"].(string); tc.fixed != strings.Contains(name, "fixedbufs") {
				t.Errorf("row name %q with --fixedbufs %t", name, tc.fixed)
			}
			if !strings.Contains(stderr.String(), "done in") {
				t.Errorf("no progress line on stderr: %q", stderr.String())
			}
		})
	}
}

// checkResultJSON checks the fields issue 3 names: iops, bw_bytes,
// clat_ns.p50 and clat_ns.p99, all positive.
func checkResultJSON(t *testing.T, rep map[string]any) {
	t.Helper()
	for _, k := range []string{"iops", "bw_bytes"} {
		if v, ok := rep[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", k, rep[k])
		}
	}
	clat, ok := rep["clat_ns"].(map[string]any)
	if !ok {
		t.Fatalf("clat_ns = %v, want an object", rep["clat_ns"])
	}
	for _, k := range []string{"p50", "p99"} {
		if v, ok := clat[k].(float64); !ok || v <= 0 {
			t.Errorf("clat_ns.%s = %v, want a positive number", k, clat[k])
		}
	}
	if clat["p50"].(float64) > clat["p99"].(float64) {
		t.Errorf("p50 %v above p99 %v", clat["p50"], clat["p99"])
	}
}

// C13: --compare runs the other engines and, with fio installed, fio's
// configurations, and gives each a ratio.
func TestBenchAIOCompare(t *testing.T) {
	if err := uring.Available(); err != nil {
		t.Skipf("io_uring unavailable: %v", err)
	}
	_, fioErr := exec.LookPath("fio")
	if fioErr != nil {
		t.Logf("fio not installed: the comparison runs without it")
	}
	args := []string{"--size", "8m", "--runtime", "150ms", "--iodepth", "4", "--rounds", "2",
		"--filename", filepath.Join(t.TempDir(), "data"), "--compare", "--json"}
	var stdout, stderr bytes.Buffer
	if code := benchAIO(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, stderr.String())
	}
	var rep struct {
		IOPS     float64   `json:"iops"`
		IOPSRuns []float64 `json:"iops_runs"`
		Compare  []struct {
			Name     string    `json:"name"`
			IOPS     float64   `json:"iops"`
			IOPSRuns []float64 `json:"iops_runs"`
			Ratio    float64   `json:"ratio"`
			Err      string    `json:"error"`
		} `json:"compare"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
	}
	want := map[string]bool{"goroutines x4 ReadAt": false, "fasync aio (threads, 4 workers)": false}
	if fioErr == nil {
		for _, c := range bench.FioConfigs(4) {
			want[c.Name] = false
		}
	}
	for _, c := range rep.Compare {
		if _, ok := want[c.Name]; ok {
			want[c.Name] = true
		}
		if c.Err != "" && fioErr == nil {
			t.Errorf("%s: %s", c.Name, c.Err)
		}
		if c.Err == "" && (c.IOPS <= 0 || c.Ratio <= 0 || len(c.IOPSRuns) != 2) {
			t.Errorf("%s: iops %v ratio %v runs %v, want positive and two runs", c.Name, c.IOPS, c.Ratio, c.IOPSRuns)
		}
	}
	if len(rep.IOPSRuns) != 2 {
		t.Errorf("engine runs %v, want two (--rounds 2)", rep.IOPSRuns)
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("comparison has no row %q", name)
		}
	}
	// And the table form prints the same rows.
	var table bytes.Buffer
	args = append(args[:len(args)-1], "--rounds", "1")
	if code := benchAIO(args, &table, &bytes.Buffer{}); code != 0 || !strings.Contains(table.String(), "ours/x") {
		t.Fatalf("table output (exit %d):\n%s", code, table.String())
	}
}

// C16: --compare with --engine file puts aio.File beside the goroutines
// calling os.File, the Engine's rows (its fastest, SIGEV_INLINE on a
// registered file, among them) and File on the thread pool; with --fsync
// only the rows that issue fsyncs run.
func TestBenchAIOCompareFile(t *testing.T) {
	if err := uring.Available(); err != nil {
		t.Skipf("io_uring unavailable: %v", err)
	}
	for _, tc := range []struct {
		extra []string
		want  []string
		never string
	}{
		{nil, []string{"goroutines x4 ReadAt", fmt.Sprintf("fasync aio inline registerfiles (io_uring, %d rings)", runtime.NumCPU()), "aio.File x4 ReadAt (threads, 4 workers)"}, ""},
		{[]string{"--rw", "randwrite", "--fsync", "2"}, []string{"goroutines x4 WriteAt", "aio.File x4 WriteAt (threads, 4 workers)"}, "fasync aio"},
	} {
		args := append([]string{"--engine", "file", "--size", "8m", "--runtime", "100ms", "--iodepth", "4", "--rounds", "1",
			"--filename", filepath.Join(t.TempDir(), "data"), "--compare", "--json"}, tc.extra...)
		var stdout, stderr bytes.Buffer
		if code := benchAIO(args, &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d, stderr: %s", tc.extra, code, stderr.String())
		}
		var rep struct {
			Name    string `json:"name"`
			Compare []struct {
				Name string `json:"name"`
				Err  string `json:"error"`
			} `json:"compare"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
		}
		if !strings.HasPrefix(rep.Name, "aio.File x4") {
			t.Errorf("first row %q, want the aio.File row", rep.Name)
		}
		names := map[string]bool{}
		for _, c := range rep.Compare {
			names[c.Name] = true
			if tc.never != "" && strings.HasPrefix(c.Name, tc.never) {
				t.Errorf("%v: row %q, which issues no fsyncs", tc.extra, c.Name)
			}
		}
		for _, w := range tc.want {
			if !names[w] {
				t.Errorf("%v: no row %q among %v", tc.extra, w, names)
			}
		}
	}
}

// Bad flags are a usage error (exit 2) naming the flag, never a panic.
func TestBenchAIOBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--rw", "trim"},
		{"--engine", "spdk"},
		{"--bs", "0"},
		{"--bs", "4x"},
		{"--size", "1k", "--bs", "4k"},
		{"--runtime", "soon"},
		{"--iodepth", "0"},
		{"--direct=1", "--bs", "1000"},
		{"--rings", "-1"},
		{"--batch", "3"},
		{"--compare", "--rounds", "0"},
		{"--batch", "-1"},
		{"--notify", "signal"},
		{"--fsync", "4"},                      // a read job
		{"--rw", "randwrite", "--fsync", "4"}, // the Engine issues no fsyncs here
		{"--rw", "randwrite", "--engine", "file", "--fsync", "-1"},
		{"--no-such-flag"},
	} {
		var stderr bytes.Buffer
		if code := benchAIO(args, &bytes.Buffer{}, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, stderr.String())
		}
	}
}

func TestParseSizeAndRuntime(t *testing.T) {
	sizes := map[string]int64{"4k": 4096, "4K": 4096, "4KiB": 4096, "1m": 1 << 20, "1g": 1 << 30, "512": 512, "2kb": 2048}
	for in, want := range sizes {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
		if in == "512" || strings.HasSuffix(in, "k") || strings.HasSuffix(in, "m") || strings.HasSuffix(in, "g") {
			if back, _ := parseSize(formatSize(want)); back != want {
				t.Errorf("formatSize(%d) = %q does not parse back", want, formatSize(want))
			}
		}
	}
	for _, bad := range []string{"", "k", "-1", "1q", "99999999999g"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) succeeded", bad)
		}
	}
	rts := map[string]time.Duration{"10": 10 * time.Second, "1.5": 1500 * time.Millisecond, "300ms": 300 * time.Millisecond, "2m": 2 * time.Minute}
	for in, want := range rts {
		if got, err := parseRuntime(in); err != nil || got != want {
			t.Errorf("parseRuntime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}
