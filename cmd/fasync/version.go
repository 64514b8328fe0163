package main

// fasync version, fasync --version: the module version the binary was
// built from (SPEC U8).

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/fasync-go/fasync/internal/cli"
)

func init() {
	register("version", "print the version of fasync (also fasync --version)", runVersion)
}

func runVersion(args []string) int {
	fs := cli.NewFlagSet("version", "fasync version",
		"Prints the module version fasync was built from (\"(devel)\" for a build in a\n"+
			"work tree), the commit when the build recorded one, and the Go version.")
	if _, status, ok := fs.Parse(args, 0, 0); !ok {
		return status
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(os.Stderr, "fasync version: the binary carries no build information")
		return 1
	}
	printVersion(os.Stdout, bi)
	return 0
}

// printVersion writes one line: the program, its module version and
// path, the commit (when the build stamped one and the version does not
// already say it) and the Go version.
func printVersion(w io.Writer, bi *debug.BuildInfo) {
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	fmt.Fprintf(w, "fasync %s (%s", version, bi.Main.Path)
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && !strings.Contains(version, rev) {
		fmt.Fprintf(w, ", commit %s", rev)
		if modified == "true" {
			fmt.Fprint(w, " with local changes")
		}
	}
	fmt.Fprintf(w, ", %s)\n", bi.GoVersion)
}
