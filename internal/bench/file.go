package bench

import "github.com/fasync-go/fasync/internal/benchfile"

// Prepare lays out the job's file and, for buffered I/O, reads it once so
// the measured reads hit the page cache.
func (j *Job) Prepare() error {
	return benchfile.Prepare(j.Filename, j.Size, !j.Direct, j.Progress)
}
