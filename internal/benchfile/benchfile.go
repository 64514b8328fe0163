// Package benchfile lays out the data file that the AIO benchmarks read:
// `fasync bench aio`, and the go test benchmarks of aio and internal/uring,
// which share one 1 GiB file so it is written once per machine.
package benchfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// SharedSize is the size of the file Shared names: the 1 GiB.
const SharedSize = 1 << 30

// Shared returns the path of the benchmarks' shared file:
// $FASYNC_BENCH_FILE, or fasync-bench-1g.dat in the temporary directory
// (the name `fasync bench aio` gives a 1 GiB file by default).
func Shared() string {
	if name := os.Getenv("FASYNC_BENCH_FILE"); name != "" {
		return name
	}
	return filepath.Join(os.TempDir(), "fasync-bench-1g.dat")
}

// Prepare makes sure name holds at least size bytes, writing pseudo-random
// data where it falls short (a note goes to progress, which may be nil),
// and with cache reads the first size bytes once so later reads hit the
// page cache, as fio's do on a file it has just laid out.
func Prepare(name string, size int64, cache bool, progress io.Writer) error {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	chunk := make([]byte, 1<<20)
	if st.Size() < size {
		if progress != nil {
			fmt.Fprintf(progress, "laying out %s (%d bytes)\n", name, size)
		}
		rnd := uint64(0x9E3779B97F4A7C15)
		for off := st.Size() - st.Size()%int64(len(chunk)); off < size; off += int64(len(chunk)) {
			for i := 0; i < len(chunk); i += 8 {
				// xorshift64: cheap, and incompressible enough for storage.
				rnd ^= rnd << 13
				rnd ^= rnd >> 7
				rnd ^= rnd << 17
				for k := range 8 {
					chunk[i+k] = byte(rnd >> (8 * k))
				}
			}
			if _, err := f.WriteAt(chunk[:min(int64(len(chunk)), size-off)], off); err != nil {
				return err
			}
		}
	}
	if cache {
		for off := int64(0); off < size; off += int64(len(chunk)) {
			if _, err := f.ReadAt(chunk[:min(int64(len(chunk)), size-off)], off); err != nil {
				return err
			}
		}
	}
	return nil
}
