package aio

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"unsafe"

	"github.com/fasync-go/fasync/internal/benchfile"
	"golang.org/x/sys/unix"
)

// BenchmarkSyscallRead4K (SPEC C18) makes the bare system calls behind
// a page-cached 4 KiB read, 32 goroutines on the shared benchmark file,
// no aio code in between: pread64 as os.File makes it, and preadv2 with
// RWF_NOWAIT as File's try makes it, each through Syscall6 (the runtime
// told of the call: entersyscall, exitsyscall) and through RawSyscall6
// (not told). It shows what each part of the try costs. A preadv2 that
// finds the page missing (EAGAIN, counted as eagain/op) is read again
// with pread64.
//
//	go test -run '^$' -bench 'SyscallRead4K' -count 3 ./aio
func BenchmarkSyscallRead4K(b *testing.B) {
	type call func(fd int, p []byte, off int64) syscall.Errno
	pread := func(raw bool) call {
		return func(fd int, p []byte, off int64) syscall.Errno {
			if raw {
				_, _, e := unix.RawSyscall6(unix.SYS_PREAD64, uintptr(fd),
					uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)), uintptr(off), 0, 0)
				return e
			}
			_, _, e := unix.Syscall6(unix.SYS_PREAD64, uintptr(fd),
				uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)), uintptr(off), 0, 0)
			return e
		}
	}
	preadv2 := func(raw bool) call {
		return func(fd int, p []byte, off int64) syscall.Errno {
			if !raw {
				_, e := nowait(unix.SYS_PREADV2, fd, p, off) // File's try
				return e
			}
			iov := unix.Iovec{Base: unsafe.SliceData(p)}
			iov.SetLen(len(p))
			_, _, e := unix.RawSyscall6(unix.SYS_PREADV2, uintptr(fd), uintptr(unsafe.Pointer(&iov)), 1, uintptr(off), 0, unix.RWF_NOWAIT)
			return e
		}
	}
	for _, c := range []struct {
		name string
		fn   call
	}{
		{"pread64", pread(false)},
		{"pread64-raw", pread(true)},
		{"preadv2-nowait", preadv2(false)},
		{"preadv2-nowait-raw", preadv2(true)},
	} {
		b.Run(c.name+"/g32", func(b *testing.B) {
			f, err := benchfile.OpenShared(os.O_RDONLY)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			fd := int(f.Fd())
			b.SetBytes(benchBlock)
			bufs := benchBuffers(b, fileBenchGoroutines)
			per := b.N / fileBenchGoroutines
			var wg sync.WaitGroup
			var eagain atomic.Int64
			b.ResetTimer()
			defer benchfile.ReportCPU(b)()
			for k := range fileBenchGoroutines {
				n := per
				if k == 0 {
					n += b.N % fileBenchGoroutines
				}
				wg.Go(func() {
					rnd := benchfile.NewRand(uint64(k))
					for range n {
						off := rnd.Block(benchFileSize, benchBlock)
						e := c.fn(fd, bufs[k], off)
						if e == syscall.EAGAIN {
							// The page is not cached (or its folio is
							// locked): File's engine would read it.
							eagain.Add(1)
							e = 0
							if _, err := unix.Pread(fd, bufs[k], off); err != nil {
								e = errnoOf(err)
							}
						}
						if e != 0 {
							b.Errorf("read: %v", e)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(eagain.Load())/float64(b.N), "eagain/op")
		})
	}
}
