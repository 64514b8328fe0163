package aio

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fasync-go/fasync/internal/testutil"
)

// countWorkerCalls makes the pool count the requests its workers perform.
// It must be called before the pool has any request.
func countWorkerCalls(p *threadBackend) *atomic.Int64 {
	var n atomic.Int64
	run := p.run
	p.run = func(r *Request, w *workerSlot) (int, syscall.Errno) {
		n.Add(1)
		return run(r, w)
	}
	return &n
}

// poolCount reads one of the pool's counts under its lock.
func poolCount(p *threadBackend, count func() int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return count()
}

// waitQueued waits until the pool holds n requests no worker has taken.
func waitQueued(t *testing.T, p *threadBackend, n int) {
	t.Helper()
	testutil.WaitFor(t, fmt.Sprintf("%d queued requests", n), func() bool {
		return poolCount(p, func() int { return p.queued }) == n
	})
}

// waitIdle waits until n of the pool's workers wait for work.
func waitIdle(t *testing.T, p *threadBackend, n int) {
	t.Helper()
	testutil.WaitFor(t, fmt.Sprintf("%d idle workers", n), func() bool {
		return poolCount(p, func() int { return p.idle }) == n
	})
}

// newIdlePool returns an engine on a thread pool of two workers, once
// both wait for work, and the pool. The engine is closed at the test's
// end.
func newIdlePool(t *testing.T) (*Engine, *threadBackend) {
	t.Helper()
	e, err := New(WithBackend("threads"), WithWorkers(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	pool := e.bk.(*threadBackend)
	waitIdle(t, pool, 2)
	return e, pool
}

// C16: on the thread pool a File call on a regular file makes its system
// call on its own goroutine, in an idle worker's place, so no worker
// performs it; a call on a pipe goes to a worker, where Close can stop it.
func TestFileCallsHere(t *testing.T) {
	e, pool := newIdlePool(t)
	performed := countWorkerCalls(pool)

	data := bytes.Repeat([]byte("here!!!!"), 1024)
	f, name := newTestFile(t, e, data, os.O_RDWR)
	if err := f.Sync(); err != nil {
		t.Fatalf("C16: Sync: %v", err)
	}
	if err := f.Datasync(); err != nil {
		t.Fatalf("C16: Datasync: %v", err)
	}
	if osf, err := os.OpenFile(name, os.O_RDWR|syscall.O_DIRECT, 0); err == nil {
		df, err := e.NewFile(osf)
		if err != nil {
			osf.Close()
			t.Fatalf("NewFile(O_DIRECT): %v", err)
		}
		defer df.Close()
		buf := alignedPage(t)
		if n, err := df.ReadAt(buf, 4096); n != 4096 || err != nil || !bytes.Equal(buf, data[4096:8192]) {
			t.Fatalf("C16: O_DIRECT ReadAt = %d, %v", n, err)
		}
		copy(buf, bytes.Repeat([]byte("written!"), 512))
		if n, err := df.WriteAt(buf, 0); n != 4096 || err != nil {
			t.Fatalf("C16: O_DIRECT WriteAt = %d, %v", n, err)
		}
		if got := fileContents(t, f.f); !bytes.Equal(got[:4096], buf) {
			t.Fatal("C16: the O_DIRECT write did not land")
		}
	} else {
		t.Logf("O_DIRECT unavailable on the temporary directory's file system (%v): syncs only", err)
	}
	if n := performed.Load(); n != 0 {
		t.Errorf("C16: workers performed %d of the File's calls on a regular file, want 0", n)
	}
	if e.InFlight() != 0 {
		t.Errorf("InFlight = %d after the calls returned", e.InFlight())
	}

	r, w := pipe(t)
	pf, err := e.NewFile(os.NewFile(uintptr(r), "pipe"))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if _, err := syscall.Write(w, []byte("pipe")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if n, err := pf.ReadAt(buf, 0); n != 4 || err != nil || string(buf) != "pipe" {
		t.Fatalf("C16: ReadAt of a pipe = %d %q, %v", n, buf[:max(n, 0)], err)
	}
	if n := performed.Load(); n != 1 {
		t.Errorf("C16: workers performed %d calls after a read of a pipe, want 1", n)
	}
}

// C16: a File call takes a worker's place only when a worker is idle and
// no queued request waits for it; with every place taken it queues for a
// worker (holding no thread) and runs once a place is given back, so the
// pool's size bounds the threads in the kernel.
func TestFileCallsQueueWhenPlacesTaken(t *testing.T) {
	e, pool := newIdlePool(t)
	performed := countWorkerCalls(pool)
	f, _ := newTestFile(t, e, []byte("queued"), os.O_RDWR)

	for i := range 2 {
		if !pool.borrow() {
			t.Fatalf("C16: two idle workers lent %d places", i)
		}
	}
	if pool.borrow() {
		t.Fatal("C16: a pool of two workers lent a third place")
	}
	synced := make(chan error, 1)
	go func() { synced <- f.Sync() }()
	waitQueued(t, pool, 1)
	if pool.borrow() {
		t.Fatal("C16: a place was lent ahead of a queued request")
	}
	pool.giveBack()
	select {
	case err := <-synced:
		if err != nil {
			t.Fatalf("C16: queued Sync: %v", err)
		}
	case <-time.After(testutil.Patience):
		t.Fatal("C16: a Sync queued behind lent places never ran after one was given back")
	}
	if n := performed.Load(); n != 1 {
		t.Errorf("C16: workers performed %d calls, want the queued Sync", n)
	}
	pool.giveBack()
	waitIdle(t, pool, 2)
	if n := pool.spare.Load(); n != 2 {
		t.Errorf("with both workers idle and no place lent, the pool counts %d spare places, want 2", n)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if n := performed.Load(); n != 1 {
		t.Errorf("C16: with places free again, workers performed %d calls, want still 1", n)
	}
}

// C16: the linuxaio backend lends its pool's places to reads and writes
// of a regular file without O_DIRECT (which would go to that pool): such
// a read that goes to the engine is neither submitted to the kernel nor
// performed by a worker. An O_DIRECT File borrows nothing.
func TestFileLinuxAIOLendsPoolForBufferedFiles(t *testing.T) {
	if err := linuxAIOAvailable(); err != nil {
		t.Skipf("linuxaio unavailable here: %v", err)
	}
	e, err := New(WithBackend("linuxaio"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	bk := e.bk.(*linuxAIOBackend)
	performed := countWorkerCalls(bk.pool)
	waitIdle(t, bk.pool, len(bk.pool.slots))
	data := bytes.Repeat([]byte("buffered"), 1024)
	f, name := newTestFile(t, e, data, os.O_RDWR)
	f.rd.never() // every read goes to the engine, as a read that would block does
	submits, pooled := bk.stats.submits.Load(), bk.stats.pooled.Load()
	buf := make([]byte, 4096)
	if n, err := f.ReadAt(buf, 8); n != len(buf) || err != nil || !bytes.Equal(buf, data[8:8+4096]) {
		t.Fatalf("C16: ReadAt = %d, %v", n, err)
	}
	if s, p, w := bk.stats.submits.Load()-submits, bk.stats.pooled.Load()-pooled, performed.Load(); s != 0 || p != 0 || w != 0 {
		t.Errorf("C16: a buffered read on linuxaio made %d io_submit calls, went %d times to the pool, %d times to a worker; want it made in a lent place", s, p, w)
	}
	if f.poolSyncs {
		t.Error("a buffered File on linuxaio lends places to syncs, which the kernel does (IOCB_CMD_FSYNC) or the pool does")
	}
	osf, err := os.OpenFile(filepath.Clean(name), os.O_RDWR|syscall.O_DIRECT, 0)
	if err != nil {
		t.Skipf("O_DIRECT unavailable on the temporary directory's file system: %v", err)
	}
	df, err := e.NewFile(osf)
	if err != nil {
		osf.Close()
		t.Fatal(err)
	}
	defer df.Close()
	if df.pool != nil {
		t.Error("an O_DIRECT File on linuxaio borrows the pool: its transfers belong to the kernel")
	}
}

// A request the linuxaio backend hands to its pool after the kernel
// refused to wait for it (a read of an empty pipe) is counted among the
// pool's queued requests while it waits there, so no File call borrows
// the place of the worker it waits for.
func TestLinuxAIOPoolCountsAdopted(t *testing.T) {
	if err := linuxAIOAvailable(); err != nil {
		t.Skipf("linuxaio unavailable here: %v", err)
	}
	e, err := New(WithBackend("linuxaio"), WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	pool := e.bk.(*linuxAIOBackend).pool
	rd, w := pipe(t)
	for range 3 {
		r := &Request{Fd: rd, Buf: make([]byte, 4)}
		if err := e.Read(r); err != nil {
			t.Fatal(err)
		}
		waitRunning(t, e, r)
		if n := poolCount(pool, func() int { return pool.queued }); n != 0 {
			t.Fatalf("a worker took the adopted read and the pool counts %d queued", n)
		}
		if _, err := syscall.Write(w, []byte("data")); err != nil {
			t.Fatal(err)
		}
		waitDoneT(t, r)
		mustReturn(t, r, 4)
	}
}

// C16: a worker whose place a File call holds does not run, even when a
// signal meant for another worker wakes it: two requests queued one
// after the other while one of two places is lent leave one worker
// running and the other request queued until the place is given back.
func TestPoolLentWorkerStaysAsleep(t *testing.T) {
	e, pool := newIdlePool(t)
	var running atomic.Int32
	gate := make(chan struct{})
	var open sync.Once
	release := func() { open.Do(func() { close(gate) }) }
	defer release() // before Close, which waits for the gated requests
	run := pool.run
	pool.run = func(r *Request, w *workerSlot) (int, syscall.Errno) {
		running.Add(1)
		defer running.Add(-1)
		<-gate
		return run(r, w)
	}
	osf, _ := tempFile(t, 64, os.O_RDONLY)
	if !pool.borrow() {
		t.Fatal("C16: two idle workers lent no place")
	}
	// One P: both requests are queued, and both signals sent, before
	// either woken worker runs.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	reqs := []*Request{{Fd: int(osf.Fd()), Buf: make([]byte, 8)}, {Fd: int(osf.Fd()), Buf: make([]byte, 8)}}
	for _, r := range reqs {
		if err := e.Read(r); err != nil {
			t.Fatal(err)
		}
	}
	testutil.WaitFor(t, "the workers to settle", func() bool {
		return int(running.Load())+poolCount(pool, func() int { return pool.queued }) == 2 && running.Load() >= 1
	})
	if n := running.Load(); n != 1 {
		t.Fatalf("C16: %d workers run while one of two places is lent", n)
	}
	pool.giveBack()
	testutil.WaitFor(t, "the second worker to take the queued request", func() bool { return running.Load() == 2 })
	release()
	waitDoneT(t, reqs...)
	for _, r := range reqs {
		mustReturn(t, r, 8)
	}
}
