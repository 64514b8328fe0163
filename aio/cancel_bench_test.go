package aio

import (
	"runtime"
	"syscall"
	"testing"
)

// Cancel of a read blocked on an empty pipe, on each backend: submit the
// read, cancel it (SPEC C8). ns/op is the whole round; compare the
// backends' rows with each other, measured in the same run. The
// thread pool's "taken" rows wait until a worker has taken the read
// before cancelling, so Cancel stops it in the worker rather than in the
// queue.
//
//	go test -run '^$' -bench CancelBlockedRead ./aio
func BenchmarkCancelBlockedRead(b *testing.B) {
	for _, v := range []struct {
		be    string
		taken bool
	}{{"uring", false}, {"threads", false}, {"threads", true}} {
		be, ok := registry[v.be]
		if !ok || be.available() != nil {
			continue
		}
		name := "engine=" + be.name
		if v.taken {
			name += "/taken"
		}
		b.Run(name, func(b *testing.B) {
			e, err := New(WithBackend(be.name))
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			var p [2]int
			if err := syscall.Pipe(p[:]); err != nil {
				b.Fatal(err)
			}
			defer syscall.Close(p[0])
			defer syscall.Close(p[1])
			r := &Request{Fd: p[0], Buf: make([]byte, 1)}
			b.ReportAllocs()
			for b.Loop() {
				if err := e.Read(r); err != nil {
					b.Fatal(err)
				}
				for v.taken && r.bkState.Load() != tbRunning {
					runtime.Gosched()
				}
				if res, err := e.Cancel(p[0], r); res != AIO_CANCELED || err != nil {
					b.Fatalf("Cancel = %d, %v", res, err)
				}
				if _, err := r.Return(); err != syscall.ECANCELED {
					b.Fatalf("Return: %v, want ECANCELED", err)
				}
			}
		})
	}
}
