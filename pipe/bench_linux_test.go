package pipe_test

import (
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkLinuxPipe is BenchmarkModelPipe's baseline: the same write and
// read on a real pipe, through raw system calls.
func BenchmarkLinuxPipe(b *testing.B) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		b.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	buf := make([]byte, 4096)
	b.SetBytes(4096)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := unix.Write(p[1], buf); err != nil {
			b.Fatal(err)
		}
		if _, err := unix.Read(p[0], buf); err != nil {
			b.Fatal(err)
		}
	}
}
