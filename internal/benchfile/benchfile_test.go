package benchfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// H2: the layout grows the file to the size asked, a second call on a
// full file writes nothing, and a larger size extends a file the
// benchmarks made without touching what is there.
func TestPrepareLayout(t *testing.T) {
	name := filepath.Join(t.TempDir(), "data")
	var progress bytes.Buffer
	if err := Prepare(name, 3<<20+100, Use{Cache: true, Progress: &progress}); err != nil {
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
	if ours, err := Ours(name); err != nil || !ours {
		t.Errorf("Ours = %v, %v on a file Prepare made", ours, err)
	}

	progress.Reset()
	if err := Prepare(name, 3<<20+100, Use{Progress: &progress}); err != nil {
		t.Fatal(err)
	}
	if progress.Len() != 0 {
		t.Errorf("full file laid out again: %q", progress.String())
	}

	if err := Prepare(name, 5<<20, Use{Write: true}); err != nil {
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

// H1: what is not a regular file is refused before anything is written,
// a FIFO included (opening it must not wait for a writer).
func TestPrepareRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "null-link")
	if err := os.Symlink("/dev/null", link); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"/dev/null", fifo, link, dir, "/proc/version", "/sys/kernel/mm/transparent_hugepage/enabled"} {
		if _, err := os.Stat(name); err != nil {
			t.Logf("%s: %v (skipped)", name, err)
			continue
		}
		err := Prepare(name, 1<<20, Use{Grow: true, Overwrite: true, Write: true})
		if !errors.Is(err, ErrNotRegular) || !errors.Is(err, syscall.EINVAL) {
			t.Errorf("Prepare(%s) = %v, want ErrNotRegular (EINVAL)", name, err)
		}
		if _, err := Remove(name); err == nil {
			t.Errorf("Remove(%s) succeeded", name)
		}
	}
}

// H1: a file the benchmarks did not make is never grown or written
// without leave, and never removed.
func TestPrepareForeignFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "mine")
	mine := bytes.Repeat([]byte("user data "), 100)
	if err := os.WriteFile(name, mine, 0o644); err != nil {
		t.Fatal(err)
	}
	unchanged := func() {
		t.Helper()
		if got, err := os.ReadFile(name); err != nil || !bytes.Equal(got, mine) {
			t.Fatalf("the user's file changed (%d bytes, %v)", len(got), err)
		}
	}
	err := Prepare(name, 1<<20, Use{})
	if !errors.Is(err, ErrForeign) || !strings.Contains(err.Error(), "--grow") {
		t.Errorf("growing without leave: %v, want ErrForeign naming --grow", err)
	}
	unchanged()
	if err := Prepare(name, 500, Use{Cache: true}); err != nil {
		t.Errorf("reading the first 500 bytes: %v", err)
	}
	if err := Prepare(name, 500, Use{Write: true}); !errors.Is(err, ErrForeign) || !strings.Contains(err.Error(), "--overwrite") {
		t.Errorf("writing without leave: %v, want ErrForeign naming --overwrite", err)
	}
	if err := Prepare(name, 500, Use{Write: true, Overwrite: true}); err != nil {
		t.Errorf("writing with --overwrite: %v", err)
	}
	if _, err := Remove(name); !errors.Is(err, ErrForeign) {
		t.Errorf("Remove of the user's file: %v, want ErrForeign", err)
	}
	unchanged()
	if err := Prepare(name, 1<<20, Use{Grow: true}); err != nil {
		t.Fatalf("growing with --grow: %v", err)
	}
	if got, _ := os.ReadFile(name); len(got) != 1<<20 {
		t.Errorf("grown to %d bytes, want %d", len(got), 1<<20)
	}
	if ours, _ := Ours(name); ours {
		t.Errorf("a grown user's file became the benchmarks' own")
	}
}

// H2: Remove deletes a file the benchmarks made and says how big it was.
func TestRemove(t *testing.T) {
	name := filepath.Join(t.TempDir(), "data")
	if err := Prepare(name, 2<<20, Use{}); err != nil {
		t.Fatal(err)
	}
	n, err := Remove(name)
	if err != nil || n != 2<<20 {
		t.Fatalf("Remove = %d, %v", n, err)
	}
	if _, err := os.Stat(name); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file still there: %v", err)
	}
}

// H2: the cache file's name.
func TestShared(t *testing.T) {
	t.Setenv("FASYNC_BENCH_FILE", "")
	t.Setenv("TMPDIR", "/some/tmp")
	if got := Shared(); got != "/some/tmp/"+CacheName {
		t.Errorf("Shared() = %q", got)
	}
	t.Setenv("FASYNC_BENCH_FILE", "/x/y")
	if got := Shared(); got != "/x/y" {
		t.Errorf("Shared() with FASYNC_BENCH_FILE = %q", got)
	}
}

func TestRand(t *testing.T) {
	a, b := NewRand(1), NewRand(2)
	if a.Next() == b.Next() {
		t.Errorf("seeds 1 and 2 start alike")
	}
	z := NewRand(0)
	for range 1000 {
		if off := z.Block(1<<20, 4096); off < 0 || off >= 1<<20 || off%4096 != 0 {
			t.Fatalf("Block gave %d", off)
		}
	}
	p := make([]byte, 13)
	z.Fill(p)
	if bytes.Count(p, []byte{0}) > 4 {
		t.Errorf("Fill left %x", p)
	}
}
