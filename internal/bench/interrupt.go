package bench

import "errors"

// ErrInterrupted is the error of a run that a stop channel (Job.Stop,
// MeasureCases's stop) ended before it finished; comparisons start no
// row after it, and report what finished before (SPEC U9).
var ErrInterrupted = errors.New("interrupted")

// stopped reports whether stop is closed; a nil stop never is.
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}
