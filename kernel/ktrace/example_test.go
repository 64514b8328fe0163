package ktrace_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/kernel/ktrace"
)

const saved = `       asynctest-3       (      3) [000]      0.000104: fcntl_setown: fd=3 file=scullpipe0 owner=pid:3
        writer-a-1       (      1) [000]      0.000152: kill_fasync: file=scullpipe0 sig=SIGIO band=POLL_IN entries=1
`

// Parse reads a trace back from its text, for instance to draw it again.
func ExampleParse() {
	tr, err := ktrace.Parse(strings.NewReader(saved))
	if err != nil {
		panic(err)
	}
	for _, e := range tr.Events {
		fmt.Printf("%s (pid %d) %s: owner %q band %q\n", e.Comm, e.Pid, e.Name, e.Get("owner"), e.Get("band"))
	}
	// Output:
	// asynctest (pid 3) fcntl_setown: owner "pid:3" band ""
	// writer-a (pid 1) kill_fasync: owner "" band "POLL_IN"
}

// WriteText writes a trace in ftrace's layout.
func ExampleTrace_WriteText() {
	tr, _ := ktrace.Parse(strings.NewReader(saved))
	_ = tr.WriteText(os.Stdout)
	// Output:
	// # tracer: fasync model kernel
	// #
	// # entries-in-buffer/entries-written: 2/2   #P:1
	// #
	// #           TASK-PID       TGID     CPU     TIMESTAMP  FUNCTION
	// #              | |           |       |         |         |
	//        asynctest-3       (      3) [000]      0.000104: fcntl_setown: fd=3 file=scullpipe0 owner=pid:3
	//         writer-a-1       (      1) [000]      0.000152: kill_fasync: file=scullpipe0 sig=SIGIO band=POLL_IN entries=1
}

// FromTracer takes a kernel's trace after a run; WriteSVG draws it.
func ExampleFromTracer() {
	k := kernel.New(kernel.Config{})
	tr := kernel.NewTracer(0)
	k.Trace(tr)
	t := k.NewTask("init", kernel.Cred{})
	_, _ = t.Sigaction(kernel.SIGUSR1, kernel.Sigaction{Ignore: true})
	k.Close()

	trace := ktrace.FromTracer(tr)
	var svg strings.Builder
	_ = trace.WriteSVG(&svg)
	for _, e := range trace.Events {
		fmt.Println(e.Comm, e.Name, e.Get("call"))
	}
	fmt.Println(strings.HasPrefix(svg.String(), "<?xml"))
	// Output:
	// init sys_enter rt_sigaction
	// init sys_exit rt_sigaction
	// init sys_enter exit_group
	// init sys_exit exit_group
	// true
}
