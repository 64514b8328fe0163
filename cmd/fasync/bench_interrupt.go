package main

// Ctrl-C in a benchmark (SPEC U9): the first SIGINT or SIGTERM stops the
// measuring after the run in progress, and the command prints the rows
// that finished and exits 128 + the signal's number; a second signal
// stops at once.

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// A benchInterrupt watches for SIGINT and SIGTERM while a benchmark runs.
type benchInterrupt struct {
	sigs chan os.Signal
	stop chan struct{} // closed at the first signal
	sig  syscall.Signal
}

// catchBenchSignals starts watching. At the first signal it says on
// stderr that who stops after the run in progress, and closes Stop; at a
// second it runs atExit (when not nil: what must not be left behind, a
// mount) and exits at once with 128 + the signal's number.
func catchBenchSignals(stderr io.Writer, who string, atExit func()) *benchInterrupt {
	bi := &benchInterrupt{sigs: make(chan os.Signal, 2), stop: make(chan struct{})}
	signal.Notify(bi.sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s, ok := <-bi.sigs
		if !ok {
			return
		}
		bi.sig = s.(syscall.Signal)
		// A progress line may be open (it ends with \r): start afresh.
		fmt.Fprintf(stderr, "\n%s: %v: stopping; the rows that finished follow (signal again to exit at once)\n", who, s)
		close(bi.stop)
		s, ok = <-bi.sigs
		if !ok {
			return
		}
		if atExit != nil {
			atExit()
		}
		os.Exit(128 + int(s.(syscall.Signal)))
	}()
	return bi
}

// Stop is closed at the first signal.
func (bi *benchInterrupt) Stop() <-chan struct{} { return bi.stop }

// Interrupted reports whether a signal has asked the benchmark to stop,
// and the exit status that says so (130 for SIGINT, 143 for SIGTERM).
func (bi *benchInterrupt) Interrupted() (status int, ok bool) {
	select {
	case <-bi.stop:
		return 128 + int(bi.sig), true
	default:
		return 0, false
	}
}

// Release stops watching; signals have their default effect again.
func (bi *benchInterrupt) Release() {
	signal.Stop(bi.sigs)
	close(bi.sigs)
}

// errInterrupted ends a benchmark that a signal stopped after it printed
// what finished; status is the command's exit status.
type errInterrupted struct{ status int }

func (e errInterrupted) Error() string { return "interrupted" }
