//go:build linux

package scull

import (
	"os"
	"os/signal"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// benchRealSIGIOLatency is the model's asynctest round trip on the real
// kernel: a pipe's read end gets F_SETOWN(getpid()) and O_ASYNC, the
// process receives SIGIO through os/signal, and the reader drains the pipe
// with non-blocking reads to EAGAIN before acknowledging. Standard signals
// coalesce, but the benchmark keeps one byte in flight, so every write
// raises one SIGIO.
func benchRealSIGIOLatency(b *testing.B) {
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	rc, err := r.SyscallConn()
	if err != nil {
		b.Fatal(err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGIO)
	defer signal.Stop(sigs)
	// Control, not Fd(): Fd would switch the descriptor to blocking mode.
	var ferr error
	arm := func(on bool) func(fd uintptr) {
		return func(fd uintptr) {
			if _, ferr = unix.FcntlInt(fd, unix.F_SETOWN, os.Getpid()); ferr != nil {
				return
			}
			fl, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
			if ferr = err; err != nil {
				return
			}
			if on {
				fl |= unix.O_ASYNC
			} else {
				fl &^= unix.O_ASYNC
			}
			_, ferr = unix.FcntlInt(fd, unix.F_SETFL, fl)
		}
	}
	if err := rc.Control(arm(true)); err != nil || ferr != nil {
		b.Fatalf("arming O_ASYNC: %v %v", err, ferr)
	}
	defer rc.Control(arm(false)) // no stray SIGIO after the benchmark

	ack := make(chan error, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		buf := make([]byte, 64)
		for {
			select {
			case <-sigs:
			case <-stop:
				return
			}
			// RawConn.Read with a function that always reports done: one
			// non-blocking read(2) per call, never the netpoller.
			for {
				var n int
				var rerr error
				if err := rc.Read(func(fd uintptr) bool { n, rerr = unix.Read(int(fd), buf); return true }); err != nil {
					ack <- err
					return
				}
				if rerr == unix.EAGAIN || n <= 0 {
					break
				}
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
		if err := <-ack; err != nil {
			b.Fatal(err)
		}
	}
}

// setPipeSize sets a kernel pipe's capacity (F_SETPIPE_SZ), so the
// throughput baseline holds as much in flight as the scullpipe buffer.
func setPipeSize(f *os.File, size int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { _, serr = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, size) }); err != nil {
		return err
	}
	return serr
}
