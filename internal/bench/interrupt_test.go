package bench

import (
	"errors"
	"testing"
)

// U9: after a run that reports ErrInterrupted CompareAll starts no other
// run; rows report the median of the runs they finished, and a row with
// none says it was interrupted.
func TestCompareAllInterrupted(t *testing.T) {
	calls := 0
	row := func(iops float64, interruptAt int) Row {
		return Row{Name: "row", Run: func() (Result, error) {
			calls++
			if calls == interruptAt {
				return Result{}, ErrInterrupted
			}
			return Result{IOPS: iops}, nil
		}}
	}
	// Three rows, two rounds: calls 1-3 forward, then row 2 (call 4)
	// is interrupted.
	rows := []Row{row(100, 4), row(200, 4), row(400, 4)}
	res := CompareAll(rows, 2)
	if calls != 4 {
		t.Errorf("U9: %d runs, want 4: none after the interrupted one", calls)
	}
	for i, want := range []float64{100, 200, 400} {
		if res[i].Err != "" || res[i].IOPS != want || len(res[i].IOPSRuns) != 1 {
			t.Errorf("U9: row %d: %+v, want the median of its one finished run, %v IOPS", i, res[i], want)
		}
	}
	calls = 0
	res = CompareAll([]Row{row(100, 2), row(200, 2)}, 1)
	if res[0].Err != "" || res[1].Err != ErrInterrupted.Error() {
		t.Errorf("U9: %+v, want the first row measured and the second interrupted", res)
	}
}

// U9: once stop is closed MeasureCases starts no run and returns
// ErrInterrupted with the medians of the runs that finished.
func TestMeasureCasesInterrupted(t *testing.T) {
	stop := make(chan struct{})
	runs := 0
	run := func() (float64, error) {
		runs++
		if runs == 3 {
			close(stop) // during the third run: it finishes, no fourth starts
		}
		return float64(runs), nil
	}
	cases := []Case{{Name: "a", Run: run}, {Name: "b", Run: run}, {Name: "c", Run: run}, {Name: "d", Run: run}}
	err := MeasureCases(2, cases, nil, stop)
	if !errors.Is(err, ErrInterrupted) || runs != 3 {
		t.Fatalf("U9: MeasureCases: %v after %d runs, want ErrInterrupted after 3", err, runs)
	}
	for i, want := range []float64{1, 2, 3} {
		if len(cases[i].Runs) != 1 || cases[i].Median != want {
			t.Errorf("U9: case %d: runs %v median %v, want one run, median %v", i, cases[i].Runs, cases[i].Median, want)
		}
	}
	if len(cases[3].Runs) != 0 {
		t.Errorf("U9: case d ran after the stop: %v", cases[3].Runs)
	}
}
