package main

import (
	"bytes"
	"runtime/debug"
	"testing"
)

// U8: the version line names the commit a build recorded, and whether the
// work tree had changes, unless the module version already carries it.
func TestPrintVersion(t *testing.T) {
	for _, c := range []struct {
		bi   debug.BuildInfo
		want string
	}{
		{debug.BuildInfo{GoVersion: "go1.26", Main: debug.Module{Path: "m", Version: "(devel)"}},
			"fasync (devel) (m, go1.26)\n"},
		{debug.BuildInfo{GoVersion: "go1.26", Main: debug.Module{Path: "m", Version: "v1.2.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.modified", Value: "true"}}},
			"fasync v1.2.0 (m, commit 0123456789ab with local changes, go1.26)\n"},
		{debug.BuildInfo{GoVersion: "go1.26", Main: debug.Module{Path: "m", Version: "v0.0.0-20261207194500-0123456789ab"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef"}}},
			"fasync v0.0.0-20261207194500-0123456789ab (m, go1.26)\n"},
		{debug.BuildInfo{GoVersion: "go1.26", Main: debug.Module{Path: "m"}}, "fasync (devel) (m, go1.26)\n"},
	} {
		var b bytes.Buffer
		printVersion(&b, &c.bi)
		if b.String() != c.want {
			t.Errorf("U8: printVersion(%+v) = %q, want %q", c.bi, b.String(), c.want)
		}
	}
}
