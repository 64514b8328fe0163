package uring

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// needUring skips t when this machine cannot create an io_uring, naming why.
func needUring(t testing.TB) {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("io_uring unavailable, skipping: %v", err)
	}
}

// newRing sets up a ring closed at the end of t.
func newRing(t testing.TB, cfg Config) *Ring {
	t.Helper()
	needUring(t)
	r, err := Setup(cfg)
	if err != nil {
		t.Fatalf("Setup(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// tempFile creates a file of size bytes holding pattern(off) at each offset.
func tempFile(t testing.TB, size int) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = pattern(int64(i))
	}
	if _, err := f.Write(buf); err != nil {
		t.Fatal(err)
	}
	return f
}

// pattern is the byte tempFile puts at off: not periodic at 4 KiB, so a
// read from the wrong offset shows.
func pattern(off int64) byte { return byte(off*7 + off/4093) }

// pageBuf is n bytes of page-aligned memory outside the Go heap.
func pageBuf(t testing.TB, n int) []byte {
	t.Helper()
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(b) })
	return b
}

// reapN submits what is prepared and waits for n completions.
func reapN(t testing.TB, r *Ring, n int) []CQE {
	t.Helper()
	if _, err := r.SubmitAndWait(uint32(n)); err != nil {
		t.Fatalf("SubmitAndWait: %v", err)
	}
	cqes := make([]CQE, n)
	if got := r.Reap(cqes); got != n {
		t.Fatalf("Reap got %d completions, want %d", got, n)
	}
	return cqes
}

// pipe returns a pipe's read and write descriptors, closed at the end of t.
func pipe(t testing.TB) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p[0], p[1]
}

// submitRead queues a read of fd into buf at off (-1: the file position)
// with user_data ud on l, failing t unless it was queued.
func submitRead(t testing.TB, l *Loop, fd int, buf []byte, off int64, ud uint64, flags uint8) {
	t.Helper()
	var s [1]SQE
	s[0].PrepRead(fd, buf, off, ud)
	s[0].Flags |= flags
	if n, err := l.Submit(s[:]); n != 1 || err != nil {
		t.Fatalf("Submit: %d, %v", n, err)
	}
}
