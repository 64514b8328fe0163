package kernel

import (
	"fmt"
	"sync"
	"testing"
)

// BenchmarkKillFasyncEmpty measures kill_fasync on an empty list, the
// common case every driver write pays (SPEC A5: one atomic load, no lock,
// no allocation; goal <= 2 ns/op). Compare with the baselines below, run
// in the same invocation.
func BenchmarkKillFasyncEmpty(b *testing.B) {
	var l FasyncList
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.Kill(SIGIO, POLL_IN)
	}
}

// lockedList is the baseline: the same emptiness check behind a mutex,
// as a list without the atomic snapshot would need.
type lockedList struct {
	mu      sync.Mutex
	entries []*fasyncEntry
}

func (l *lockedList) kill() int {
	l.mu.Lock()
	n := len(l.entries)
	l.mu.Unlock()
	return n
}

// BenchmarkKillFasyncEmptyBaselineMutex is the mutex-protected check, one
// goroutine.
func BenchmarkKillFasyncEmptyBaselineMutex(b *testing.B) {
	var l lockedList
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.kill()
	}
}

// BenchmarkKillFasyncEmptyParallel is the empty-list kill from every
// core at once: the atomic load shares the cache line read-only.
func BenchmarkKillFasyncEmptyParallel(b *testing.B) {
	var l FasyncList
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Kill(SIGIO, POLL_IN)
		}
	})
}

// BenchmarkKillFasyncEmptyParallelBaselineMutex is the mutex check from
// every core at once: the lock's cache line bounces.
func BenchmarkKillFasyncEmptyParallelBaselineMutex(b *testing.B) {
	var l lockedList
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.kill()
		}
	})
}

// BenchmarkKillFasync measures kill_fasync notifying 1, 10 and 1000
// owners (each file owned by its own task with a SIGIO handler; the
// pending SIGIO coalesces, as it does in Linux), beside two baselines in
// the same run: the same signals sent one by one with Kernel.Kill, and a
// Go-native notification (a non-blocking send on one buffered channel per
// owner).
func BenchmarkKillFasync(b *testing.B) {
	for _, owners := range []int{1, 10, 1000} {
		k := New(Config{})
		k.Register("dev", bareDev{})
		var l FasyncList
		pids := make([]int, owners)
		for i := range owners {
			task := k.NewTask("owner", Cred{})
			task.Sigaction(SIGIO, Sigaction{Handler: func(*Task, *SigInfo) {}})
			fd := mustOpen(b, task, "dev", O_RDONLY)
			mustFcntl(b, task, fd, F_SETOWN, task.Pid())
			f, _ := task.File(fd)
			l.Helper(fd, f, true)
			pids[i] = task.Pid()
		}
		b.Run(fmt.Sprintf("owners=%d/fasync", owners), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l.Kill(SIGIO, POLL_IN)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(owners), "ns/owner")
		})
		b.Run(fmt.Sprintf("owners=%d/baseline-kill-loop", owners), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, pid := range pids {
					k.Kill(pid, SIGIO)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(owners), "ns/owner")
		})
		b.Run(fmt.Sprintf("owners=%d/baseline-chan", owners), func(b *testing.B) {
			chans := make([]chan struct{}, owners)
			for i := range chans {
				chans[i] = make(chan struct{}, 1)
			}
			b.ReportAllocs()
			for b.Loop() {
				for _, ch := range chans {
					select {
					case ch <- struct{}{}:
					default:
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(owners), "ns/owner")
		})
		k.Close()
	}
}
