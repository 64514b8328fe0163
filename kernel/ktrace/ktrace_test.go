package ktrace

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fasync-go/fasync/kernel"
)

// asynctestTrace and asynctestSVG are the README's diagram and the trace
// it was drawn from, both written by one run of
//
//	fasync demo --scenes 1 --trace docs/asynctest.svg --trace docs/asynctest.trace
var (
	asynctestTrace = filepath.Join("..", "..", "docs", "asynctest.trace")
	asynctestSVG   = filepath.Join("..", "..", "docs", "asynctest.svg")
)

// liveTrace runs a small fasync scenario on a traced kernel: a reader
// arms FASYNC with F_SETSIG, writes to its own device and its handler
// runs.
func liveTrace(tb testing.TB) *Trace {
	tb.Helper()
	k := kernel.New(kernel.Config{})
	defer k.Close()
	tr := kernel.NewTracer(0)
	k.Trace(tr)
	if err := k.Register("dev", &loopDev{}); err != nil {
		tb.Fatal(err)
	}
	t := k.NewTask("reader", kernel.Cred{})
	if _, err := t.Sigaction(kernel.SIGRTMIN, kernel.Sigaction{Handler: func(*kernel.Task, *kernel.SigInfo) {}}); err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	fd, err := t.Open(ctx, "dev", kernel.O_RDWR)
	if err != nil {
		tb.Fatal(err)
	}
	for _, c := range [][2]int{{kernel.F_SETOWN, t.Pid()}, {kernel.F_SETSIG, kernel.SIGRTMIN}, {kernel.F_SETFL, kernel.O_RDWR | kernel.FASYNC}} {
		if _, err := t.Fcntl(fd, c[0], c[1]); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := t.Write(ctx, fd, []byte("hello, world")); err != nil {
		tb.Fatal(err)
	}
	return FromTracer(tr)
}

// loopDev is a device whose every write notifies its asynchronous
// readers with POLL_IN.
type loopDev struct{ async kernel.FasyncList }

func (d *loopDev) Write(ctx context.Context, f *kernel.File, p []byte) (int, error) {
	_ = d.async.Kill(kernel.SIGIO, kernel.POLL_IN)
	return len(p), nil
}

func (d *loopDev) Fasync(fd int, f *kernel.File, on bool) error {
	_, err := d.async.Helper(fd, f, on)
	return err
}

// TestTextRoundTrip: the text rendering reads back as the same trace,
// and writes again as the same bytes (X2).
func TestTextRoundTrip(t *testing.T) {
	tr := liveTrace(t)
	tr.Dropped = 7
	var text bytes.Buffer
	if err := tr.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	back, err := Parse(bytes.NewReader(text.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, tr) {
		t.Errorf("parsed trace differs:\n%+v\nwant\n%+v", back, tr)
	}
	var again bytes.Buffer
	if err := back.WriteText(&again); err != nil {
		t.Fatal(err)
	}
	if again.String() != text.String() {
		t.Errorf("text differs after a round trip:\n%s\nwant\n%s", again.String(), text.String())
	}
	for _, want := range []string{
		"# entries-in-buffer/entries-written: ",
		"reader-1       (      1) [000]",
		": fasync_helper: fd=0 file=dev on=1 result=added entries=1",
		": send_sigio: fd=0 file=dev owner=pid:1 comm=reader pid=1 tid=1 sig=SIGRTMIN code=POLL_IN band=POLLIN|POLLRDNORM verdict=allowed",
		": signal_deliver: sig=SIGRTMIN code=POLL_IN si_fd=0 si_band=POLLIN|POLLRDNORM action=handler sa_flags=0x0",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
}

// TestParseErrors: a line that is not an event is an error naming its
// line; quoted values keep their spaces (X2).
func TestParseErrors(t *testing.T) {
	if _, err := Parse(strings.NewReader("# header\nnot an event\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("Parse of a bad line: %v, want an error naming line 2", err)
	}
	line := `            a b-3       (      3) [000]      0.000010: sys_exit: call=pause ret=-1 err="context canceled"`
	tr, err := Parse(strings.NewReader(line))
	if err != nil {
		t.Fatal(err)
	}
	e := tr.Events[0]
	if e.Comm != "a b" || e.Tid != 3 || e.Get("err") != "context canceled" || e.Time.Microseconds() != 10 {
		t.Errorf("parsed %+v", e)
	}
}

// TestSVGGolden: docs/asynctest.svg is what WriteSVG draws from
// docs/asynctest.trace, byte for byte, so the README's diagram is the
// renderer's output for a fixed trace (X2, X3). After a change to the
// renderer, regenerate both files with the command above.
func TestSVGGolden(t *testing.T) {
	f, err := os.Open(asynctestTrace)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := tr.WriteSVG(&got); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(asynctestSVG)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("WriteSVG(%s) differs from %s: regenerate both with fasync demo --scenes 1 --trace %s --trace %s",
			asynctestTrace, asynctestSVG, asynctestSVG, asynctestTrace)
	}
	// The asynctest's path, each step drawn.
	for _, step := range []string{
		"fcntl(0, F_SETOWN, 3) = 0", "f_owner = pid:3", "setfl: O_RDONLY|O_NONBLOCK|FASYNC",
		"-&gt;fasync(0, on)", "fasync_helper(on): added, 1 entry", "write(0, 21) = 21",
		"kill_fasync(SIGIO, POLL_IN): 1 entry", "send_sigio(pid:3 asynctest): SIGIO, allowed",
		"SIGIO → asynctest-3: queued", "handler(SIGIO, SI_KERNEL)", "read(0, 4096) = -1 EAGAIN",
	} {
		if !strings.Contains(got.String(), step) {
			t.Errorf("the diagram lacks %q", step)
		}
	}
}

// TestSVGDeterministic: the same trace draws the same bytes.
func TestSVGDeterministic(t *testing.T) {
	tr := liveTrace(t)
	var a, b bytes.Buffer
	if err := tr.WriteSVG(&a); err != nil {
		t.Fatal(err)
	}
	if err := tr.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Error("two drawings of one trace differ")
	}
}

// repeatedTrace is a trace of n writes, each notifying a reader: the
// same rows over and over.
func repeatedTrace(n int) *Trace {
	var sb strings.Builder
	us := 0
	line := func(comm string, pid int, ev string) {
		us += 3
		fmt.Fprintf(&sb, "%16s-%-7d (%7d) [000] %6d.%06d: %s\n", comm, pid, pid, us/1e6, us%1e6, ev)
	}
	for i := range n {
		line("writer", 2, fmt.Sprintf("sys_enter: fd=4 file=scullpipe0 call=write count=%d", 10+i%7))
		line("writer", 2, "kill_fasync: file=scullpipe0 sig=SIGIO band=POLL_IN entries=1")
		line("writer", 2, "send_sigio: fd=3 file=scullpipe0 owner=pid:1 comm=reader pid=1 tid=1 sig=SIGIO code=SI_KERNEL band=0 verdict=allowed")
		line("writer", 2, fmt.Sprintf("sys_exit: fd=4 file=scullpipe0 call=write ret=%d", 10+i%7))
	}
	tr, err := Parse(strings.NewReader(sb.String()))
	if err != nil {
		panic(err)
	}
	return tr
}

// TestSVGCollapse: up to MaxRows rows are all drawn; beyond, repeated
// runs are drawn once with a count, so 1000 notifications make a short
// diagram (X2).
func TestSVGCollapse(t *testing.T) {
	small := build(repeatedTrace(MaxRows / 3))
	if len(small.rows) != MaxRows/3*3 {
		t.Fatalf("%d rows for %d writes, want 3 per write", len(small.rows), MaxRows/3)
	}
	var out bytes.Buffer
	if err := repeatedTrace(MaxRows / 3).WriteSVG(&out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "repeated") {
		t.Error("a diagram within MaxRows collapsed rows")
	}
	out.Reset()
	if err := repeatedTrace(1000).WriteSVG(&out); err != nil {
		t.Fatal(err)
	}
	svg := out.String()
	if !strings.Contains(svg, "↑ 3 rows repeated 999 more times") {
		t.Errorf("1000 writes not collapsed into one copy and a count")
	}
	if n := strings.Count(svg, "<g>"); n > 10 {
		t.Errorf("%d rows drawn for 1000 identical writes", n)
	}
	if !strings.Contains(svg, "3000 rows drawn as 4") {
		t.Error("the title does not say how many rows were collapsed")
	}
}

// TestFromNilTracer: a kernel that is not traced has a nil Tracer, whose
// trace is empty and renders as an empty text and diagram, not a panic
// (X2).
func TestFromNilTracer(t *testing.T) {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	tr := FromTracer(k.Tracer())
	if len(tr.Events) != 0 || tr.Dropped != 0 {
		t.Fatalf("FromTracer(nil) = %+v", tr)
	}
	var text, svg strings.Builder
	if err := tr.WriteText(&text); err != nil || !strings.Contains(text.String(), "entries-written: 0/0") {
		t.Errorf("WriteText of the empty trace: %v\n%s", err, text.String())
	}
	if err := tr.WriteSVG(&svg); err != nil || !strings.Contains(svg.String(), "<svg") {
		t.Errorf("WriteSVG of the empty trace: %v\n%.80s", err, svg.String())
	}
}
