package benchfile

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// CPUTime is the CPU time this process has used, user and system, all
// threads: unlike wall time it holds up as a cost when other processes
// share the machine.
func CPUTime() time.Duration {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ReportCPU starts counting and returns the function that reports, as
// the benchmark's "cpu-ns/op" metric, the process's CPU time per op
// since: call it with defer after b.ResetTimer.
func ReportCPU(b *testing.B) func() {
	start := CPUTime()
	return func() { b.ReportMetric(float64(CPUTime()-start)/float64(b.N), "cpu-ns/op") }
}
