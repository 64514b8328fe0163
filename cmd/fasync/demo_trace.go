package main

// fasync demo --trace: the story's notification path as the model
// kernel's tracepoints saw it (SPEC X3), drawn as a sequence diagram
// (FILE.svg) or written as ftrace-style text (- for stdout, or any
// other FILE).

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/fasync-go/fasync/internal/cli"
	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/kernel/ktrace"
	"github.com/fasync-go/fasync/scull"
)

// demoTraceCapacity is the ring the demo traces into: the whole story
// fits, so nothing is dropped.
const demoTraceCapacity = 1 << 16

// demoOptions are the demo's settings beyond the devices.
type demoOptions struct {
	tracer *kernel.Tracer // nil: not traced
	scenes int            // tell only the first scenes; 0: all
}

// traceFlags are the demo's --trace and --scenes flags.
type traceFlags struct {
	paths  []string
	scenes int
}

// addTraceFlags defines --trace (repeatable) and --scenes on fs.
func addTraceFlags(fs *cli.FlagSet) *traceFlags {
	tf := &traceFlags{}
	fs.Func("trace", "trace the model kernel and write the trace to `FILE`: an SVG sequence diagram\n"+
		"if FILE ends in .svg, else ftrace-style text; - writes the text to stdout (the story\n"+
		"then goes to stderr). May be given more than once.", func(v string) error {
		if v == "" {
			return fmt.Errorf("empty file name")
		}
		tf.paths = append(tf.paths, v)
		return nil
	})
	fs.Func("scenes", "tell only the first `N` scenes (1 is LDD3's asynctest); 0 tells them all", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("want a count of scenes, 0 or more")
		}
		tf.scenes = n
		return nil
	})
	return tf
}

// run tells the demo to stdout, traced when --trace was given, and then
// writes each trace file; with --trace - the story goes to stderr.
func (tf *traceFlags) run(stdout, stderr io.Writer, cfg scull.Config) error {
	o := demoOptions{scenes: tf.scenes}
	story := stdout
	if len(tf.paths) > 0 {
		o.tracer = kernel.NewTracer(demoTraceCapacity)
	}
	for _, p := range tf.paths {
		if p == "-" {
			story = stderr
		}
	}
	if err := demoWith(story, cfg, o); err != nil {
		return err
	}
	if o.tracer == nil {
		return nil
	}
	tr := ktrace.FromTracer(o.tracer)
	for _, p := range tf.paths {
		if err := writeTrace(tr, p, stdout); err != nil {
			return err
		}
	}
	return nil
}

// writeTrace writes tr to path (- : stdout) as SVG or text.
func writeTrace(tr *ktrace.Trace, path string, stdout io.Writer) error {
	if path == "-" {
		return tr.WriteText(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if strings.HasSuffix(path, ".svg") {
		err = tr.WriteSVG(f)
	} else {
		err = tr.WriteText(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--trace %s: %w", path, err)
	}
	return nil
}
