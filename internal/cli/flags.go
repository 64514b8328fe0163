package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// A FlagSet is the flag set of one fasync subcommand together with its
// help, so that every subcommand answers -h, bad flags and stray
// arguments alike (SPEC U1).
type FlagSet struct {
	*flag.FlagSet
	Synopsis string    // the usage line without "usage: ": "fasync mount [flags] DIR"
	About    string    // what the command does, printed under the synopsis by -h
	Stdout   io.Writer // where -h writes the help; nil means os.Stdout
	Stderr   io.Writer // where usage errors go; nil means os.Stderr
}

// NewFlagSet returns the flag set of the subcommand name ("mount",
// "bench aio").
func NewFlagSet(name, synopsis, about string) *FlagSet {
	fs := flag.NewFlagSet("fasync "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // Parse reports errors itself
	fs.Usage = func() {}
	return &FlagSet{FlagSet: fs, Synopsis: synopsis, About: about}
}

// Parse parses args, in which flags may come before, between and after
// the positional arguments ("--" ends the flags), and returns the
// positional arguments. It reports ok false when the command should not
// run, with the exit status: 0 after -h, -help or --help, which print the
// help on Stdout; 2 for a bad flag or a count of positional arguments
// outside [min, max], which print the reason and the synopsis on Stderr.
func (f *FlagSet) Parse(args []string, min, max int) (pos []string, status int, ok bool) {
	for {
		err := f.FlagSet.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			f.PrintHelp()
			return nil, 0, false
		}
		if err != nil {
			return nil, f.usageError(err.Error()), false
		}
		rest := f.FlagSet.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) < min || len(pos) > max {
		return nil, f.usageError(argCount(pos, min, max)), false
	}
	return pos, 0, true
}

// argCount says how many positional arguments the command takes and
// what it got.
func argCount(pos []string, min, max int) string {
	want := fmt.Sprintf("%d to %d arguments", min, max)
	switch {
	case max == 0:
		want = "no arguments"
	case min == max && min == 1:
		want = "one argument"
	case min == max:
		want = fmt.Sprintf("%d arguments", min)
	case min == 0 && max == 1:
		want = "at most one argument"
	case min == 0:
		want = fmt.Sprintf("at most %d arguments", max)
	}
	if len(pos) == 0 {
		return "takes " + want + ", got none"
	}
	return fmt.Sprintf("takes %s, got %d: %s", want, len(pos), strings.Join(pos, " "))
}

// usageError prints why the command line is refused, the synopsis and
// where to find the help, and returns the exit status 2.
func (f *FlagSet) usageError(why string) int {
	w := f.Stderr
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintf(w, "%s: %s\nusage: %s\n(%s -h for help)\n", f.Name(), why, f.Synopsis, f.Name())
	return 2
}

// PrintHelp writes the synopsis, About and the flags with their defaults
// to Stdout, each flag spelled as the synopsis spells it (SPEC U8): two
// dashes before a long name (--devices N), one before a single letter
// (-v). A back-quoted word in a flag's usage names its argument, as
// flag.UnquoteUsage says.
func (f *FlagSet) PrintHelp() {
	w := f.Stdout
	if w == nil {
		w = os.Stdout
	}
	fmt.Fprintf(w, "usage: %s\n\n%s\n", f.Synopsis, strings.TrimRight(f.About, "\n"))
	n := 0
	f.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprint(w, "\nflags:\n")
	// flag.PrintDefaults decides the argument names and which defaults
	// to show; only its one dash before long names is rewritten.
	var b strings.Builder
	f.SetOutput(&b)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
	for line := range strings.Lines(b.String()) {
		if rest, ok := strings.CutPrefix(line, "  -"); ok && f.Lookup(flagName(rest)) != nil && len(flagName(rest)) > 1 {
			line = "  --" + rest
		}
		fmt.Fprint(w, line)
	}
}

// flagName returns the flag name at the start of a line of
// flag.PrintDefaults, after its dash.
func flagName(s string) string {
	if i := strings.IndexAny(s, " \t\n"); i >= 0 {
		return s[:i]
	}
	return s
}
