package kernel

import (
	"context"
	"testing"
)

// nopDev reads and writes at once without touching ctx or any lock: with
// it a Task.Read or Task.Write costs only the kernel's call layer.
type nopDev struct{}

func (nopDev) Read(_ context.Context, _ *File, p []byte) (int, error)  { return len(p), nil }
func (nopDev) Write(_ context.Context, _ *File, p []byte) (int, error) { return len(p), nil }

// errDev checks its context once, as a driver that looks before it does
// anything would; it reads only ctx.Err, so the call stays cheap.
type errDev struct{}

func (errDev) Read(ctx context.Context, _ *File, p []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// BenchmarkCallOverhead measures the kernel's per-call cost: the
// descriptor lookup, the file reference, registering the call so signals,
// Close and Kernel.Close can interrupt it, and the safe point on return.
// The driver returns at once, so the difference between Task.Read and the
// baseline (the same driver's Read called directly through the Reader
// interface, in the same run) is the call layer. allocs/op is the number
// of heap allocations one successful non-blocking call makes.
func BenchmarkCallOverhead(b *testing.B) {
	k := New(Config{})
	defer k.Close()
	k.Register("nop", nopDev{})
	k.Register("err", errDev{})
	task := k.NewTask("bench", Cred{})
	fd := mustOpen(b, task, "nop", O_RDWR)
	efd := mustOpen(b, task, "err", O_RDONLY)
	f, _ := task.File(fd)
	buf := make([]byte, 64)
	bg := context.Background()
	cctx, cancel := context.WithCancel(bg)
	defer cancel()

	b.Run("Task.Read", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := task.Read(bg, fd, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Task.Write", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := task.Write(bg, fd, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Task.Read-cancellable-ctx", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := task.Read(cctx, fd, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Task.Read-driver-checks-Err", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := task.Read(cctx, efd, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-driver-direct", func(b *testing.B) {
		r := f.reader // an indirect call, as the kernel makes it
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Read(bg, f, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-lookup-only", func(b *testing.B) {
		// Task.File: one lock round trip on the task, the least any
		// descriptor call can do.
		b.ReportAllocs()
		for b.Loop() {
			if _, err := task.File(fd); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCallOverheadParallel is Task.Read from every core at once on
// one task (several threads of one process), beside the direct driver
// call in the same run: what the task's shared state costs when contended.
func BenchmarkCallOverheadParallel(b *testing.B) {
	k := New(Config{})
	defer k.Close()
	k.Register("nop", nopDev{})
	task := k.NewTask("bench", Cred{})
	fd := mustOpen(b, task, "nop", O_RDONLY)
	f, _ := task.File(fd)
	bg := context.Background()
	b.Run("Task.Read", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			buf := make([]byte, 64)
			for pb.Next() {
				if _, err := task.Read(bg, fd, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("baseline-driver-direct", func(b *testing.B) {
		r := f.reader
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			buf := make([]byte, 64)
			for pb.Next() {
				if _, err := r.Read(bg, f, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
