package pipe_test

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The conformance scenarios that need handlers, threads with their own
// masks, fork, exec and wait run on the real kernel as a C program,
// testdata/procs (one scenario per run, named by its argument), which
// prints its transcript; each scenario's twin here makes the same calls
// on the model and prints the same lines. The two transcripts compare
// line by line, as the other scenarios' do (SPEC S5-S10, T1-T5).

// A procScenario is a C scenario and its model twin.
type procScenario struct {
	name  string
	model func(p *pt)
}

// buildProcs compiles testdata/procs into dir, or skips naming gcc.
func buildProcs(t *testing.T, dir string) string {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc to build the C scenarios (testdata/procs)")
	}
	bin := filepath.Join(dir, "procs")
	src, _ := filepath.Glob(filepath.Join("testdata", "procs", "*.c"))
	args := append([]string{"-O1", "-Wall", "-pthread", "-o", bin}, src...)
	if out, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

// runProc runs one C scenario and returns its transcript lines.
func runProc(t *testing.T, bin, name string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, name)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Errorf("%s: %v\n%s", name, err, stderr.String())
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// TestConformanceProcesses runs every C scenario on the real kernel and
// its twin on the model, and compares the transcripts.
func TestConformanceProcesses(t *testing.T) {
	bin := buildProcs(t, t.TempDir())
	for _, sc := range procScenarios {
		t.Run(sc.name, func(t *testing.T) {
			real := &env{lines: runProc(t, bin, sc.name)}
			model := &env{lines: runTwin(t, sc)}
			if d := compare(real, model); d != "" {
				t.Errorf("model departs from the kernel:\n%s\nkernel transcript:\n%s\nmodel transcript:\n%s",
					d, strings.Join(real.lines, "\n"), strings.Join(model.lines, "\n"))
			}
			if testing.Verbose() {
				t.Logf("kernel transcript:\n%s", strings.Join(real.lines, "\n"))
			}
		})
	}
}

var procScenarios = slices.Concat(sigTwins, procTwins, waitTwins, threadTwins, childTwins, miscTwins, edgeTwins, stopTwins)
