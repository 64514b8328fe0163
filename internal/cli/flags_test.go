package cli

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func newTestSet() (*FlagSet, *bytes.Buffer, *bytes.Buffer) {
	fs := NewFlagSet("mount", "fasync mount [flags] DIR", "Mounts things.")
	var stdout, stderr bytes.Buffer
	fs.Stdout, fs.Stderr = &stdout, &stderr
	fs.Int("devices", 4, "number of devices")
	fs.Bool("v", false, "verbose")
	return fs, &stdout, &stderr
}

// U1: flags may follow positional arguments, "--" ends the flags, and a
// positional count outside the command's range is refused with the count
// and the arguments named.
func TestFlagSetParse(t *testing.T) {
	for _, c := range []struct {
		args []string
		pos  []string
	}{
		{[]string{"dir"}, []string{"dir"}},
		{[]string{"--devices", "2", "dir"}, []string{"dir"}},
		{[]string{"dir", "--devices", "2"}, []string{"dir"}},
		{[]string{"-v", "dir", "--devices=2"}, []string{"dir"}},
		{[]string{"--", "-dir"}, []string{"-dir"}},
		{[]string{"-v", "--", "--devices"}, []string{"--devices"}},
	} {
		fs, _, stderr := newTestSet()
		pos, status, ok := fs.Parse(c.args, 1, 1)
		if !ok || !slices.Equal(pos, c.pos) {
			t.Errorf("U1: %q: %q, %d, %v, want %q (stderr %q)", c.args, pos, status, ok, c.pos, stderr)
		}
	}
	for _, c := range []struct {
		args []string
		why  string
	}{
		{nil, "takes one argument, got none"},
		{[]string{"a", "b"}, "takes one argument, got 2: a b"},
		{[]string{"a", "--nosuch"}, "flag provided but not defined: -nosuch"},
		{[]string{"a", "--devices", "many"}, `invalid value "many" for flag -devices`},
	} {
		fs, stdout, stderr := newTestSet()
		_, status, ok := fs.Parse(c.args, 1, 1)
		if ok || status != 2 {
			t.Errorf("U1: %q: ok %v status %d, want a usage error, status 2", c.args, ok, status)
		}
		for _, want := range []string{"fasync mount: " + c.why, "usage: fasync mount [flags] DIR", "fasync mount -h"} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("U1: %q: stderr %q does not say %q", c.args, stderr, want)
			}
		}
		if stdout.Len() != 0 {
			t.Errorf("U1: %q: a usage error wrote to stdout: %q", c.args, stdout)
		}
	}
}

// U1: -h, -help and --help print the synopsis, the description and the
// flags on stdout and report status 0, wherever they appear.
func TestFlagSetHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-help"}, {"dir", "-h"}, {"--devices", "2", "--help", "dir"}} {
		fs, stdout, stderr := newTestSet()
		_, status, ok := fs.Parse(args, 1, 1)
		if ok || status != 0 {
			t.Errorf("U1: %q: ok %v status %d, want help with status 0", args, ok, status)
		}
		for _, want := range []string{"usage: fasync mount [flags] DIR\n\nMounts things.\n", "-devices", "(default 4)"} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("U1: %q: help %q does not contain %q", args, stdout, want)
			}
		}
		if stderr.Len() != 0 {
			t.Errorf("U1: %q: help wrote to stderr: %q", args, stderr)
		}
	}
}

// U8: help spells each flag as a synopsis does: two dashes before a
// long name, with the back-quoted argument name, one before a letter.
func TestFlagSetHelpSpelling(t *testing.T) {
	fs, stdout, _ := newTestSet()
	fs.String("transport", "auto", "the `auto|classic` transport")
	fs.PrintHelp()
	help := stdout.String()
	for _, want := range []string{"\n  --devices int\n", "\n  -v\tverbose\n", "\n  --transport auto|classic\n", `(default "auto")`} {
		if !strings.Contains(help, want) {
			t.Errorf("U8: help lacks %q:\n%s", want, help)
		}
	}
	for line := range strings.Lines(help) {
		if strings.HasPrefix(line, "  -") && !strings.HasPrefix(line, "  --") && !strings.HasPrefix(line, "  -v\t") {
			t.Errorf("U8: a long flag with one dash: %q", line)
		}
	}
}

func TestArgCount(t *testing.T) {
	for _, c := range []struct {
		pos      []string
		min, max int
		want     string
	}{
		{[]string{"x"}, 0, 0, "takes no arguments, got 1: x"},
		{[]string{"a", "b"}, 0, 1, "takes at most one argument, got 2: a b"},
		{nil, 2, 2, "takes 2 arguments, got none"},
		{[]string{"a"}, 2, 3, "takes 2 to 3 arguments, got 1: a"},
	} {
		if got := argCount(c.pos, c.min, c.max); got != c.want {
			t.Errorf("U1: argCount(%q, %d, %d) = %q, want %q", c.pos, c.min, c.max, got, c.want)
		}
	}
}
