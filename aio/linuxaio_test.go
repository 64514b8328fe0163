package aio

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/seccomp"
	"github.com/fasync-go/fasync/internal/testutil"
)

// holdSubmission keeps a linuxaio engine's requests waiting for its
// submitter until the returned function runs, which submits them; on
// other backends both do nothing. The engine must be idle.
func holdSubmission(e *Engine) (release func()) {
	b, ok := e.bk.(*linuxAIOBackend)
	if !ok {
		return func() {}
	}
	b.mu.Lock()
	b.deferring++
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		b.deferring--
		b.mu.Unlock()
		b.submitPending()
	}
}

// newLinuxAIO returns an engine on the linuxaio backend, closed when the
// test ends, or skips the test naming why native AIO is unavailable.
func newLinuxAIO(t *testing.T, opts ...Option) (*Engine, *linuxAIOBackend) {
	t.Helper()
	if err := linuxAIOAvailable(); err != nil {
		t.Skipf("native AIO unavailable here: %v", err)
	}
	e, err := New(append([]Option{WithBackend("linuxaio")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e, e.bk.(*linuxAIOBackend)
}

// C19: automatic selection prefers io_uring, then native AIO, then the
// thread pool.
func TestBackendOrder(t *testing.T) {
	want := []string{"uring", "linuxaio", "threads"}
	if got := backendNames(); !slices.Equal(got, want) {
		t.Fatalf("C19: backends in order of preference %v, want %v", got, want)
	}
}

// seccompChildEnv marks the test binary run as a child under a filter
// that refuses io_uring.
const seccompChildEnv = "FASYNC_AIO_TEST_DENY_URING"

// C19: where a seccomp filter refuses io_uring with EPERM, as container
// runtimes' default profiles do, New chooses native AIO by itself and
// BackendReason says why; reads and fsyncs work there. The filter is
// permanent, so a child process (this test binary again) runs under it.
func TestAutoSelectionWithoutIOUring(t *testing.T) {
	if os.Getenv(seccompChildEnv) != "" {
		if err := seccomp.DenyIOUring(); err != nil {
			t.Fatalf("DenyIOUring: %v", err)
		}
		e, err := New()
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		if e.Backend() != "linuxaio" || e.BackendReason() != "uring refused: EPERM" {
			t.Fatalf("C19: under the filter: backend %q (%q), want linuxaio (uring refused: EPERM)", e.Backend(), e.BackendReason())
		}
		f, data := tempFile(t, 8192, os.O_RDWR)
		r := &Request{Fd: int(f.Fd()), Buf: make([]byte, 4096), Offset: 4096}
		if err := e.Read(r); err != nil {
			t.Fatal(err)
		}
		waitDoneT(t, r)
		mustReturn(t, r, 4096)
		mustEqual(t, "C19: read under the filter", r.Buf, data[4096:])
		s := &Request{Fd: int(f.Fd())}
		if err := e.Fsync(unix.O_SYNC, s); err != nil {
			t.Fatal(err)
		}
		waitDoneT(t, s)
		mustReturn(t, s, 0)
		return
	}
	if err := linuxAIOAvailable(); err != nil {
		t.Skipf("native AIO unavailable here: %v", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAutoSelectionWithoutIOUring$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), seccompChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child under the filter: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("--- PASS: TestAutoSelectionWithoutIOUring")) {
		t.Fatalf("child under the filter ran no test:\n%s", out)
	}
}

// C19: what goes to the kernel and what to the pool.
func TestLinuxAIORouting(t *testing.T) {
	t.Run("C19/page-cached-read-in-the-kernel", func(t *testing.T) {
		e, b := newLinuxAIO(t)
		f, data := tempFile(t, 1<<16, os.O_RDONLY)
		fileContents(t, f) // in the page cache
		pooled := b.stats.pooled.Load()
		r := &Request{Fd: int(f.Fd()), Buf: make([]byte, 4096), Offset: 8192}
		if err := e.Read(r); err != nil {
			t.Fatal(err)
		}
		waitDoneT(t, r)
		mustReturn(t, r, 4096)
		mustEqual(t, "read", r.Buf, data[8192:12288])
		if got := b.stats.pooled.Load() - pooled; got != 0 {
			t.Fatalf("C19: a page-cached read went to the pool (%d)", got)
		}
	})

	t.Run("C19/cold-read-goes-to-the-pool", func(t *testing.T) {
		e, b := newLinuxAIO(t)
		f, data := tempFile(t, 1<<20, os.O_RDONLY)
		fd := int(f.Fd())
		if err := unix.Fdatasync(fd); err != nil { // dirty pages stay cached
			t.Fatal(err)
		}
		if err := unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED); err != nil {
			t.Fatal(err)
		}
		if cachedPages(t, f) != 0 {
			t.Skip("the kernel kept the file in the page cache after FADV_DONTNEED")
		}
		pooled := b.stats.pooled.Load()
		r := &Request{Fd: fd, Buf: make([]byte, 4096), Offset: 1 << 19}
		if err := e.Read(r); err != nil {
			t.Fatal(err)
		}
		waitDoneT(t, r)
		mustReturn(t, r, 4096)
		mustEqual(t, "read", r.Buf, data[1<<19:1<<19+4096])
		if got := b.stats.pooled.Load() - pooled; got != 1 {
			t.Fatalf("C19: a read that would wait went to the pool %d times, want once", got)
		}
	})

	t.Run("C19/o_direct-in-the-kernel", func(t *testing.T) {
		e, b := newLinuxAIO(t)
		f := directFile(t, 1<<16)
		want := fileContents(t, f)
		buf := alignedBuffer(t, 8192)
		pooled := b.stats.pooled.Load()
		var rs [8]Request
		for i := range rs {
			rs[i] = Request{Fd: int(f.Fd()), Buf: buf[i%2*4096 : i%2*4096+4096], Offset: int64(i) * 4096}
		}
		for i := range rs {
			if err := e.Read(&rs[i]); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, &rs[i])
			mustReturn(t, &rs[i], 4096)
			mustEqual(t, "O_DIRECT read", rs[i].Buf, want[i*4096:i*4096+4096])
		}
		w := &Request{Fd: int(f.Fd()), Buf: buf[:4096], Offset: 4096}
		if err := e.Write(w); err != nil {
			t.Fatal(err)
		}
		waitDoneT(t, w)
		mustReturn(t, w, 4096)
		if got := b.stats.pooled.Load() - pooled; got != 0 {
			t.Fatalf("C19: %d O_DIRECT transfers went to the pool", got)
		}
	})

	t.Run("C19/fsync-in-the-kernel", func(t *testing.T) {
		e, b := newLinuxAIO(t)
		if !b.fsync {
			t.Skip("this kernel has no IOCB_CMD_FSYNC (Linux 4.18)")
		}
		f, _ := tempFile(t, 100, os.O_RDWR)
		pooled := b.stats.pooled.Load()
		for _, op := range []int{unix.O_SYNC, unix.O_DSYNC} {
			r := &Request{Fd: int(f.Fd())}
			if err := e.Fsync(op, r); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, r)
			mustReturn(t, r, 0)
		}
		if got := b.stats.pooled.Load() - pooled; got != 0 {
			t.Fatalf("C19: %d fsyncs went to the pool", got)
		}
	})

	t.Run("C19/requests-arriving-together-share-io_submit", func(t *testing.T) {
		e, b := newLinuxAIO(t, WithQueueDepth(32))
		f, data := tempFile(t, 1<<16, os.O_RDONLY)
		release := holdSubmission(e)
		submits, iocbs := b.stats.submits.Load(), b.stats.iocbs.Load()
		var rs [16]Request
		for i := range rs {
			rs[i] = Request{Fd: int(f.Fd()), Buf: make([]byte, 4096), Offset: int64(i) * 4096}
			if err := e.Read(&rs[i]); err != nil {
				t.Fatal(err)
			}
		}
		release()
		for i := range rs {
			waitDoneT(t, &rs[i])
			mustReturn(t, &rs[i], 4096)
			mustEqual(t, "read", rs[i].Buf, data[i*4096:i*4096+4096])
		}
		if n, k := b.stats.submits.Load()-submits, b.stats.iocbs.Load()-iocbs; n != 1 || k != 16 {
			t.Fatalf("C19: 16 reads queued together took %d io_submit calls for %d requests, want 1 for 16", n, k)
		}
	})

	t.Run("C19/read-past-the-end-is-short", func(t *testing.T) {
		e, _ := newLinuxAIO(t)
		f, data := tempFile(t, 10000, os.O_RDONLY)
		r := &Request{Fd: int(f.Fd()), Buf: make([]byte, 8192), Offset: 9900}
		if err := e.Read(r); err != nil {
			t.Fatal(err)
		}
		waitDoneT(t, r)
		mustReturn(t, r, 100)
		mustEqual(t, "read", r.Buf[:100], data[9900:])
	})

	t.Run("C19/stream-read-returns-what-is-there", func(t *testing.T) {
		e, _ := newLinuxAIO(t)
		pr, pw := pipe(t)
		unix.Write(pw, []byte("abc"))
		r := &Request{Fd: pr, Buf: make([]byte, 10)}
		if err := e.Read(r); err != nil {
			t.Fatal(err)
		}
		waitDoneT(t, r)
		mustReturn(t, r, 3)
		mustEqual(t, "read", r.Buf[:3], []byte("abc"))
	})

	t.Run("C19/partial-stream-write-finishes-on-the-pool", func(t *testing.T) {
		// A pipe with less room than the write: the kernel moves what
		// fits without waiting and the pool writes the rest as the
		// reader makes room, so every byte arrives, in order.
		e, _ := newLinuxAIO(t)
		pr, pw := pipe(t)
		held := fillPipe(t, pw)
		drain(t, pr, 1000)
		msg := bytes.Repeat([]byte("0123456789abcdef"), 1024)
		w := &Request{Fd: pw, Buf: msg}
		if err := e.Write(w); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 0, held+len(msg))
		buf := make([]byte, 65536)
		for len(got) < held-1000+len(msg) {
			n, err := unix.Read(pr, buf)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, buf[:n]...)
		}
		waitDoneT(t, w)
		mustReturn(t, w, len(msg))
		mustEqual(t, "bytes through the pipe", got[held-1000:], msg)
	})
}

// directFile creates a file of size random bytes and opens it O_DIRECT,
// or skips when the file system refuses O_DIRECT.
func directFile(t *testing.T, size int) *os.File {
	t.Helper()
	f, _ := tempFile(t, size, os.O_RDONLY)
	d, err := os.OpenFile(f.Name(), os.O_RDWR|syscall.O_DIRECT, 0)
	if err != nil {
		t.Skipf("O_DIRECT on %s: %v", filepath.Dir(f.Name()), err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// alignedBuffer returns n bytes at a page boundary, as O_DIRECT wants.
func alignedBuffer(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n+4096)
	off := int(-uintptr(unsafe.Pointer(&b[0])) & 4095)
	return b[off : off+n]
}

// C8, C19: Cancel on the linuxaio backend, at each stage a request can be
// caught in. The reaper is held (reapMu) where the test needs a
// completion to wait in the ring.
func TestLinuxAIOCancel(t *testing.T) {
	t.Run("C19/waiting-for-a-submitter-is-cancelled", func(t *testing.T) {
		e, _ := newLinuxAIO(t)
		f, _ := tempFile(t, 4096, os.O_RDONLY)
		release := holdSubmission(e)
		r := &Request{Fd: int(f.Fd()), Buf: make([]byte, 4096)}
		if err := e.Read(r); err != nil {
			t.Fatal(err)
		}
		if res, err := e.Cancel(int(f.Fd()), r); res != AIO_CANCELED || err != nil {
			t.Fatalf("C19: Cancel of a read waiting for a submitter = %d, %v; want AIO_CANCELED", res, err)
		}
		mustStatus(t, r, syscall.ECANCELED)
		release()
	})

	t.Run("C19/tried-without-waiting-is-cancelled-before-the-pool", func(t *testing.T) {
		// A read of an empty pipe completes in the kernel with EAGAIN;
		// Cancel marks it before the reaper sees that, and the reaper
		// then completes it with ECANCELED instead of handing it on.
		e, b := newLinuxAIO(t)
		pr, pw := pipe(t)
		b.reapMu.Lock()
		r := &Request{Fd: pr, Buf: make([]byte, 4)}
		if err := e.Read(r); err != nil {
			b.reapMu.Unlock()
			t.Fatal(err)
		}
		res := make(chan int, 1)
		go func() {
			n, _ := e.Cancel(pr, r)
			res <- n
		}()
		testutil.WaitFor(t, "Cancel to mark the read", func() bool { return r.bkState.Load() == laStopping })
		b.reapMu.Unlock()
		if got := <-res; got != AIO_CANCELED {
			t.Fatalf("C19: Cancel of a read tried without waiting = %d, want AIO_CANCELED", got)
		}
		mustStatus(t, r, syscall.ECANCELED)
		unix.Write(pw, []byte("data")) // the pipe is untouched
		r2 := &Request{Fd: pr, Buf: make([]byte, 4)}
		if err := e.Read(r2); err != nil {
			t.Fatal(err)
		}
		waitDoneT(t, r2)
		mustReturn(t, r2, 4)
	})

	t.Run("C19/in-the-kernel-is-not-cancelled", func(t *testing.T) {
		// An fsync in the kernel: Linux's io_cancel refuses it (EINVAL),
		// so Cancel reports AIO_NOTCANCELED and the fsync completes.
		e, b := newLinuxAIO(t)
		if !b.fsync {
			t.Skip("this kernel has no IOCB_CMD_FSYNC (Linux 4.18)")
		}
		f, _ := tempFile(t, 4096, os.O_RDWR)
		b.reapMu.Lock()
		r := &Request{Fd: int(f.Fd())}
		if err := e.Fsync(unix.O_SYNC, r); err != nil {
			b.reapMu.Unlock()
			t.Fatal(err)
		}
		res, err := e.Cancel(int(f.Fd()), r)
		b.reapMu.Unlock()
		if res != AIO_NOTCANCELED || err != nil {
			t.Fatalf("C19: Cancel of an fsync in the kernel = %d, %v; want AIO_NOTCANCELED", res, err)
		}
		waitDoneT(t, r)
		mustReturn(t, r, 0)
	})
}
