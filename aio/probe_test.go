package aio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dropCache drops f's pages from the page cache (fsync, then
// POSIX_FADV_DONTNEED) and reports whether none is left, as mincore(2)
// sees them; a file system that keeps them (tmpfs) makes the test skip.
func dropCache(t *testing.T, f *os.File) {
	t.Helper()
	fd := int(f.Fd())
	if err := unix.Fsync(fd); err != nil {
		t.Fatalf("fsync: %v", err)
	}
	if err := unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Skipf("posix_fadvise(DONTNEED) unavailable: %v", err)
	}
	if n := cachedPages(t, f); n != 0 {
		t.Skipf("the file system keeps %d pages of the file in memory after POSIX_FADV_DONTNEED (tmpfs?)", n)
	}
}

// cachedPages counts f's pages in the page cache (mincore(2)).
func cachedPages(t *testing.T, f *os.File) int {
	t.Helper()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	m, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, (len(m)+4095)/4096)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)),
		uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatalf("mincore: %v", errno)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

// saturate fills e's in-flight limit of one with a read of an empty pipe
// and returns the pipe's write end, which lets the read complete.
func saturate(t *testing.T, e *Engine) (wfd int, held *Request) {
	t.Helper()
	rfd, wfd := pipe(t)
	held = &Request{Fd: rfd, Buf: make([]byte, 1)}
	if err := e.Read(held); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Write(wfd, []byte{1})
		if err := Suspend(context.Background(), []*Request{held}, 10*time.Second); err != nil {
			t.Errorf("the pipe read did not complete: %v", err)
		}
	})
	return wfd, held
}

// C18: a read the page cache can serve is made on the caller's goroutine,
// without the engine: it completes while the engine's in-flight limit is
// taken by a read that waits on an empty pipe.
func TestFileReadsPageCacheWithoutEngine(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t, WithMaxInFlight(1))
		_, data := tempFile(t, 1<<16, os.O_RDONLY)
		f, _ := newTestFile(t, e, data, os.O_RDWR) // just written: in the page cache
		saturate(t, e)
		p := make([]byte, 3*4096+100)
		if n, err := f.ReadAt(p, 4000); n != len(p) || err != nil || !bytes.Equal(p, data[4000:4000+len(p)]) {
			t.Fatalf("C18: cached ReadAt with the engine full = %d, %v", n, err)
		}
		p = make([]byte, 100)
		if n, err := f.ReadAt(p, int64(len(data)-50)); n != 50 || err == nil || !bytes.Equal(p[:n], data[len(data)-50:]) {
			t.Fatalf("C18: cached ReadAt across the end = %d, %v; want 50, io.EOF", n, err)
		}
		if e.InFlight() != 1 {
			t.Fatalf("C18: %d requests in flight, want only the pipe read", e.InFlight())
		}
	})
}

// C18: a read whose start is in the page cache and whose rest is not is
// continued through the engine for the rest: ReadAt returns the whole
// of p, as os.File's does, never the short part the cache held.
func TestFileShortNowaitReadContinues(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		osf, data := tempFile(t, 1<<20, os.O_RDONLY)
		f, err := e.NewFile(dupFile(t, int(osf.Fd())))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		dropCache(t, osf)
		// The first page back in the cache, not what follows (random
		// advice keeps readahead from bringing more).
		unix.Fadvise(int(osf.Fd()), 0, 0, unix.FADV_RANDOM)
		one := make([]byte, 4096)
		if _, err := unix.Pread(int(osf.Fd()), one, 0); err != nil {
			t.Fatal(err)
		}
		if n := cachedPages(t, osf); n == 0 || n > 4 {
			t.Skipf("the page cache holds %d pages after one read; want the first alone", n)
		}
		p := make([]byte, 64<<10)
		if n, err := f.ReadAt(p, 0); n != len(p) || err != nil || !bytes.Equal(p, data[:len(p)]) {
			t.Fatalf("C18: ReadAt over a cached page and uncached ones = %d, %v (same bytes: %t); want %d, nil",
				n, err, bytes.Equal(p[:n], data[:n]), len(p))
		}
	})
}

// probeFile makes a File over a 1 MiB file of random bytes on an engine of
// its own (the thread pool), for the probe's tests, which read its probes
// directly; it returns the engine, the File, the *os.File it duplicated
// and the file's bytes. Both close when t ends.
func probeFile(t *testing.T) (*Engine, *File, *os.File, []byte) {
	t.Helper()
	e, err := New(WithBackend("threads"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	osf, data := tempFile(t, 1<<20, os.O_RDWR)
	f, err := e.NewFile(dupFile(t, int(osf.Fd())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return e, f, osf, data
}

// C18: a File whose reads keep missing the page cache stops trying for a
// while, and tries again after the pause; a file that cannot answer
// without blocking (O_DIRECT, a pipe) is never tried; writes where the
// file system has no RWF_NOWAIT stop trying after the first.
//
// Whether a read of a page just dropped from the cache fails its try is
// up to the disk: RWF_NOWAIT starts readahead without waiting for it, and
// a virtual disk backed by the host's cache can finish it before the read
// looks at the page again. So the cold reads here check only the bytes,
// and the misses that start a pause are recorded as the kernel's EAGAIN
// would record them.
func TestFileProbePauses(t *testing.T) {
	e, f, osf, data := probeFile(t)
	unix.Fadvise(int(osf.Fd()), 0, 0, unix.FADV_RANDOM)
	p := make([]byte, 4096)
	for i := range probeFailures {
		dropCache(t, osf)
		off := int64(i) * 64 << 10
		if n, err := f.ReadAt(p, off); n != len(p) || err != nil || !bytes.Equal(p, data[off:off+4096]) {
			t.Fatalf("C18: cold ReadAt = %d, %v", n, err)
		}
	}
	f.rd = probe{}
	for range probeFailures {
		f.rd.settle(syscall.EAGAIN)
	}
	if s := f.rd.skip.Load(); s != minPause {
		t.Fatalf("C18: after %d reads missing the cache the probe skips %d calls, want %d", probeFailures, s, minPause)
	}
	for range minPause {
		if n, err := f.ReadAt(p, 0); n != len(p) || err != nil || !bytes.Equal(p, data[:4096]) {
			t.Fatalf("ReadAt = %d, %v", n, err)
		}
	}
	if s := f.rd.skip.Load(); s != 0 {
		t.Fatalf("C18: the pause did not end after %d calls: %d left", minPause, s)
	}
	if n, err := f.ReadAt(p, 0); n != len(p) || err != nil { // cached now: a try that succeeds
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	if got := f.rd.pause.Load(); got != minPause {
		t.Fatalf("C18: after a success the next pause is %d calls, want %d", got, minPause)
	}
	for i := range 3 { // three pauses in a row: each twice the last
		for range probeFailures {
			f.rd.settle(syscall.EAGAIN)
		}
		if got, want := f.rd.skip.Load(), int32(minPause<<i); got != want {
			t.Fatalf("C18: pause %d after a success skips %d calls, want %d", i+1, got, want)
		}
		f.rd.skip.Store(0)
	}
	f.rd = probe{}

	if n, err := f.WriteAt([]byte("nowait"), 10); n != 6 || err != nil {
		t.Fatalf("WriteAt = %d, %v", n, err)
	}
	// Where the file system has no RWF_NOWAIT for writes (ext4), the
	// first try settles the probe on the plain pwrite(2), as os.File.
	s := f.wr.skip.Load()
	if s != 0 && s != skipPlain {
		t.Fatalf("C18: after one write the write probe skips %d calls; want 0 (tried) or plain (%d)", s, skipPlain)
	}
	if got := fileContents(t, osf)[10:16]; string(got) != "nowait" {
		t.Fatalf("C18: WriteAt left %q", got)
	}
	if s == skipPlain {
		for range 4 * hotSample {
			if got := f.wr.how(); got != viaPlain {
				t.Fatalf("C18: a write probe without RWF_NOWAIT sends a call to %d, want the plain call (%d)", got, viaPlain)
			}
		}
		if n, err := f.WriteAt([]byte("plain!"), 10); n != 6 || err != nil {
			t.Fatalf("WriteAt = %d, %v", n, err)
		}
		if got := fileContents(t, osf)[10:16]; string(got) != "plain!" {
			t.Fatalf("C18: plain WriteAt left %q", got)
		}
	}
	var unsupported probe
	unsupported.settle(syscall.EOPNOTSUPP)
	if got := unsupported.how(); got != viaPlain {
		t.Fatalf("C18: after EOPNOTSUPP a call goes to %d, want the plain call (%d)", got, viaPlain)
	}

	rfd, _ := pipe(t)
	pf, err := e.NewFile(dupFile(t, rfd))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if pf.rd.try() || pf.wr.try() {
		t.Errorf("C18: a pipe's File tries RWF_NOWAIT transfers")
	}
	name := filepath.Join(t.TempDir(), "direct")
	os.WriteFile(name, make([]byte, 4096), 0o600)
	df, err := os.OpenFile(name, os.O_RDWR|syscall.O_DIRECT, 0)
	if err != nil {
		t.Skipf("O_DIRECT unavailable here: %v", err)
	}
	dfile, err := e.NewFile(df)
	if err != nil {
		t.Fatal(err)
	}
	defer dfile.Close()
	if dfile.rd.try() || dfile.wr.try() {
		t.Errorf("C18: an O_DIRECT File tries RWF_NOWAIT transfers")
	}
}

// C18: a File whose tries keep succeeding turns hot and reads with the
// plain pread(2), sampling a try now and then; the first try that fails
// cools it, and never() keeps calls off the caller's goroutine even if a
// success made the probe hot after it; a hot File's plain reads and
// writes give what os.File gives (the whole of p, io.EOF at and across
// the end, errors through the engine); a read that misses the cache
// while it is hot still returns the file's bytes.
func TestFileProbeHot(t *testing.T) {
	e, f, osf, data := probeFile(t)
	p := make([]byte, 4096)
	// A counted success is one in winSample: after 100 × hotWins ×
	// winSample cached reads the chance of not being hot is below 1e-300.
	for i := 0; i < 100*hotWins*winSample && !f.rd.hot.Load(); i++ {
		off := int64(i%256) * 4096
		if n, err := f.ReadAt(p, off); n != len(p) || err != nil || !bytes.Equal(p, data[off:off+4096]) {
			t.Fatalf("C18: cached ReadAt = %d, %v", n, err)
		}
	}
	if !f.rd.hot.Load() {
		t.Fatalf("C18: %d cached reads in a row did not make the read probe hot", 100*hotWins*winSample)
	}

	// The plain calls of a hot probe, through ReadAt and WriteAt.
	f.wr.hot.Store(true)
	for range 4 * hotSample { // most of these take the plain path
		tail := make([]byte, 100)
		if n, err := f.ReadAt(tail, int64(len(data))-50); n != 50 || err != io.EOF || !bytes.Equal(tail[:50], data[len(data)-50:]) {
			t.Fatalf("C18: hot ReadAt across the end = %d, %v; want 50, io.EOF", n, err)
		}
		if n, err := f.ReadAt(tail, int64(len(data))); n != 0 || err != io.EOF {
			t.Fatalf("C18: hot ReadAt at the end = %d, %v; want 0, io.EOF", n, err)
		}
		if n, err := f.WriteAt([]byte("plain"), 20); n != 5 || err != nil {
			t.Fatalf("C18: hot WriteAt = %d, %v", n, err)
		}
	}
	if got := fileContents(t, osf)[20:25]; string(got) != "plain" {
		t.Fatalf("C18: hot WriteAt left %q", got)
	}
	copy(data[20:], "plain")
	rof, err := os.Open(osf.Name())
	if err != nil {
		t.Fatal(err)
	}
	ro, err := e.NewFile(rof)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	ro.wr.hot.Store(true)
	for range 4 * hotSample {
		if n, err := ro.WriteAt([]byte("x"), 0); n != 0 || !errors.Is(err, syscall.EBADF) {
			t.Fatalf("C18: hot WriteAt on a read-only file = %d, %v; want 0, EBADF", n, err)
		}
	}

	// Cooling, and never.
	f.rd.settle(syscall.EAGAIN)
	if f.rd.hot.Load() || f.rd.wins.Load() != 0 {
		t.Fatalf("C18: a failed try left the probe hot (%t) or its wins counted (%d)", f.rd.hot.Load(), f.rd.wins.Load())
	}
	if got := f.rd.how(); got == viaPlain {
		t.Fatalf("C18: after a failed try the next call makes the plain read")
	}
	var never probe
	never.never()
	never.hot.Store(true) // a success racing never()
	for range 4 * hotSample {
		if got := never.how(); got != viaEngine {
			t.Fatalf("C18: a probe told never sends a call to %d, want the engine (%d)", got, viaEngine)
		}
	}

	f.rd.hot.Store(true)
	dropCache(t, osf)
	for i := range 4 {
		off := int64(i) * 64 << 10
		if n, err := f.ReadAt(p, off); n != len(p) || err != nil || !bytes.Equal(p, data[off:off+4096]) {
			t.Fatalf("C18: ReadAt of a dropped page while hot = %d, %v", n, err)
		}
	}
}
