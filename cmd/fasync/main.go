// Command fasync runs fasync's demonstrations, tools and benchmarks:
//
//	fasync demo                  the LDD3 chapter 6 story on a model kernel
//	fasync asynctest [FILE]      LDD3's asynctest on the real kernel
//	fasync mount DIR             export model scullpipe devices through FUSE
//	fasync bench KIND [flags]    benchmarks beside their baselines
//	fasync version               the version (also fasync --version)
//
// Each subcommand lives in a file of its own and registers itself in init.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/fasync-go/fasync/internal/bench"
)

// A command is one subcommand of fasync.
type command struct {
	summary string
	run     func(args []string) int // returns the exit status
}

// commands is filled by the init functions of the subcommand files.
var commands = map[string]command{}

// benchmarks holds the kinds `fasync bench KIND` accepts, filled the same way.
var benchmarks = map[string]command{}

func register(name, summary string, run func(args []string) int) {
	if _, dup := commands[name]; dup {
		panic("fasync: command registered twice: " + name)
	}
	commands[name] = command{summary, run}
}

func registerBench(name, summary string, run func(args []string) int) {
	if _, dup := benchmarks[name]; dup {
		panic("fasync: benchmark registered twice: " + name)
	}
	benchmarks[name] = command{summary, run}
}

func init() {
	register("bench", "run a benchmark beside its baseline (fasync bench KIND -h)", runBench)
}

func main() {
	// A benchmark's client processes are this program re-executed.
	bench.Reexec = true
	if status, ok := bench.RunClient(os.Args[1:]); ok {
		os.Exit(status)
	}
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	name := os.Args[1]
	switch name {
	case "-h", "-help", "--help", "help":
		usage(os.Stdout)
		return
	case "-version", "--version":
		name = "version"
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "fasync: unknown command %q\n", name)
		usage(os.Stderr)
		os.Exit(2)
	}
	os.Exit(cmd.run(os.Args[2:]))
}

func runBench(args []string) int {
	if len(args) == 0 {
		benchUsage(os.Stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		benchUsage(os.Stdout)
		return 0
	}
	b, ok := benchmarks[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "fasync bench: unknown kind %q\n", args[0])
		benchUsage(os.Stderr)
		return 2
	}
	return b.run(args[1:])
}

func benchUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: fasync bench KIND [flags]\n\n"+
		"Runs a benchmark beside its baseline, measured in the same run, and\n"+
		"reports ratios (fasync bench KIND -h for a kind's flags).\n\nkinds:")
	listCommands(w, benchmarks)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: fasync COMMAND [arguments]\n\n"+
		"Linux's asynchronous notification (fasync, SIGIO) and asynchronous I/O in\n"+
		"Go, on a model kernel and on the real one (fasync COMMAND -h for a command's\n"+
		"flags).\n\ncommands:")
	listCommands(w, commands)
}

func listCommands(w io.Writer, m map[string]command) {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, m[n].summary)
	}
}
