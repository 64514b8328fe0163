package bench

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// A Case is one row of a comparison that measures one number per run,
// in Unit (MB/s, or µs per round trip), beside a baseline row.
type Case struct {
	Name     string
	Unit     string
	Base     int  // the row this one is compared with as well as the first
	Baseline bool // the row is a baseline (a kernel FIFO), not the thing measured
	Run      func() (float64, error)

	Runs   []float64 // each run's result, in run order (MeasureCases)
	Median float64
}

// MeasureCases runs every case once per round, rounds times, in
// alternating order (see Rounds), so a change in the machine's load hits
// the baseline and the others alike, and fills each case's Runs and
// Median. Each run gets a line on progress (which may be nil): its place
// in the whole, the case, its result and how long it took. It stops at
// the first failing run. Once stop is closed (nil: never) it starts no
// other run and returns ErrInterrupted, with the Runs and Median of the
// runs that finished (a case with none has no Runs).
func MeasureCases(rounds int, cases []Case, progress io.Writer, stop <-chan struct{}) error {
	var err error
	n := 0
	Rounds(rounds, len(cases), func(i int) {
		if err == nil && stopped(stop) {
			err = ErrInterrupted
		}
		if err != nil {
			return
		}
		n++
		c := &cases[i]
		t0 := time.Now()
		x, e := c.Run()
		if e != nil {
			err = fmt.Errorf("%s: %w", c.Name, e)
			return
		}
		c.Runs = append(c.Runs, x)
		if progress != nil {
			fmt.Fprintf(progress, "run %d of %d (round %d): %s: %.4g %s in %.1fs\n", n, rounds*len(cases),
				len(c.Runs), c.Name, x, c.Unit, time.Since(t0).Seconds())
		}
	})
	if err != nil && err != ErrInterrupted {
		return err
	}
	for i := range cases {
		if len(cases[i].Runs) > 0 {
			sorted := slices.Sorted(slices.Values(cases[i].Runs))
			cases[i].Median = sorted[len(sorted)/2]
		}
	}
	return err
}
