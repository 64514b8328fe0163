package bench

import (
	"fmt"
	"io"
	"time"
)

// A Job is one AIO benchmark's parameters, in fio's terms.
type Job struct {
	RW       string // randread, randwrite, read or write
	BS       int64  // bytes per request
	IODepth  int    // requests kept in flight
	Size     int64  // bytes of the file used (a multiple of BS once checked)
	Runtime  time.Duration
	Direct   bool   // open the file O_DIRECT
	Filename string // the data file
	Engine   string // a driver's name: uring, linuxaio, threads, file, ... (see Engines)
	Rings    int    // io_uring rings (0: one per CPU)
	Batch    int    // submit with ListIO in lists of Batch requests (0: one Read or Write per request)
	Notify   string // how the engine announces completions: "chan" (SIGEV_CHAN) or "inline" (SIGEV_INLINE)
	Fsync    int    // write jobs: an fsync after every Fsync-th write, as fio's --fsync (0: none)

	FixedBufs     bool // buffers from the engine's arena (aio.WithBufferArena): fixed-buffer I/O on io_uring
	RegisterFiles bool // the file registered with the engine (Engine.RegisterFile): fixed files on io_uring
	RingThreads   bool // a thread per ring (aio.WithRingThreads: SINGLE_ISSUER | DEFER_TASKRUN)

	// Grow and Overwrite give leave to lay out, or to write to, a file
	// the benchmarks did not make (benchfile.Use).
	Grow, Overwrite bool

	Progress io.Writer `json:"-"` // a progress line per run goes here (nil: none)
	// Stop, when closed, ends the run in progress early and starts no
	// other: the run reports ErrInterrupted (nil: runs go to the end).
	Stop <-chan struct{} `json:"-"`
}

// MaxBS is the largest block a job may use.
const MaxBS = 64 << 20

// MaxIODepth is the deepest queue a job may keep.
const MaxIODepth = 4096

// IsRead reports whether the job reads.
func (j *Job) IsRead() bool { return j.RW == "randread" || j.RW == "read" }

// IsRandom reports whether the job's offsets are random.
func (j *Job) IsRandom() bool { return j.RW == "randread" || j.RW == "randwrite" }

// Check reports the first parameter out of range, named by its fio
// option, and rounds Size down to whole blocks.
func (j *Job) Check() error {
	switch j.RW {
	case "randread", "randwrite", "read", "write":
	default:
		return fmt.Errorf("--rw %q: want randread, randwrite, read or write", j.RW)
	}
	if driverNamed(j.Engine) == nil {
		return fmt.Errorf("--engine %q: want %s", j.Engine, orList(Engines()))
	}
	if j.BS <= 0 || j.BS > MaxBS {
		return fmt.Errorf("--bs %d: want 1 B to 64 MiB", j.BS)
	}
	if j.Size < j.BS {
		return fmt.Errorf("--size %d: want at least one block, --bs %d", j.Size, j.BS)
	}
	j.Size -= j.Size % j.BS
	if j.Runtime <= 0 {
		return fmt.Errorf("--runtime %v: want a positive duration", j.Runtime)
	}
	if j.IODepth <= 0 || j.IODepth > MaxIODepth {
		return fmt.Errorf("--iodepth %d: want 1 to %d", j.IODepth, MaxIODepth)
	}
	if j.Direct && j.BS%512 != 0 {
		return fmt.Errorf("--direct needs --bs a multiple of 512, not %d", j.BS)
	}
	if j.Notify != "chan" && j.Notify != "inline" {
		return fmt.Errorf("--notify %q: want chan or inline", j.Notify)
	}
	if j.Batch < 0 || (j.Batch > 0 && j.IODepth%j.Batch != 0) {
		return fmt.Errorf("--batch %d: want 0 or a divisor of --iodepth %d", j.Batch, j.IODepth)
	}
	if j.Fsync < 0 || (j.Fsync > 0 && j.IsRead()) {
		return fmt.Errorf("--fsync %d: want 0, or a positive count with a write job", j.Fsync)
	}
	if j.Fsync > 0 && !driverNamed(j.Engine).fsync {
		return fmt.Errorf("--fsync: engine %s does not issue fsyncs (file, file-threads, file-linuxaio and goroutines do)", j.Engine)
	}
	if j.Rings < 0 {
		return fmt.Errorf("--rings %d: want 0 (one per CPU) or more", j.Rings)
	}
	if j.Filename == "" {
		return fmt.Errorf("no file named")
	}
	return nil
}

// orList writes "a, b or c".
func orList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	s := names[0]
	for _, n := range names[1 : len(names)-1] {
		s += ", " + n
	}
	return s + " or " + names[len(names)-1]
}

func (j *Job) progressf(format string, args ...any) {
	if j.Progress != nil {
		fmt.Fprintf(j.Progress, format, args...)
	}
}
