package pipe_test

import (
	"testing"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/pipe"
)

// BenchmarkModelPipe is one 4 KiB write and one 4 KiB read on the model
// pipe, from one task: the cost of the driver and the kernel's system
// call path. BenchmarkLinuxPipe (bench_linux_test.go) is the same on a
// real pipe, the baseline to compare it with in the same run.
func BenchmarkModelPipe(b *testing.B) {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	task := k.NewTask("bench", kernel.Cred{})
	r, w, err := pipe.Pipe2(task, kernel.O_NONBLOCK)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, pipe.PageSize)
	b.SetBytes(pipe.PageSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := task.Write(bg, w, buf); err != nil {
			b.Fatal(err)
		}
		if _, err := task.Read(bg, r, buf); err != nil {
			b.Fatal(err)
		}
	}
}
