// Package benchfile holds what every benchmark of the tree shares below
// the harness (internal/bench): the data file the AIO benchmarks read
// (`fasync bench aio` and the go test benchmarks of aio and internal/uring
// share one 1 GiB file, so it is written once per machine), a xorshift
// random source and the process's CPU time. It imports nothing of the
// project, so the tests of aio and internal/uring, which internal/bench
// imports, can use it too.
package benchfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
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
		// xorshift: cheap, and incompressible enough for storage.
		rnd := NewRand(0)
		for off := st.Size() - st.Size()%int64(len(chunk)); off < size; off += int64(len(chunk)) {
			rnd.Fill(chunk)
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

// OpenShared opens the shared file (Shared) with flag, after laying it
// out to SharedSize bytes if it falls short and, unless flag asks for
// O_DIRECT, reading it once so its pages are cached.
func OpenShared(flag int) (*os.File, error) {
	name := Shared()
	if err := Prepare(name, SharedSize, flag&syscall.O_DIRECT == 0, nil); err != nil {
		return nil, fmt.Errorf("bench file: %w", err)
	}
	return os.OpenFile(name, flag, 0)
}

// PageBuffers maps n buffers of size bytes outside the Go heap, each
// starting on a page boundary (a destination aligned to less halves copy
// speed on these CPUs), filled with random bytes; free unmaps them.
func PageBuffers(n int, size int64) (bufs [][]byte, free func(), err error) {
	per := (size + 4095) &^ 4095
	mem, err := unix.Mmap(-1, 0, int(per)*n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
	if err != nil {
		return nil, nil, fmt.Errorf("buffers: %w", err)
	}
	rnd := NewRand(12345)
	rnd.Fill(mem)
	bufs = make([][]byte, n)
	for i := range bufs {
		bufs[i] = mem[int64(i)*per : int64(i)*per+size : int64(i)*per+size]
	}
	return bufs, func() { unix.Munmap(mem) }, nil
}
