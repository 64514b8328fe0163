package scull

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/fasync-go/fasync/kernel"
)

// Benchmarks, each beside its baseline in the same run (compare the
// sub-benchmarks' ns/op and MB/s; the machine is shared, so only ratios
// within one run mean anything):
//
//	BenchmarkLatency:    write one byte -> owner notified -> byte read -> ack,
//	                     through scullpipe+SIGIO in the model, a kernel pipe
//	                     with real SIGIO (os/signal), and a kernel pipe read by
//	                     the Go netpoller.
//	BenchmarkThroughput: bulk transfer through scullpipe and through a kernel
//	                     pipe (os.Pipe) at 4 KiB and 64 KiB per write.

// BenchmarkLatency measures one round trip per op: the benchmark goroutine
// writes one byte and waits until the reader has been notified, read it
// and acknowledged.
func BenchmarkLatency(b *testing.B) {
	b.Run("model-scullpipe-SIGIO", benchModelLatency)
	b.Run("kernel-pipe-SIGIO-os.signal", benchRealSIGIOLatency) // bench_linux_test.go
	b.Run("kernel-pipe-netpoller", benchNetpollerLatency)
}

// benchModelLatency: an asynctest-style task sleeps in Pause with a SIGIO
// handler installed, F_SETOWN to itself and FASYNC on; each wake-up drains
// the device (non-blocking reads to EAGAIN) and acknowledges.
func benchModelLatency(b *testing.B) {
	k, _ := setup(b, Config{Devices: 1})
	reader, writer := k.NewTask("asynctest", kernel.Cred{}), k.NewTask("writer", kernel.Cred{})
	if _, err := reader.Sigaction(kernel.SIGIO, kernel.Sigaction{Handler: func(*kernel.Task, *kernel.SigInfo) {}}); err != nil {
		b.Fatal(err)
	}
	rfd := open(b, reader, "scullpipe0", kernel.O_RDONLY|kernel.O_NONBLOCK)
	setAsync(b, reader, rfd, reader.Pid(), 0)
	wfd := open(b, writer, "scullpipe0", kernel.O_WRONLY)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ack := make(chan error, 1)
	go func() {
		buf := make([]byte, 64)
		for {
			if err := reader.Pause(ctx); !errors.Is(err, syscall.EINTR) {
				return
			}
			for {
				_, err := reader.Read(ctx, rfd, buf)
				if errors.Is(err, syscall.EAGAIN) {
					break
				}
				if err != nil {
					ack <- err
					return
				}
			}
			ack <- nil
		}
	}()
	one := []byte{1}
	b.ResetTimer()
	for range b.N {
		if _, err := writer.Write(ctx, wfd, one); err != nil {
			b.Fatal(err)
		}
		if err := <-ack; err != nil {
			b.Fatal(err)
		}
	}
}

// benchNetpollerLatency: a goroutine blocked in (*os.File).Read on a kernel
// pipe, parked in the Go netpoller; the baseline with no signal at all.
func benchNetpollerLatency(b *testing.B) {
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ack := make(chan error, 1)
	go func() {
		buf := make([]byte, 64)
		for {
			if _, err := r.Read(buf); err != nil {
				return
			}
			ack <- nil
		}
	}()
	one := []byte{1}
	b.ResetTimer()
	for range b.N {
		if _, err := w.Write(one); err != nil {
			b.Fatal(err)
		}
		<-ack
	}
}

// BenchmarkThroughput streams b.N writes of each size from a writer to a
// reader. The scullpipe buffer is max(64 KiB, 4 × the write size) — 64 KiB
// for 4 KiB writes, 256 KiB for 64 KiB writes — and on Linux the kernel
// pipe's capacity is set to the same size with F_SETPIPE_SZ, so both sides
// hold the same amount in flight.
func BenchmarkThroughput(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10} {
		buffer := max(64<<10, 4*size)
		b.Run(fmt.Sprintf("scullpipe/%dKiB", size>>10), func(b *testing.B) { benchScullThroughput(b, size, buffer, false) })
		b.Run(fmt.Sprintf("scullpipe-driver-only/%dKiB", size>>10), func(b *testing.B) { benchScullThroughput(b, size, buffer, true) })
		b.Run(fmt.Sprintf("kernel-pipe/%dKiB", size>>10), func(b *testing.B) { benchPipeThroughput(b, size, buffer) })
	}
}

// benchScullThroughput moves data through scullpipe with read and write
// system calls on tasks; with driverOnly it calls the driver's Read and
// Write methods directly on the same open files, which leaves out the
// kernel's per-call work (descriptor lookup, signal-interruptible call
// bookkeeping) and shows what the driver itself costs.
func benchScullThroughput(b *testing.B, size, buffer int, driverOnly bool) {
	k, ps := setup(b, Config{Devices: 1, Size: buffer + 1}) // +1: the slot that stays free (B2)
	reader, writer := k.NewTask("reader", kernel.Cred{}), k.NewTask("writer", kernel.Cred{})
	rfd := open(b, reader, "scullpipe0", kernel.O_RDONLY)
	wfd := open(b, writer, "scullpipe0", kernel.O_WRONLY)
	ctx := context.Background()
	read, write := reader.Read, writer.Write
	if driverOnly {
		p, rf, wf := ps.Pipe(0), file(b, reader, rfd), file(b, writer, wfd)
		read = func(ctx context.Context, _ int, buf []byte) (int, error) { return p.Read(ctx, rf, buf) }
		write = func(ctx context.Context, _ int, buf []byte) (int, error) { return p.Write(ctx, wf, buf) }
	}
	chunk := make([]byte, size)
	b.SetBytes(int64(size))
	b.ResetTimer()
	errc := make(chan error, 1)
	go func() {
		for range b.N {
			for p := chunk; len(p) > 0; {
				n, err := write(ctx, wfd, p)
				if err != nil {
					errc <- err
					return
				}
				p = p[n:]
			}
		}
		errc <- nil
	}()
	buf := make([]byte, size)
	for want := int64(b.N) * int64(size); want > 0; {
		n, err := read(ctx, rfd, buf)
		if err != nil {
			b.Fatal(err)
		}
		want -= int64(n)
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
}

func benchPipeThroughput(b *testing.B, size, buffer int) {
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := setPipeSize(w, buffer); err != nil { // bench_linux_test.go
		b.Fatal(err)
	}
	chunk := make([]byte, size)
	b.SetBytes(int64(size))
	b.ResetTimer()
	errc := make(chan error, 1)
	go func() {
		for range b.N {
			if _, err := w.Write(chunk); err != nil { // os.File.Write loops over short writes
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	buf := make([]byte, size)
	for want := int64(b.N) * int64(size); want > 0; {
		n, err := r.Read(buf)
		if err != nil {
			b.Fatal(err)
		}
		want -= int64(n)
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
}
