package aio

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// readAt reads len(buf) bytes of fd at off through e and returns them.
func readAt(t *testing.T, e *Engine, fd int, buf []byte, off int64) []byte {
	t.Helper()
	r := &Request{Fd: fd, Buf: buf, Offset: off}
	if err := e.Read(r); err != nil {
		t.Fatalf("Read: %v", err)
	}
	waitDoneT(t, r)
	mustReturn(t, r, len(buf))
	return buf
}

// C1 with registered files: reads and writes on a registered descriptor
// land where they should; on io_uring they name the registered file (a
// descriptor number replaced by dup2 while registered still reaches the
// first file), and after UnregisterFile the descriptor again.
func TestRegisterFile(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		a, adata := tempFile(t, 8192, os.O_RDWR)
		b, bdata := tempFile(t, 8192, os.O_RDWR)
		fd, err := unix.Dup(int(a.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		if err := e.RegisterFile(fd); err != nil {
			t.Fatalf("C1/register: %v", err)
		}
		mustEqual(t, "C1/registered read", readAt(t, e, fd, make([]byte, 4096), 4096), adata[4096:])

		w := &Request{Fd: fd, Buf: []byte("fixed"), Offset: 10}
		if err := e.Write(w); err != nil {
			t.Fatal(err)
		}
		waitDoneT(t, w)
		mustReturn(t, w, 5)
		copy(adata[10:], "fixed")
		mustEqual(t, "C1/registered write", fileContents(t, a), adata)

		// The contract RegisterFile states, made visible: fd now names b.
		if err := unix.Dup2(int(b.Fd()), fd); err != nil {
			t.Fatal(err)
		}
		got := readAt(t, e, fd, make([]byte, 4096), 0)
		if e.Backend() == "uring" {
			mustEqual(t, "C1/registered file outlives its descriptor", got, adata[:4096])
		} else {
			mustEqual(t, "C1/thread pool reads the descriptor", got, bdata[:4096])
		}
		if err := e.UnregisterFile(fd); err != nil {
			t.Fatalf("C1/unregister: %v", err)
		}
		mustEqual(t, "C1/after unregister", readAt(t, e, fd, make([]byte, 4096), 0), bdata[:4096])
	})
}

// C5 for RegisterFile: a bad descriptor is EBADF, a second registration
// EEXIST, a full table ENFILE, unregistering an unregistered descriptor
// EINVAL, registering after Close EINVAL; a failed call changes nothing.
func TestRegisterFileErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		f, data := tempFile(t, 4096, os.O_RDONLY)
		closed, err := unix.Dup(int(f.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(closed)
		for _, fd := range []int{-1, closed} {
			if err := e.RegisterFile(fd); !errors.Is(err, syscall.EBADF) {
				t.Errorf("C5/bad-fd: RegisterFile(%d) = %v, want EBADF", fd, err)
			}
		}
		if err := e.UnregisterFile(-1); !errors.Is(err, syscall.EBADF) {
			t.Errorf("C5/bad-fd: UnregisterFile(-1) = %v, want EBADF", err)
		}
		fd := int(f.Fd())
		if err := e.RegisterFile(fd); err != nil {
			t.Fatal(err)
		}
		if e.Backend() == "uring" {
			if err := e.RegisterFile(fd); !errors.Is(err, syscall.EEXIST) {
				t.Errorf("C5/twice: RegisterFile = %v, want EEXIST", err)
			}
			dups := make([]int, 0, fixedFiles)
			defer func() {
				for _, d := range dups {
					e.UnregisterFile(d)
					unix.Close(d)
				}
			}()
			for range fixedFiles - 1 {
				d, err := unix.Dup(fd)
				if err != nil {
					t.Fatal(err)
				}
				dups = append(dups, d)
				if err := e.RegisterFile(d); err != nil {
					t.Fatalf("RegisterFile of dup %d: %v", len(dups), err)
				}
			}
			d, err := unix.Dup(fd)
			if err != nil {
				t.Fatal(err)
			}
			dups = append(dups, d)
			if err := e.RegisterFile(d); !errors.Is(err, syscall.ENFILE) {
				t.Errorf("C5/full: RegisterFile beyond %d files = %v, want ENFILE", fixedFiles, err)
			}
			mustEqual(t, "C1/read of an unregistered dup beside a full table", readAt(t, e, d, make([]byte, 4096), 0), data)
			if err := e.UnregisterFile(d); !errors.Is(err, syscall.EINVAL) {
				t.Errorf("C5/not-registered: UnregisterFile = %v, want EINVAL", err)
			}
		}
		if err := e.UnregisterFile(fd); err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "C1/read after unregister", readAt(t, e, fd, make([]byte, 4096), 0), data)
		e.Close()
		if err := e.RegisterFile(fd); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("C5/closed: RegisterFile after Close = %v, want EINVAL", err)
		}
	})
}

// C1 under -race: UnregisterFile while other goroutines keep submitting
// reads on the descriptor; every read completes with the right data
// (none finds its fixed-file slot emptied under it).
func TestUnregisterFileRacingReads(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		f, data := tempFile(t, 16*4096, os.O_RDONLY)
		fd := int(f.Fd())
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for g := range 4 {
			wg.Go(func() {
				buf := make([]byte, 4096)
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					off := int64((g*7+i)%16) * 4096
					r := &Request{Fd: fd, Buf: buf, Offset: off}
					if err := e.Read(r); err != nil {
						t.Errorf("Read: %v", err)
						return
					}
					waitDoneT(t, r)
					if n, err := r.Return(); n != 4096 || err != nil {
						t.Errorf("read at %d: %d, %v", off, n, err)
						return
					}
					if string(buf) != string(data[off:off+4096]) {
						t.Errorf("read at %d: wrong data", off)
						return
					}
				}
			})
		}
		for range 50 {
			if err := e.RegisterFile(fd); err != nil {
				t.Fatal(err)
			}
			if err := e.UnregisterFile(fd); err != nil {
				t.Fatal(err)
			}
		}
		close(stop)
		wg.Wait()
	})
}
