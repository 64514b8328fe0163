package bench

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// A Row is one line of a comparison: a name, and one run of it.
type Row struct {
	Name string
	Run  func() (Result, error)
}

// CompareRows are the rows Compare runs for job, the job's own first:
// on io_uring the job with the other buffer variant and the other
// notification; for an aio.File job the Engine's fastest configuration
// (SIGEV_INLINE, registered file); every other engine with plain
// requests (with Fsync, only those that issue fsyncs); and each fio
// configuration (one row saying so when fio is not installed). A job on
// native AIO (linuxaio, file-linuxaio) measures the machine where
// io_uring is refused: its rows leave out every io_uring engine and fio
// configuration, and the linuxaio Engine job gets its other notification
// as a row too.
func CompareRows(job *Job) []Row {
	rows := []Row{{job.Engine, func() (Result, error) { return Run(job) }}}
	if job.Engine == "uring" {
		// The other buffer variant of the engine: fixed buffers beside
		// plain ones, so the table shows what registration buys.
		other := *job
		other.FixedBufs = !job.FixedBufs
		rows = append(rows, Row{"uring", func() (Result, error) { return Run(&other) }})
		// And the other notification: SIGEV_INLINE callbacks beside
		// SIGEV_CHAN consumer goroutines.
		notified := *job
		notified.Notify = map[string]string{"chan": "inline", "inline": "chan"}[job.Notify]
		// Ring threads are for SIGEV_INLINE (aio.WithRingThreads): the
		// channel row runs without them.
		notified.RingThreads = notified.RingThreads && notified.Notify == "inline"
		rows = append(rows, Row{"uring", func() (Result, error) { return Run(&notified) }})
	}
	if job.Engine == "linuxaio" {
		// The other notification, as for io_uring.
		notified := *job
		notified.Notify = map[string]string{"chan": "inline", "inline": "chan"}[job.Notify]
		rows = append(rows, Row{"linuxaio", func() (Result, error) { return Run(&notified) }})
	}
	refused := driverNamed(job.Engine).backend == "linuxaio"
	if strings.HasPrefix(job.Engine, "file") && job.Fsync == 0 && !refused {
		// The Engine's fastest way to the same I/O beside File's, which
		// registers its file: SIGEV_INLINE callbacks on a registered
		// file; with O_DIRECT also fixed buffers and one ring with a
		// thread, as fio runs its one job.
		best := *job
		best.Engine, best.Batch, best.Notify, best.RegisterFiles = "uring", 0, "inline", true
		if job.Direct {
			best.FixedBufs, best.Rings, best.RingThreads = true, 1, true
		}
		rows = append(rows, Row{"uring", func() (Result, error) { return Run(&best) }})
	}
	for _, d := range drivers {
		if d.name == job.Engine || (job.Fsync > 0 && !d.fsync) || (refused && d.backend == "uring") {
			continue
		}
		other := *job
		other.Engine, other.Batch, other.FixedBufs, other.Notify = d.name, 0, false, "chan"
		rows = append(rows, Row{d.name, func() (Result, error) { return Run(&other) }})
	}
	if _, err := exec.LookPath("fio"); err != nil {
		return append(rows, Row{"fio", func() (Result, error) {
			return Result{}, fmt.Errorf("fio not installed (apt-get install fio): no fio comparison")
		}})
	}
	for _, c := range FioConfigs(job.IODepth) {
		if refused && strings.Contains(c.Name, "io_uring") {
			continue
		}
		rows = append(rows, Row{c.Name, func() (Result, error) {
			job.progressf("%s: running %s\n", c.Name, job.Runtime)
			return runFio(job, c)
		}})
	}
	return rows
}

// Compare runs the job and, with the same parameters, the rows of
// CompareRows, rounds times each (see Rounds), and returns the job's
// result and the others'. A row reports its median run (every run's IOPS
// in IOPSRuns) or the error of its first failing run; each ratio is the
// job's median IOPS over the row's.
func Compare(job *Job, rounds int) (Result, []Result) {
	results := CompareAll(CompareRows(job), rounds)
	return results[0], results[1:]
}

// CompareAll runs rows rounds times each (see Rounds) and returns each
// row's median, with Ratio the first row's IOPS over the row's. After a
// run that reports ErrInterrupted no other starts: a row reports the
// median of the runs it finished, and a row with none ErrInterrupted.
func CompareAll(rows []Row, rounds int) []Result {
	runs := make([][]Result, len(rows))
	errs := make([]error, len(rows))
	interrupted := false
	Rounds(rounds, len(rows), func(i int) {
		if errs[i] != nil || interrupted {
			return
		}
		r, err := rows[i].Run()
		if errors.Is(err, ErrInterrupted) {
			interrupted = true
			return
		}
		if err != nil {
			errs[i] = err
			return
		}
		if r.Name == "" {
			r.Name = rows[i].Name
		}
		runs[i] = append(runs[i], r)
	})
	results := make([]Result, len(rows))
	for i := range rows {
		switch {
		case errs[i] != nil:
			results[i] = Result{Name: rows[i].Name, Err: errs[i].Error()}
		case len(runs[i]) == 0: // interrupted before this row finished a run
			results[i] = Result{Name: rows[i].Name, Err: ErrInterrupted.Error()}
		default:
			results[i] = Median(runs[i])
		}
	}
	for i := range results {
		if results[i].Err == "" && results[i].IOPS > 0 && results[0].Err == "" {
			results[i].Ratio = results[0].IOPS / results[i].IOPS
		}
	}
	return results
}

// Rounds calls run for each of n rows once per round, rounds times. The
// rounds alternate direction (forward, then backward, ...) so that on a
// shared machine, where the load drifts during a long comparison, no row
// always runs early or late.
func Rounds(rounds, n int, run func(row int)) {
	for round := range rounds {
		for k := range n {
			i := k
			if round%2 == 1 {
				i = n - 1 - k
			}
			run(i)
		}
	}
}
