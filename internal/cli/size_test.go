package cli

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// U2: sizes take k, m, g, t suffixes (powers of 1024) with optional b or
// ib, in any case, and FormatSize writes what ParseSize reads back.
func TestParseSize(t *testing.T) {
	good := map[string]int64{"4000": 4000, "0": 0, "4k": 4096, "4K": 4096, "4KiB": 4096, "2kb": 2048,
		"1m": 1 << 20, "64MiB": 64 << 20, "1g": 1 << 30, "2t": 2 << 40, " 512 ": 512, "17b": 17}
	for in, want := range good {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("U2: ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
		if back, err := ParseSize(FormatSize(want)); err != nil || back != want {
			t.Errorf("U2: FormatSize(%d) = %q reads back as %d, %v", want, FormatSize(want), back, err)
		}
	}
	for _, bad := range []string{"", "k", "-1", "1q", "1.5k", "0x10", "99999999999g", "4 k", "kk"} {
		if n, err := ParseSize(bad); err == nil {
			t.Errorf("U2: ParseSize(%q) = %d, want an error", bad, n)
		}
	}
	for n, want := range map[int64]string{4000: "4000 B", 64 << 20: "64 MiB", 2: "2 B", 1536: "1536 B", 3 << 30: "3 GiB"} {
		if got := HumanSize(n); got != want {
			t.Errorf("HumanSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// U2: a size flag outside its limits is refused with both limits named,
// and a flag left alone keeps its default.
func TestSizeFlag(t *testing.T) {
	newSet := func() (*flag.FlagSet, *int64) {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		return fs, SizeFlag(fs, "size", 4000, 2, 64<<20, "buffer size")
	}
	fs, n := newSet()
	if err := fs.Parse(nil); err != nil || *n != 4000 {
		t.Fatalf("default: %d, %v", *n, err)
	}
	fs, n = newSet()
	if err := fs.Parse([]string{"--size", "1m"}); err != nil || *n != 1<<20 {
		t.Fatalf("--size 1m: %d, %v", *n, err)
	}
	for _, bad := range []string{"0", "1", "65m", "1g", "lots"} {
		fs, n = newSet()
		err := fs.Parse([]string{"--size", bad})
		if err == nil {
			t.Errorf("U2: --size %s accepted as %d", bad, *n)
			continue
		}
		if bad != "lots" && !strings.Contains(err.Error(), "2 B to 64 MiB") {
			t.Errorf("U2: --size %s: %q does not state the limits 2 B to 64 MiB", bad, err)
		}
		if *n != 4000 {
			t.Errorf("U2: --size %s changed the value to %d", bad, *n)
		}
	}
	var usage strings.Builder
	fs, _ = newSet()
	fs.SetOutput(&usage)
	fs.PrintDefaults()
	if !strings.Contains(usage.String(), "2 B to 64 MiB") || !strings.Contains(usage.String(), "default 4000") {
		t.Errorf("U2: usage does not show the limits and default:\n%s", usage.String())
	}
}
