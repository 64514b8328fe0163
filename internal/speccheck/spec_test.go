package speccheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the module root, seen from this package's directory.
const root = "../.."

// specIDs returns the IDs defined in docs/SPEC.md: each "- X12 " bullet.
func specIDs(t *testing.T) []string {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(root, "docs", "SPEC.md"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^- ([A-Z][0-9]+) `)
	var ids []string
	for _, m := range re.FindAllStringSubmatch(string(text), -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// testSources returns the concatenated text of every _test.go file in the module.
func testSources(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, "_test.go") && !strings.Contains(path, "speccheck") {
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			b.Write(src)
			b.WriteByte('\n')
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestEverySpecIDIsCited checks that each SPEC ID appears in some test,
// as a word of its own ("A2", "A2/head", "SPEC A2:"), never as part of a
// longer ID ("A21") or identifier ("XA2").
func TestEverySpecIDIsCited(t *testing.T) {
	ids := specIDs(t)
	if len(ids) < 50 {
		t.Fatalf("found only %d IDs in docs/SPEC.md; the bullet format changed?", len(ids))
	}
	src := testSources(t)
	for _, id := range ids {
		re := regexp.MustCompile(`(^|[^A-Za-z0-9])` + id + `([^0-9]|$)`)
		if !re.MatchString(src) {
			t.Errorf("SPEC %s is cited by no test", id)
		}
	}
}
