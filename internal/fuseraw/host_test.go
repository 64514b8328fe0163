package fuseraw

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// R4: without /dev/fuse or fusermount3 the error says exactly what is
// missing and how to get it.
func TestCheckHostNamesWhatIsMissing(t *testing.T) {
	found := func(string) (string, error) { return "/usr/bin/fusermount3", nil }
	absent := func(string) (string, error) { return "", exec.ErrNotFound }
	cases := []struct {
		name     string
		dev      string
		lookPath func(string) (string, error)
		want     []string // substrings; nil = no error
	}{
		{"R4/all-present", "/", found, nil},
		{"R4/no-dev-fuse", "/nonexistent/fuse", found, []string{"/nonexistent/fuse", "modprobe fuse"}},
		{"R4/no-fusermount3", "/", absent, []string{"fusermount3", "apt-get install fuse3"}},
		{"R4/neither", "/nonexistent/fuse", absent, []string{"/nonexistent/fuse", "apt-get install fuse3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkHost(c.dev, c.lookPath)
			if c.want == nil {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrNoFUSE) {
				t.Fatalf("got %v, want an ErrNoFUSE", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
}
