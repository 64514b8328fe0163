package bench

import "github.com/fasync-go/fasync/internal/benchfile"

// Prepare lays out the job's file (benchfile.Prepare: a file the
// benchmarks did not make is grown or written only with the job's
// leave) and, for buffered I/O, reads it once so the measured reads hit
// the page cache.
func (j *Job) Prepare() error {
	return benchfile.Prepare(j.Filename, j.Size, benchfile.Use{Cache: !j.Direct, Write: !j.IsRead(),
		Grow: j.Grow, Overwrite: j.Overwrite, Progress: j.Progress})
}
