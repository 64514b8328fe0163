package benchfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrepare checks the layout: the file grows to the size asked, a
// second call on a full file writes nothing, and a larger size extends it
// without touching what is there.
func TestPrepare(t *testing.T) {
	name := filepath.Join(t.TempDir(), "data")
	var progress bytes.Buffer
	if err := Prepare(name, 3<<20+100, true, &progress); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress.String(), "laying out") {
		t.Errorf("progress = %q, want a layout note", progress.String())
	}
	first, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 3<<20+100 {
		t.Fatalf("size %d, want %d", len(first), 3<<20+100)
	}
	if bytes.Count(first[:1<<20], []byte{0}) > 1<<14 {
		t.Errorf("data is mostly zeros: not laid out")
	}

	progress.Reset()
	if err := Prepare(name, 3<<20+100, false, &progress); err != nil {
		t.Fatal(err)
	}
	if progress.Len() != 0 {
		t.Errorf("full file laid out again: %q", progress.String())
	}

	if err := Prepare(name, 5<<20, false, nil); err != nil {
		t.Fatal(err)
	}
	grown, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(grown) != 5<<20 || !bytes.Equal(grown[:3<<20], first[:3<<20]) {
		t.Errorf("extending changed the existing whole megabytes or the size (%d)", len(grown))
	}
}
