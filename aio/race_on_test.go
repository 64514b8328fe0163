//go:build race

package aio

// raceEnabled reports a -race build, where sync.Pool drops items on purpose.
const raceEnabled = true
