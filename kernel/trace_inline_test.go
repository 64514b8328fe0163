package kernel

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestTracepointsInline checks X1's cost with tracing off: every
// tracepoint's fast path (a trace* function without the Slow suffix,
// sysEnter and sysEnterPath, tracing itself) is small enough for the
// compiler to inline, so that a system call pays one atomic load and a
// branch for it, not a call. It asks the compiler, as Go's own
// TestIntendedInlining does.
func TestTracepointsInline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with -gcflags=-m=2")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to ask the compiler")
	}
	out, err := exec.Command(gotool, "build", "-gcflags=-m=2", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m=2: %v\n%s", err, out)
	}
	fast := regexp.MustCompile(`(?m)(can|cannot) inline (tracing|\(\*Task\)\.sysEnter(Path)?|trace[A-Z]\w*)\b(.*)$`)
	seen := 0
	for _, m := range fast.FindAllStringSubmatch(string(out), -1) {
		name := m[2]
		if strings.HasSuffix(name, "Slow") {
			continue
		}
		seen++
		if m[1] == "cannot" {
			t.Errorf("X1: %s is not inlined%s", name, m[4])
		}
	}
	if seen < 18 {
		t.Errorf("X1: the compiler reported on %d tracepoints, want at least 18:\n%s", seen, out)
	}
}
