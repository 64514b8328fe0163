package speccheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeCodeIsExampleCode checks that every Go block of README.md
// stands verbatim in kernel/example_test.go, at top level or as the body
// of a function (one tab deeper), so the README shows code that compiles
// and runs as a test.
func TestReadmeCodeIsExampleCode(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(root, "kernel", "example_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no Go block")
	}
	for _, b := range blocks {
		code := b[1]
		if !strings.Contains(string(src), code) && !strings.Contains(string(src), indent(code)) {
			first, _, _ := strings.Cut(code, "\n")
			t.Errorf("the README block starting %q is not in kernel/example_test.go: change both together", first)
		}
	}
}

// indent puts a tab before every non-empty line of code.
func indent(code string) string {
	lines := strings.Split(code, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "\t" + l
		}
	}
	return strings.Join(lines, "\n")
}
