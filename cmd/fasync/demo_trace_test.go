package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fasync-go/fasync/kernel/ktrace"
	"github.com/fasync-go/fasync/scull"
)

// TestDemoTrace runs `fasync demo --scenes 1 --trace FILE.svg --trace -`
// (SPEC X3): the text on stdout is a trace that parses, shows LDD3's
// asynctest path step by step, and the story goes to stderr; the SVG
// file is the diagram of that same trace.
func TestDemoTrace(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "asynctest.svg")
	tf := &traceFlags{paths: []string{svg, "-"}, scenes: 1}
	var stdout, stderr bytes.Buffer
	if err := tf.run(&stdout, &stderr, scull.Config{Devices: 4, Size: 4000}); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "asynctest   got SIGIO") || strings.Contains(stderr.String(), "2. F_SETSIG") {
		t.Errorf("the story on stderr is not scene 1 alone:\n%s", stderr.String())
	}
	tr, err := ktrace.Parse(bytes.NewReader(stdout.Bytes()))
	if err != nil {
		t.Fatalf("stdout is not a trace: %v\n%s", err, stdout.String())
	}
	// The path, in order, for the asynctest task (pid 3): arm, then a
	// writer's write notifies it and its handler runs.
	steps := []struct{ name, has string }{
		{"sys_enter", "call=fcntl cmd=F_SETOWN arg=3"},
		{"fcntl_setown", "owner=pid:3"},
		{"fcntl_setfl", "flags=O_RDONLY|O_NONBLOCK|FASYNC"},
		{"fasync", "on=1 via=fcntl"},
		{"fasync_helper", "result=added"},
		{"sys_enter", "call=write"},
		{"kill_fasync", "sig=SIGIO band=POLL_IN entries=1"},
		{"send_sigio", "owner=pid:3 comm=asynctest pid=3 tid=3 sig=SIGIO code=SI_KERNEL band=0 verdict=allowed"},
		{"signal_generate", "sig=SIGIO code=SI_KERNEL comm=asynctest pid=3 tid=3"},
		{"signal_deliver", "sig=SIGIO code=SI_KERNEL action=handler"},
		{"sys_enter", "call=read"},
		{"sys_exit", "call=read ret=-1 err=EAGAIN"},
	}
	i := 0
	for _, e := range tr.Events {
		if i < len(steps) && e.Name == steps[i].name && strings.Contains(e.Line(), steps[i].has) {
			i++
		}
	}
	if i < len(steps) {
		t.Errorf("the trace lacks step %d, %s with %q, in order:\n%s", i, steps[i].name, steps[i].has, stdout.String())
	}
	got, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := tr.WriteSVG(&want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Error("the SVG file is not the diagram of the text trace of the same run")
	}
}

// TestDemoTraceFlags: --scenes must not be negative, and --trace needs
// a file name (SPEC X3, U1).
func TestDemoTraceFlags(t *testing.T) {
	bin := buildFasync(t)
	for _, args := range [][]string{{"demo", "--scenes", "-1"}, {"demo", "--trace", ""}, {"demo", "--trace"}} {
		_, stderr, status := run(t, bin, args...)
		if status != 2 || stderr == "" {
			t.Errorf("%q: status %d, stderr %q; want a usage error (2) with a reason", args, status, stderr)
		}
	}
}
