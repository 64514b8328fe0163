package main

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// run runs the built command with args and returns its stdout, stderr
// and exit status.
func run(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &ee):
		return stdout.String(), stderr.String(), ee.ExitCode()
	}
	t.Fatalf("%v: %v", args, err)
	return "", "", -1
}

// TestCommandLine runs the built command the way users type it: help,
// bad flags, stray arguments and sizes (SPEC U1, U2). Nothing here mounts
// or runs a benchmark.
func TestCommandLine(t *testing.T) {
	bin := buildFasync(t)

	t.Run("U1/help-exits-0-on-stdout", func(t *testing.T) {
		for _, cmd := range [][]string{{}, {"demo"}, {"asynctest"}, {"mount"}, {"bench"}, {"bench", "aio"}, {"bench", "fuse"}} {
			for _, h := range []string{"-h", "--help"} {
				args := append(append([]string{}, cmd...), h)
				stdout, stderr, status := run(t, bin, args...)
				if status != 0 || stderr != "" {
					t.Errorf("%q: status %d, stderr %q; want 0 and nothing on stderr", args, status, stderr)
				}
				want := "usage: fasync " + strings.Join(cmd, " ")
				if len(cmd) == 0 {
					want = "usage: fasync COMMAND"
				}
				lines := strings.Split(stdout, "\n")
				if !strings.HasPrefix(stdout, want) || len(lines) < 3 || lines[1] != "" || lines[2] == "" {
					t.Errorf("%q: help does not start with %q, a blank line and a description:\n%s", args, want, stdout)
				}
			}
		}
	})

	t.Run("U1/bad-command-lines-say-why", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			why  string
		}{
			{[]string{"mount"}, "fasync mount: takes one argument, got none"},
			{[]string{"mount", "/tmp", "extra"}, "fasync mount: takes one argument, got 2: /tmp extra"},
			{[]string{"mount", "/tmp", "--bogus"}, "fasync mount: flag provided but not defined: -bogus"},
			{[]string{"mount", "--devices", "0", "/tmp"}, "--devices 0: want 1 to 65536"},
			{[]string{"mount", "--transport", "carrier-pigeon", "/tmp"}, "fasync mount: --transport"},
			{[]string{"demo", "extra"}, "fasync demo: takes no arguments, got 1: extra"},
			{[]string{"demo", "--devices", "2"}, "--devices 2: want 4 (the story uses four) to 65536"},
			{[]string{"demo", "--devices", "100000"}, "--devices 100000: want 4 (the story uses four) to 65536"},
			{[]string{"asynctest", "a", "b"}, "fasync asynctest: takes at most one argument, got 2: a b"},
			{[]string{"bench", "aio", "stray"}, "fasync bench aio: takes no arguments, got 1: stray"},
			{[]string{"bench", "fuse", "stray"}, "fasync bench fuse: takes no arguments, got 1: stray"},
			{[]string{"bench"}, "usage: fasync bench KIND"},
			{[]string{"bench", "nosuch"}, `unknown kind "nosuch"`},
			{[]string{"nosuch"}, `unknown command "nosuch"`},
		} {
			stdout, stderr, status := run(t, bin, c.args...)
			if status != 2 || !strings.Contains(stderr, c.why) || stdout != "" {
				t.Errorf("%q: status %d, stdout %q, stderr %q; want status 2 and %q on stderr", c.args, status, stdout, stderr, c.why)
			}
		}
	})

	t.Run("U1/flags-after-the-argument", func(t *testing.T) {
		// A size error proves the flag after DIR was read: nothing
		// mounts.
		_, stderr, status := run(t, bin, "mount", t.TempDir(), "--size", "1")
		if status != 2 || !strings.Contains(stderr, "1 B is outside 2 B to 64 MiB") {
			t.Errorf("mount DIR --size 1: status %d, stderr %q; want the size refused", status, stderr)
		}
	})

	t.Run("U8/help-spells-flags-as-the-usage-line", func(t *testing.T) {
		for _, cmd := range [][]string{{"demo"}, {"asynctest"}, {"mount"}, {"bench", "aio"}, {"bench", "fuse"}} {
			stdout, _, _ := run(t, bin, append(cmd, "-h")...)
			synopsis, _, _ := strings.Cut(stdout, "\n")
			for line := range strings.Lines(stdout) {
				name, ok := strings.CutPrefix(line, "  -")
				if !ok {
					continue
				}
				name, _, _ = strings.Cut(strings.TrimRight(name, "\n"), "\t")
				name, _, _ = strings.Cut(name, " ")
				if len(strings.TrimPrefix(name, "-")) > 1 && !strings.HasPrefix(name, "-") {
					t.Errorf("U8: %q -h: %q has one dash", cmd, line)
				}
			}
			// Every flag of the synopsis appears in the help as it is
			// spelled there, with its argument.
			for _, f := range regexp.MustCompile(`\[(--?[a-z-]+(?: [A-Za-z|]+)?)\]`).FindAllStringSubmatch(synopsis, -1) {
				if !strings.Contains(stdout, "\n  "+f[1]+"\n") && !strings.Contains(stdout, "\n  "+f[1]+"\t") {
					t.Errorf("U8: %q -h: the usage line has %q, the flags do not:\n%s", cmd, f[1], stdout)
				}
			}
		}
	})

	t.Run("U8/version", func(t *testing.T) {
		for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
			stdout, stderr, status := run(t, bin, args...)
			want := fmt.Sprintf("(github.com/fasync-go/fasync, %s)\n", runtime.Version())
			if status != 0 || stderr != "" || !strings.HasPrefix(stdout, "fasync ") || !strings.HasSuffix(stdout, want) {
				t.Errorf("U8: %q: status %d, stdout %q, stderr %q; want status 0 and \"fasync VERSION %s\"", args, status, stdout, stderr, want)
			}
		}
		if _, stderr, status := run(t, bin, "version", "extra"); status != 2 || !strings.Contains(stderr, "takes no arguments") {
			t.Errorf("U8: version extra: status %d, stderr %q; want a usage error", status, stderr)
		}
	})

	t.Run("U2/sizes-state-their-limits", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			why  string
		}{
			{[]string{"mount", "--size", "0", "/tmp"}, "0 B is outside 2 B to 64 MiB"},
			{[]string{"mount", "--size", "65m", "/tmp"}, "65 MiB is outside 2 B to 64 MiB"},
			{[]string{"mount", "--size", "lots", "/tmp"}, `"lots" is not a size`},
			{[]string{"demo", "--size", "10"}, "10 B is outside 64 B to 64 MiB"},
		} {
			_, stderr, status := run(t, bin, c.args...)
			if status != 2 || !strings.Contains(stderr, c.why) {
				t.Errorf("%q: status %d, stderr %q; want status 2 and %q", c.args, status, stderr, c.why)
			}
		}
	})
}
