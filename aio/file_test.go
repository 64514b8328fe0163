package aio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"github.com/fasync-go/fasync/internal/testutil"
	"github.com/fasync-go/fasync/kernel"
)

// Interface satisfaction is part of SPEC C15.
var (
	_ io.ReaderAt = (*File)(nil)
	_ io.WriterAt = (*File)(nil)
	_ io.Closer   = (*File)(nil)
)

// newTestFile opens a File on e for a copy of data in t.TempDir, opened
// with flags; the File is closed when the test ends.
func newTestFile(t *testing.T, e *Engine, data []byte, flags int) (*File, string) {
	t.Helper()
	name := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	osf, err := os.OpenFile(name, flags, 0)
	if err != nil {
		t.Fatal(err)
	}
	f, err := e.NewFile(osf)
	if err != nil {
		osf.Close()
		t.Fatalf("NewFile: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f, name
}

// sameResult reports whether two (n, err) results are the same as seen
// by a caller: equal counts, and errors that are both nil, both io.EOF,
// or that read the same.
func sameResult(n1 int, e1 error, n2 int, e2 error) bool {
	if n1 != n2 || (e1 == nil) != (e2 == nil) {
		return false
	}
	if e1 == nil {
		return true
	}
	if (e1 == io.EOF) != (e2 == io.EOF) {
		return false
	}
	return e1.Error() == e2.Error()
}

// C15: ReadAt gives what os.File.ReadAt gives, byte for byte and error
// for error, at offsets around the end of the file and for lengths from
// zero to past the end: n < len(p) only with an error, io.EOF at the end.
func TestFileReadAtLikeOSFile(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		const size = 10000
		_, data := tempFile(t, size, os.O_RDONLY)
		f, name := newTestFile(t, e, data, os.O_RDONLY)
		// The same name in the errors: read os.File from f's copy.
		ref, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer ref.Close()
		for _, off := range []int64{0, 1, 4095, 4096, size - 1, size, size + 1, 1 << 40, -1} {
			for _, n := range []int{0, 1, 100, 4096, size, 3 * size} {
				t.Run(fmt.Sprintf("C15/off=%d/len=%d", off, n), func(t *testing.T) {
					want := make([]byte, n)
					got := make([]byte, n)
					wn, werr := ref.ReadAt(want, off)
					gn, gerr := f.ReadAt(got, off)
					if !sameResult(gn, gerr, wn, werr) {
						t.Fatalf("ReadAt = %d, %v; os.File gives %d, %v", gn, gerr, wn, werr)
					}
					if gn < n && gerr == nil {
						t.Fatalf("io.ReaderAt: %d < %d bytes with a nil error", gn, n)
					}
					mustEqual(t, "bytes read", got[:gn], want[:wn])
				})
			}
		}
	})
}

// C15: WriteAt does what os.File.WriteAt does to a twin file: the same
// results, the same contents afterwards (holes past the end included).
func TestFileWriteAtLikeOSFile(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		data := bytes.Repeat([]byte("0123456789"), 1000)
		f, name := newTestFile(t, e, data, os.O_RDWR)
		refName := filepath.Join(t.TempDir(), "twin")
		if err := os.WriteFile(refName, data, 0o600); err != nil {
			t.Fatal(err)
		}
		ref, err := os.OpenFile(refName, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer ref.Close()
		for i, w := range []struct {
			off int64
			n   int
		}{{0, 10}, {5, 4096}, {9999, 2}, {20000, 100}, {3, 0}, {-1, 5}, {123, 1 << 17}} {
			p := bytes.Repeat([]byte{byte('a' + i)}, w.n)
			gn, gerr := f.WriteAt(p, w.off)
			wn, werr := ref.WriteAt(p, w.off)
			// The texts differ by the file's name only.
			if gn != wn || (gerr == nil) != (werr == nil) {
				t.Fatalf("C15: WriteAt(%d bytes at %d) = %d, %v; os.File gives %d, %v", w.n, w.off, gn, gerr, wn, werr)
			}
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "C15: contents after the writes", got, fileContents(t, ref))
	})
}

// C15: the refusals and errors os.File gives, given the same way: a
// negative offset, WriteAt on an O_APPEND file, a write to a read-only
// file and a read of a write-only one (EBADF from the kernel, as
// *os.PathError).
func TestFileErrorsLikeOSFile(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		data := []byte("some data")
		p := make([]byte, 4)
		check := func(t *testing.T, what string, gn int, gerr error, wn int, werr error) {
			t.Helper()
			if !sameResult(gn, gerr, wn, werr) {
				t.Errorf("%s = %d, %v; os.File gives %d, %v", what, gn, gerr, wn, werr)
			}
		}
		for _, c := range []struct {
			name  string
			flags int
		}{{"rdonly", os.O_RDONLY}, {"wronly", os.O_WRONLY}, {"append", os.O_RDWR | os.O_APPEND}} {
			t.Run("C15/"+c.name, func(t *testing.T) {
				f, name := newTestFile(t, e, data, c.flags)
				ref, err := os.OpenFile(name, c.flags, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer ref.Close()
				gn, gerr := f.ReadAt(p, -1)
				wn, werr := ref.ReadAt(p, -1)
				check(t, "ReadAt at -1", gn, gerr, wn, werr)
				gn, gerr = f.WriteAt(p, -1)
				wn, werr = ref.WriteAt(p, -1)
				check(t, "WriteAt at -1", gn, gerr, wn, werr)
				gn, gerr = f.ReadAt(p, 0)
				wn, werr = ref.ReadAt(p, 0)
				check(t, "ReadAt", gn, gerr, wn, werr)
				gn, gerr = f.WriteAt(p, 0)
				wn, werr = ref.WriteAt(p, 0)
				check(t, "WriteAt", gn, gerr, wn, werr)
				var pe *os.PathError
				if c.flags == os.O_RDONLY && (!errors.As(gerr, &pe) || !errors.Is(gerr, syscall.EBADF)) {
					t.Errorf("WriteAt on a read-only file: %v, want an *os.PathError with EBADF", gerr)
				}
			})
		}
	})
}

// C15: a File serves io.NewSectionReader and io.ReadAll over the whole
// file, and Sync and Datasync flush what WriteAt wrote.
func TestFileAsReaderAtAndSync(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		_, data := tempFile(t, 100_000, os.O_RDONLY)
		f, name := newTestFile(t, e, data, os.O_RDWR)
		got, err := io.ReadAll(io.NewSectionReader(f, 0, int64(len(data))))
		if err != nil {
			t.Fatalf("C15: ReadAll(SectionReader(File)): %v", err)
		}
		mustEqual(t, "C15: ReadAll", got, data)
		if n, err := f.WriteAt([]byte("synced"), 10); n != 6 || err != nil {
			t.Fatalf("WriteAt = %d, %v", n, err)
		}
		if err := f.Sync(); err != nil {
			t.Fatalf("C15: Sync: %v", err)
		}
		if err := f.Datasync(); err != nil {
			t.Fatalf("C15: Datasync: %v", err)
		}
		on, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "C15: contents after Sync", on[10:16], []byte("synced"))
	})
}

// C15: after Close every call fails with an error matching os.ErrClosed,
// as does a second Close; the *os.File is closed and the registration
// dropped.
func TestFileClosed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		osf, _ := tempFile(t, 4096, os.O_RDWR)
		f, err := e.NewFile(osf)
		if err != nil {
			t.Fatal(err)
		}
		fd := f.fd
		if err := f.Sync(); err != nil { // a call that goes to the engine
			t.Fatalf("Sync: %v", err)
		}
		if e.Backend() == "uring" && e.bk.(*uringBackend).files.slot(fd) < 0 {
			t.Errorf("C15: a File's first call on io_uring left the descriptor unregistered")
		}
		if err := f.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if e.Backend() == "uring" && e.bk.(*uringBackend).files.slot(fd) >= 0 {
			t.Errorf("C15: Close left the descriptor registered")
		}
		if _, err := osf.Stat(); !errors.Is(err, os.ErrClosed) {
			t.Errorf("C15: the *os.File after Close: Stat gives %v, want os.ErrClosed", err)
		}
		p := make([]byte, 10)
		ctx := context.Background()
		for what, err := range map[string]error{
			"ReadAt":         second(f.ReadAt(p, 0)),
			"ReadAt(empty)":  second(f.ReadAt(nil, 0)),
			"WriteAt":        second(f.WriteAt(p, 0)),
			"ReadAtContext":  second(f.ReadAtContext(ctx, p, 0)),
			"WriteAtContext": second(f.WriteAtContext(ctx, p, 0)),
			"Sync":           f.Sync(),
			"Datasync":       f.Datasync(),
			"Close":          f.Close(),
		} {
			if !errors.Is(err, os.ErrClosed) {
				t.Errorf("C15: %s after Close: %v, want os.ErrClosed", what, err)
			}
		}
	})
}

// dupFile returns an *os.File for a duplicate of fd (a File takes its
// *os.File over and closes it).
func dupFile(t *testing.T, fd int) *os.File {
	t.Helper()
	d, err := syscall.Dup(fd)
	if err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(d), "pipe")
}

func second(_ int, err error) error { return err }

// C15: Close waits for the calls in flight. A read of an empty pipe is
// in flight when Close is called: both backends cancel it (io_uring in
// the kernel, the thread pool by waking its worker's wait for the pipe),
// and the call fails with os.ErrClosed. No request of the File is left in
// the engine when Close returns.
func TestFileCloseWaitsForCalls(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		rfd, _ := pipe(t)
		f, err := e.NewFile(dupFile(t, rfd))
		if err != nil {
			t.Fatal(err)
		}
		type result struct {
			n   int
			err error
		}
		res := make(chan result, 1)
		p := make([]byte, 1)
		go func() {
			n, err := f.ReadAt(p, 0)
			res <- result{n, err}
		}()
		testutil.WaitFor(t, "the read to be in flight", func() bool { return e.InFlight() == 1 })
		if e.Backend() == "threads" {
			testutil.WaitFor(t, "a worker to take the read", func() bool { return runningAny(e) })
		}
		closed := make(chan error, 1)
		go func() { closed <- f.Close() }()
		if err := <-closed; err != nil {
			t.Fatalf("Close: %v", err)
		}
		if n := e.InFlight(); n != 0 {
			t.Fatalf("C15: %d requests in flight after Close returned", n)
		}
		r := <-res
		switch {
		case !errors.Is(r.err, os.ErrClosed):
			t.Fatalf("C15: the read Close cancelled gave %d, %v; want os.ErrClosed", r.n, r.err)
		}
	})
}

// runningAny reports whether a thread-pool worker holds a request.
func runningAny(e *Engine) bool {
	tb, ok := e.bk.(*threadBackend)
	if !ok {
		return false
	}
	for i := range tb.slots {
		if tb.slots[i].r.Load() != nil {
			return true
		}
	}
	return false
}

// C17: ReadAtContext on an empty pipe returns ctx's error when ctx ends,
// and only once the kernel has let go of the buffer: the read is
// cancelled on either backend and reads nothing. No request is in flight
// when the call returns.
func TestFileContextCancel(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		rfd, _ := pipe(t)
		f, err := e.NewFile(dupFile(t, rfd))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		ctx, cancel := context.WithCancel(context.Background())
		type result struct {
			n        int
			err      error
			inFlight int
		}
		res := make(chan result, 1)
		p := make([]byte, 2)
		go func() {
			n, err := f.ReadAtContext(ctx, p, 0)
			res <- result{n, err, e.InFlight()}
		}()
		testutil.WaitFor(t, "the read to be in flight", func() bool { return e.InFlight() == 1 })
		if e.Backend() == "threads" {
			testutil.WaitFor(t, "a worker to take the read", func() bool { return runningAny(e) })
		}
		cancel()
		r := <-res
		if r.err != context.Canceled {
			t.Fatalf("C17: ReadAtContext after cancel = %d, %v; want context.Canceled", r.n, r.err)
		}
		if r.inFlight != 0 {
			t.Fatalf("C17: ReadAtContext returned with %d requests still in flight", r.inFlight)
		}
		if r.n != 0 {
			t.Fatalf("C17: the cancelled read gave %d bytes", r.n)
		}
		// A context that has ended already: nothing is submitted.
		if n, err := f.ReadAtContext(ctx, p, 0); n != 0 || err != context.Canceled {
			t.Fatalf("C17: ReadAtContext with an ended context = %d, %v", n, err)
		}
		if n, err := f.WriteAtContext(ctx, p, 0); n != 0 || err != context.Canceled {
			t.Fatalf("C17: WriteAtContext with an ended context = %d, %v", n, err)
		}
	})
}

// C17: with a context that does not end, the context variants read and
// write as ReadAt and WriteAt do.
func TestFileContextLive(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		_, data := tempFile(t, 8192, os.O_RDONLY)
		f, _ := newTestFile(t, e, data, os.O_RDWR)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if n, err := f.WriteAtContext(ctx, []byte("ctx"), 8190); n != 3 || err != nil {
			t.Fatalf("C17: WriteAtContext = %d, %v", n, err)
		}
		p := make([]byte, 8192)
		n, err := f.ReadAtContext(ctx, p, 1)
		if n != 8192 || err != nil || !bytes.Equal(p[:8189], data[1:8190]) || string(p[8189:]) != "ctx" {
			t.Fatalf("C17: ReadAtContext = %d, %v", n, err)
		}
		n, err = f.ReadAtContext(ctx, p, 8193)
		if n != 0 || err != io.EOF {
			t.Fatalf("C17: ReadAtContext at the end = %d, %v; want 0, io.EOF", n, err)
		}
	})
}

// C16: concurrent calls from many goroutines each get their own data,
// also through an engine whose in-flight limit is far below the number
// of callers (a call waits for room rather than failing).
func TestFileConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		for _, limit := range []int{1 << 16, 3} {
			t.Run(fmt.Sprintf("C16/maxinflight=%d", limit), func(t *testing.T) {
				e := newEngine(t, WithMaxInFlight(limit))
				_, data := tempFile(t, 1<<18, os.O_RDONLY)
				f, _ := newTestFile(t, e, data, os.O_RDWR)
				var wg sync.WaitGroup
				errs := make(chan error, 32)
				for g := range 32 {
					wg.Go(func() {
						p := make([]byte, 1000)
						for i := range 50 {
							off := int64((g*7919 + i*104729) % (len(data) - len(p)))
							if n, err := f.ReadAt(p, off); n != len(p) || err != nil || !bytes.Equal(p, data[off:off+int64(len(p))]) {
								errs <- fmt.Errorf("goroutine %d: ReadAt(%d) = %d, %v", g, off, n, err)
								return
							}
						}
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Error(err)
				}
			})
		}
	})
}

// C16: calls that arrive while a ring's loop is busy go to the kernel in
// one io_uring_enter. The loop is held inside a SIGEV_INLINE callback
// (which runs on the loop goroutine) while 16 goroutines call ReadAt;
// once it is let go, it enters their 16 reads together.
func TestFileBatchesCalls(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t, WithRings(1))
		if e.Backend() != "uring" {
			t.Skip("C16 batching is io_uring's; the thread pool has no submission to batch")
		}
		_, data := tempFile(t, 1<<16, os.O_RDONLY)
		f, _ := newTestFile(t, e, data, os.O_RDONLY)
		f.rd.never() // every read goes to the engine, as reads of a cold file do (C18)
		// The File's first call registers its descriptor, through the
		// loop: made before the loop is held.
		if n, err := f.ReadAt(make([]byte, 1), 0); n != 1 || err != nil {
			t.Fatalf("ReadAt = %d, %v", n, err)
		}
		rfd, wfd := pipe(t)
		inFunc, gate := make(chan struct{}), make(chan struct{})
		hold := &Request{Fd: rfd, Buf: make([]byte, 1), Notify: Sigevent{Notify: SIGEV_INLINE, Func: func(*Request) {
			close(inFunc)
			<-gate
		}}}
		if err := e.Read(hold); err != nil {
			t.Fatal(err)
		}
		syscall.Write(wfd, []byte("x"))
		<-inFunc // the loop goroutine is in the callback
		loop := e.bk.(*uringBackend).rings[0].loop
		before := loop.Stats()
		const calls = 16
		var wg sync.WaitGroup
		for g := range calls {
			wg.Go(func() {
				p := make([]byte, 4096)
				if n, err := f.ReadAt(p, int64(g*4096)); n != len(p) || err != nil {
					t.Errorf("ReadAt = %d, %v", n, err)
				}
			})
		}
		// InFlight counts a call from its reservation, before its SQE is
		// in the ring: wait for the SQEs themselves.
		testutil.WaitFor(t, "every call's SQE to be in the ring", func() bool {
			return e.InFlight() == calls && loop.Ring().Pending() == calls
		})
		close(gate)
		wg.Wait()
		after := loop.Stats()
		enters, sqes := after.Enters-before.Enters, after.Submitted-before.Submitted
		if sqes < calls || enters > 2 {
			t.Fatalf("C16: %d calls went to the kernel in %d io_uring_enter calls (%d SQEs); want them together", calls, enters, sqes)
		}
	})
}

// C16: a call waiting for the kernel holds no OS thread: 64 reads of an
// empty pipe in flight at once make the runtime start no threads for
// them (io_uring; the thread pool's workers are its threads).
func TestFileWaitHoldsNoThread(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t, WithQueueDepth(64))
		if e.Backend() != "uring" {
			t.Skip("C16: on the thread pool a worker performs each call")
		}
		rfd, wfd := pipe(t)
		f, err := e.NewFile(dupFile(t, rfd))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		threads := pprof.Lookup("threadcreate")
		before := threads.Count()
		const calls = 64
		var wg sync.WaitGroup
		for range calls {
			wg.Go(func() {
				p := make([]byte, 1)
				if n, err := f.ReadAt(p, 0); n != 1 || err != nil {
					t.Errorf("ReadAt = %d, %v", n, err)
				}
			})
		}
		testutil.WaitFor(t, "every read to be in flight", func() bool { return e.InFlight() == calls })
		if grown := threads.Count() - before; grown > 8 {
			t.Errorf("C16: %d calls waiting made the runtime create %d threads", calls, grown)
		}
		syscall.Write(wfd, make([]byte, calls))
		wg.Wait()
	})
}

// C16, C18: a call allocates nothing in steady state: ReadAt, WriteAt,
// and ReadAtContext with a context that can end, both on the page cache
// without the engine (C18) and through the engine.
func TestFileAllocations(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		_, data := tempFile(t, 1<<16, os.O_RDONLY)
		f, _ := newTestFile(t, e, data, os.O_RDWR)
		fileAllocs(t, "nowait", f)
		f.rd.never()
		f.wr.never()
		fileAllocs(t, "engine", f)
	})
}

// fileAllocs checks f's calls allocate nothing.
func fileAllocs(t *testing.T, path string, f *File) {
	t.Helper()
	{
		p := make([]byte, 4096)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		for what, call := range map[string]func() (int, error){
			"ReadAt":        func() (int, error) { return f.ReadAt(p, 4096) },
			"WriteAt":       func() (int, error) { return f.WriteAt(p, 8192) },
			"ReadAtContext": func() (int, error) { return f.ReadAtContext(ctx, p, 0) },
		} {
			got := testing.AllocsPerRun(500, func() {
				if n, err := call(); n != len(p) || err != nil {
					t.Fatalf("%s = %d, %v", what, n, err)
				}
			})
			if got != 0 {
				t.Errorf("C16/zero-allocs: %s (%s) allocates %.2f times per call", what, path, got)
			}
		}
	}
}

// C16: without options NewFile serves the file on the package's default
// engine, which its Close leaves open; with options on an engine of its
// own (io_uring where the kernel allows it, the thread pool when asked
// for), which its Close closes. Both read the same bytes.
func TestNewFileOwnEngine(t *testing.T) {
	_, data := tempFile(t, 10000, os.O_RDONLY)
	for _, opts := range [][]Option{nil, {WithBackend("threads")}} {
		name := filepath.Join(t.TempDir(), "own")
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
		osf, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := NewFile(osf, opts...)
		if err != nil {
			t.Fatalf("C16: NewFile: %v", err)
		}
		p := make([]byte, len(data)+1)
		n, err := f.ReadAt(p, 0)
		if n != len(data) || err != io.EOF || !bytes.Equal(p[:n], data) {
			t.Errorf("C16: ReadAt on %s = %d, %v", f.e.Backend(), n, err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if opts == nil {
			if d, _ := Default(); f.e != d || d.closed.Load() {
				t.Errorf("C16: NewFile without options: engine %p (closed %t), want the default engine %p, open",
					f.e, f.e.closed.Load(), d)
			}
			continue
		}
		if _, err := f.e.Buffer(1); err == nil || f.e.Read(&Request{Fd: 0, Buf: p}) != ErrClosed {
			t.Errorf("C16: the File's own engine is not closed by Close")
		}
	}
}

// C16: NewFile's own engine for an O_DIRECT file has one ring (with a
// thread), and reads and writes page-aligned blocks through it.
func TestNewFileDirect(t *testing.T) {
	name := filepath.Join(t.TempDir(), "direct")
	data := bytes.Repeat([]byte("direct!!"), 1024)
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	osf, err := os.OpenFile(name, os.O_RDWR|syscall.O_DIRECT, 0)
	if err != nil {
		t.Skipf("O_DIRECT unavailable on the temporary directory's file system: %v", err)
	}
	f, err := NewFile(osf)
	if err != nil {
		t.Fatalf("C16: NewFile(O_DIRECT): %v", err)
	}
	defer f.Close()
	if u, ok := f.e.bk.(*uringBackend); ok && len(u.rings) != 1 {
		t.Errorf("C16: the engine of an O_DIRECT File has %d rings, want 1", len(u.rings))
	}
	buf := alignedPage(t)
	if n, err := f.ReadAt(buf, 4096); n != 4096 || err != nil || !bytes.Equal(buf, data[4096:8192]) {
		t.Fatalf("C16: O_DIRECT ReadAt = %d, %v", n, err)
	}
	copy(buf, bytes.Repeat([]byte("written!"), 512))
	if n, err := f.WriteAt(buf, 0); n != 4096 || err != nil {
		t.Fatalf("C16: O_DIRECT WriteAt = %d, %v", n, err)
	}
	if got, err := os.ReadFile(name); err != nil || !bytes.Equal(got[:4096], buf) {
		t.Fatalf("C16: the O_DIRECT write did not land (%v)", err)
	}
}

// alignedPage returns a page-aligned 4 KiB buffer, as O_DIRECT wants.
func alignedPage(t *testing.T) []byte {
	t.Helper()
	raw := make([]byte, 2*4096)
	skip := (4096 - int(uintptr(unsafe.Pointer(&raw[0]))%4096)) % 4096
	return raw[skip : skip+4096 : skip+4096]
}

// C15: NewFile refuses what it cannot serve: nil, an engine bound to a
// model task, a closed engine. A shared engine serves more files than it
// has fixed-file slots: the rest name their descriptors.
func TestNewFileShared(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		if _, err := e.NewFile(nil); !errors.Is(err, os.ErrInvalid) {
			t.Errorf("C15: NewFile(nil) = %v, want os.ErrInvalid", err)
		}
		const files = fixedFiles + 6
		fs := make([]*File, files)
		for i := range fs {
			fs[i], _ = newTestFile(t, e, []byte{byte(i)}, os.O_RDONLY)
		}
		for i, f := range fs {
			p := make([]byte, 1)
			if n, err := f.ReadAt(p, 0); n != 1 || err != nil || p[0] != byte(i) {
				t.Fatalf("C15: file %d of %d on one engine: ReadAt = %d, %v, %v", i, files, n, err, p)
			}
		}
		for _, f := range fs {
			if err := f.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
		}
		if u, ok := e.bk.(*uringBackend); ok {
			for i, used := range u.files.used {
				if used {
					t.Fatalf("C15: fixed-file slot %d still used after every File closed", i)
				}
			}
		}
		closedEng := newEngine(t)
		osf, _ := tempFile(t, 1, os.O_RDONLY)
		orphan, err := closedEng.NewFile(osf)
		if err != nil {
			t.Fatal(err)
		}
		closedEng.Close()
		if _, err := orphan.ReadAt(make([]byte, 1), 0); !errors.Is(err, os.ErrClosed) {
			t.Errorf("C15: ReadAt on a File whose engine was closed = %v, want os.ErrClosed", err)
		}
		if err := orphan.Close(); err != nil {
			t.Errorf("C15: Close of a File whose engine was closed: %v", err)
		}
		osf, _ = tempFile(t, 1, os.O_RDONLY)
		if _, err := closedEng.NewFile(osf); !errors.Is(err, ErrClosed) {
			t.Errorf("C15: NewFile on a closed engine = %v, want ErrClosed", err)
		}
		osf.Close()
		if _, err := e.NewFile(osf); err == nil {
			t.Errorf("C15: NewFile of a closed *os.File succeeded")
		}
	})
	k := kernel.New(kernel.Config{})
	defer k.Close()
	me, err := New(WithTask(k.NewTask("t", kernel.Cred{})))
	if err != nil {
		t.Fatal(err)
	}
	defer me.Close()
	osf, _ := tempFile(t, 1, os.O_RDONLY)
	if _, err := me.NewFile(osf); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("C15: NewFile on a model engine = %v, want EINVAL", err)
	}
}
