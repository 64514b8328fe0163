package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasync-go/fasync/internal/bench"
	"github.com/fasync-go/fasync/internal/linuxaio"
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
		// C19: the Engine and aio.File on native AIO (forced in-process:
		// the test binary is not fasync, which refuses io_uring to a
		// child for these rows; see TestBenchAIORefusedURing).
		{"linuxaio", "randread", true, false, nil},
		{"linuxaio", "randread", false, false, []string{"--notify", "inline"}},
		{"linuxaio", "randread-listio", true, false, nil},
		{"file-linuxaio", "randread", true, false, nil},
		{"file-linuxaio", "randwrite", true, false, []string{"--fsync", "4"}},
		{"file-linuxaio", "randwrite", false, false, nil},
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
			if strings.HasSuffix(tc.engine, "linuxaio") {
				if err := linuxaio.Available(); err != nil {
					t.Skipf("native AIO unavailable: %v", err)
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

// checkXML fails unless doc is well-formed XML.
func checkXML(t *testing.T, doc []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
	}
}

// checkResultJSON checks the fields a fio user compares: iops, bw_bytes,
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
	svg := filepath.Join(t.TempDir(), "chart.svg")
	args := []string{"--size", "8m", "--runtime", "150ms", "--iodepth", "4", "--rounds", "2",
		"--filename", filepath.Join(t.TempDir(), "data"), "--svg", svg, "--compare", "--json"}
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
	// H5: the chart has every row, in its two panels.
	chart, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	checkXML(t, chart)
	for _, c := range rep.Compare {
		if n := bytes.Count(chart, []byte(">"+c.Name+"</text>")); n != 2 {
			t.Errorf("chart labels row %q %d times, want 2 (IOPS and latency)", c.Name, n)
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

// C19: with --engine file-linuxaio, fasync runs the native-AIO rows in a
// child process whose seccomp filter refuses io_uring with EPERM, as a
// container's default profile does; the Engine there falls to linuxaio by
// itself and the row says why. The comparison leaves io_uring out (the
// engines and fio's configurations on it) and keeps the thread pool,
// os.File and fio's libaio.
func TestBenchAIORefusedURing(t *testing.T) {
	if err := linuxaio.Available(); err != nil {
		t.Skipf("native AIO unavailable: %v", err)
	}
	bin := buildFasync(t)
	stdout, stderr, code := run(t, bin, "bench", "aio", "--engine", "file-linuxaio", "--direct", "--size", "8m", "--runtime", "100ms",
		"--iodepth", "4", "--rounds", "1", "--filename", filepath.Join(t.TempDir(), "data"), "--compare", "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, stderr)
	}
	var rep struct {
		Name    string `json:"name"`
		Compare []struct {
			Name string `json:"name"`
			Err  string `json:"error"`
		} `json:"compare"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	if want := "aio.File x4 ReadAt (linuxaio, depth 4; uring refused: EPERM)"; rep.Name != want {
		t.Errorf("C19: first row %q, want %q", rep.Name, want)
	}
	names := map[string]bool{}
	for _, c := range rep.Compare {
		names[c.Name] = true
		if strings.Contains(c.Name, "io_uring") {
			t.Errorf("C19: row %q with io_uring refused", c.Name)
		}
		if c.Err != "" {
			t.Errorf("C19: row %q: %s", c.Name, c.Err)
		}
	}
	want := []string{"fasync aio (linuxaio, depth 4; uring refused: EPERM)", "goroutines x4 ReadAt", "fasync aio (threads, 4 workers)"}
	if _, err := exec.LookPath("fio"); err == nil {
		want = append(want, "fio libaio batched")
	}
	for _, w := range want {
		if !names[w] {
			t.Errorf("C19: no row %q among %v", w, names)
		}
	}
}

// H4: bad flags are a usage error (exit 2) naming the flag and what it
// accepts, never a panic, and lay out no file.
func TestBenchAIOBadFlags(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "cache.dat")
	t.Setenv("FASYNC_BENCH_FILE", cache)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--rw", "trim"}, "--rw"},
		{[]string{"--engine", "spdk"}, "--engine \"spdk\": want goroutines, uring, threads, file, file-threads, linuxaio or file-linuxaio"},
		{[]string{"--bs", "0"}, "flag -bs: 0 B is outside 1 B to 64 MiB"},
		{[]string{"--bs", "4x"}, "-bs"},
		{[]string{"--bs", "65m"}, "flag -bs: 65 MiB is outside 1 B to 64 MiB"},
		{[]string{"--size", "1k", "--bs", "4k"}, "--size 1024: want at least one block, --bs 4096"},
		{[]string{"--size", "-1"}, "-size"},
		{[]string{"--runtime", "soon"}, "--runtime"},
		{[]string{"--runtime", "-3"}, "--runtime"},
		{[]string{"--iodepth", "0"}, "--iodepth 0: want 1 to 4096"},
		{[]string{"--iodepth", "5000"}, "--iodepth"},
		{[]string{"--direct=1", "--bs", "1000"}, "--direct"},
		{[]string{"--rings", "-1"}, "--rings"},
		{[]string{"--batch", "3"}, "--batch 3: want 0 or a divisor of --iodepth 32"},
		{[]string{"--batch", "-1"}, "--batch"},
		{[]string{"--compare", "--rounds", "0"}, "--rounds 0: want 1 to 1000"},
		{[]string{"--notify", "signal"}, "--notify"},
		{[]string{"--fsync", "4"}, "--fsync 4: want 0, or a positive count with a write job"},
		{[]string{"--rw", "randwrite", "--fsync", "4"}, "--fsync: engine uring does not issue fsyncs"},
		{[]string{"--rw", "randwrite", "--engine", "file", "--fsync", "-1"}, "--fsync -1"},
		{[]string{"--svg", "x.svg"}, "--svg"},
		{[]string{"--no-such-flag"}, "no-such-flag"},
		{[]string{"randread"}, "takes no arguments"},
	} {
		var stderr bytes.Buffer
		if code := benchAIO(tc.args, &bytes.Buffer{}, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q in stderr %q", tc.args, code, tc.want, stderr.String())
		}
	}
	if _, err := os.Stat(cache); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused command line laid out the cache file: %v", err)
	}
}

// H1: --filename is refused, before anything is written, when it is not
// a regular file, and when it is a file fasync did not lay out that the
// job would grow or write without --grow or --overwrite.
func TestBenchAIOFilenameRefusals(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "small")
	mine := bytes.Repeat([]byte("x"), 1000)
	if err := os.WriteFile(small, mine, 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	bigData := bytes.Repeat([]byte("user data\n"), 110<<10) // over 1 MiB
	if err := os.WriteFile(big, bigData, 0o644); err != nil {
		t.Fatal(err)
	}
	run := []string{"--size", "1m", "--runtime", "100ms", "--iodepth", "2", "--engine", "goroutines"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"/dev/null", []string{"--filename", "/dev/null"}, "character device, not a regular file"},
		{"fifo", []string{"--filename", fifo}, "FIFO, not a regular file"},
		{"/proc/version", []string{"--filename", "/proc/version"}, "pseudo file system"},
		{"directory", []string{"--filename", dir}, "directory"},
		{"small-user-file", []string{"--filename", small}, "--grow"},
		{"write-to-user-file", []string{"--filename", big, "--rw", "randwrite"}, "--overwrite"},
	} {
		t.Run("H1/"+tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := benchAIO(append(slices.Clone(run), tc.args...), &bytes.Buffer{}, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, want 2 and %q in stderr %q", code, tc.want, stderr.String())
			}
			if strings.Contains(stderr.String(), "laying out") {
				t.Errorf("laid out before refusing: %q", stderr.String())
			}
		})
	}
	for name, want := range map[string][]byte{small: mine, big: bigData} {
		if got, _ := os.ReadFile(name); !bytes.Equal(got, want) {
			t.Errorf("%s changed (%d bytes)", name, len(got))
		}
	}
	t.Run("H1/read-of-a-big-user-file", func(t *testing.T) {
		var stderr bytes.Buffer
		if code := benchAIO(append(slices.Clone(run), "--filename", big), &bytes.Buffer{}, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	})
	t.Run("H1/grow-with-leave", func(t *testing.T) {
		var stderr bytes.Buffer
		if code := benchAIO(append(slices.Clone(run), "--filename", small, "--grow"), &bytes.Buffer{}, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		if st, err := os.Stat(small); err != nil || st.Size() != 1<<20 {
			t.Errorf("after --grow: %v, %v", st.Size(), err)
		}
	})
}

// H2: without --filename the job uses the one cache file whatever the
// block size (no second file for --bs 3), says where it is, and --clean
// removes it, refusing a file fasync did not lay out.
func TestBenchAIOCacheFile(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache.dat")
	t.Setenv("FASYNC_BENCH_FILE", cache)
	for _, bs := range []string{"4k", "3"} {
		var stderr bytes.Buffer
		args := []string{"--size", "2m", "--bs", bs, "--runtime", "100ms", "--iodepth", "2", "--engine", "goroutines"}
		if code := benchAIO(args, &bytes.Buffer{}, &stderr); code != 0 {
			t.Fatalf("--bs %s: exit %d: %s", bs, code, stderr.String())
		}
		if !strings.Contains(stderr.String(), "data file "+cache+", kept") {
			t.Errorf("--bs %s: stderr does not say where the data file is: %q", bs, stderr.String())
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != 1 {
		t.Fatalf("files in the cache directory: %v, %v; want the cache file alone", ents, err)
	}
	var stdout, stderr bytes.Buffer
	if code := benchAIO([]string{"--clean"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "removed "+cache+" (2 MiB)") {
		t.Fatalf("--clean: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	if _, err := os.Stat(cache); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("cache file still there: %v", err)
	}
	stdout.Reset()
	if code := benchAIO([]string{"--clean"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "no data file") {
		t.Errorf("--clean with no file: exit %d, stdout %q", code, stdout.String())
	}
	user := filepath.Join(dir, "user")
	if err := os.WriteFile(user, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := benchAIO([]string{"--clean", "--filename", user}, &bytes.Buffer{}, &stderr); code != 1 || !strings.Contains(stderr.String(), "not laid out by fasync") {
		t.Errorf("--clean of a user's file: exit %d, stderr %q", code, stderr.String())
	}
	if got, _ := os.ReadFile(user); string(got) != "keep me" {
		t.Errorf("--clean touched the user's file: %q", got)
	}
}

func TestParseRuntime(t *testing.T) {
	rts := map[string]time.Duration{"10": 10 * time.Second, "1.5": 1500 * time.Millisecond, "300ms": 300 * time.Millisecond, "2m": 2 * time.Minute}
	for in, want := range rts {
		if got, err := parseRuntime(in); err != nil || got != want {
			t.Errorf("parseRuntime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}
