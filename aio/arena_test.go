package aio

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"syscall"
	"testing"
	"unsafe"
)

// C5 for the arena's API: bad sizes and foreign memory are EINVAL, an
// exhausted arena (or none) is ENOMEM; buffers are page-aligned, zeroed
// and reusable once released.
func TestBufferArenaAPI(t *testing.T) {
	for _, size := range []int{0, -1, maxArena + 1} {
		if _, err := New(WithBufferArena(size)); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("C5/arena-size: New(WithBufferArena(%d)) = %v, want EINVAL", size, err)
		}
	}
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		t.Run("C5/no-arena", func(t *testing.T) {
			e := newEngine(t)
			if _, err := e.Buffer(4096); !errors.Is(err, syscall.ENOMEM) {
				t.Fatalf("Buffer without an arena = %v, want ENOMEM", err)
			}
			if err := e.ReleaseBuffer(make([]byte, 1)); !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("ReleaseBuffer without an arena = %v, want EINVAL", err)
			}
		})
		t.Run("C5/lend-and-give-back", func(t *testing.T) {
			e := newEngine(t, WithBufferArena(4*pageSize-100)) // rounded up to 4 pages
			for _, n := range []int{0, -5} {
				if _, err := e.Buffer(n); !errors.Is(err, syscall.EINVAL) {
					t.Fatalf("Buffer(%d) = %v, want EINVAL", n, err)
				}
			}
			if _, err := e.Buffer(5 * pageSize); !errors.Is(err, syscall.ENOMEM) {
				t.Fatalf("Buffer larger than the arena = %v, want ENOMEM", err)
			}
			a, err := e.Buffer(100)
			if err != nil {
				t.Fatal(err)
			}
			b, err := e.Buffer(2*pageSize + 1) // three pages: the arena is now full
			if err != nil {
				t.Fatal(err)
			}
			for _, buf := range [][]byte{a, b} {
				if p := uintptr(unsafe.Pointer(&buf[0])); p%pageSize != 0 || cap(buf) != len(buf) {
					t.Fatalf("buffer at %#x, len %d cap %d: want page-aligned, cap = len", p, len(buf), cap(buf))
				}
			}
			if _, err := e.Buffer(1); !errors.Is(err, syscall.ENOMEM) {
				t.Fatalf("Buffer from a full arena = %v, want ENOMEM", err)
			}
			a[0] = 0xff
			for _, bad := range [][]byte{make([]byte, 10), b[pageSize:], nil} {
				if err := e.ReleaseBuffer(bad); !errors.Is(err, syscall.EINVAL) {
					t.Fatalf("ReleaseBuffer of a slice not lent = %v, want EINVAL", err)
				}
			}
			if err := e.ReleaseBuffer(a[:0]); err != nil {
				t.Fatalf("ReleaseBuffer(a[:0]): %v", err)
			}
			if err := e.ReleaseBuffer(a); !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("second ReleaseBuffer = %v, want EINVAL", err)
			}
			c, err := e.Buffer(pageSize)
			if err != nil {
				t.Fatalf("Buffer after a release: %v", err)
			}
			if c[0] != 0 {
				t.Fatal("a lent buffer is not zeroed")
			}
		})
	})
}

// C1 through fixed buffers: random blocks written with ListIO from arena
// buffers land at their offsets and read back intact into arena buffers;
// a buffer outside the arena works beside them; a slice reaching past the
// arena's end takes the ordinary path (it is no fixed buffer) and works.
func TestBufferArenaIntegrity(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		const blocks, bs = 16, 4096
		e := newEngine(t, WithBufferArena((blocks+1)*bs))
		f, _ := tempFile(t, blocks*bs, os.O_RDWR)
		fd := int(f.Fd())
		want := make([]byte, blocks*bs)
		rand.Read(want)
		list := make([]*Request, blocks)
		for i := range list {
			buf, err := e.Buffer(bs)
			if err != nil {
				t.Fatal(err)
			}
			if !e.arena.contains(buf) {
				t.Fatal("a lent buffer is not inside the arena")
			}
			copy(buf, want[i*bs:])
			list[i] = &Request{Fd: fd, Offset: int64(i * bs), Buf: buf, Opcode: LIO_WRITE}
		}
		if err := e.ListIO(t.Context(), LIO_WAIT, list, nil); err != nil {
			t.Fatalf("C1/fixed-write: ListIO: %v", err)
		}
		for _, r := range list {
			mustReturn(t, r, bs)
			clear(r.Buf)
			r.Opcode = LIO_READ
		}
		if err := e.ListIO(t.Context(), LIO_WAIT, list, nil); err != nil {
			t.Fatalf("C1/fixed-read: ListIO: %v", err)
		}
		for i, r := range list {
			mustReturn(t, r, bs)
			mustEqual(t, "C1/fixed-read block", r.Buf, want[i*bs:(i+1)*bs])
		}
		mustEqual(t, "C1/fixed-write file", fileContents(t, f), want)

		outside := &Request{Fd: fd, Offset: 3 * bs, Buf: make([]byte, bs)}
		readOne(t, e, outside)
		mustEqual(t, "C1/buffer-outside-the-arena", outside.Buf, want[3*bs:4*bs])

		// The last page is free; a slice from its middle reaching half a
		// page past the end lies in the arena's slack allocation.
		end := unsafe.Add(unsafe.Pointer(&e.arena.mem[0]), len(e.arena.mem))
		straddle := unsafe.Slice((*byte)(unsafe.Add(end, -bs/2)), bs)
		if e.arena.contains(straddle) {
			t.Fatal("a slice past the arena's end counts as inside it")
		}
		r := &Request{Fd: fd, Offset: 5 * bs, Buf: straddle}
		readOne(t, e, r)
		mustEqual(t, "C1/slice-past-the-arena-end", straddle, want[5*bs:6*bs])
	})
}

func readOne(t *testing.T, e *Engine, r *Request) {
	t.Helper()
	if err := e.Read(r); err != nil {
		t.Fatal(err)
	}
	waitDoneT(t, r)
	mustReturn(t, r, len(r.Buf))
}

// Zero allocations per request in steady state hold with fixed buffers.
func TestBufferArenaAllocations(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t, WithBufferArena(1<<16))
		f, data := tempFile(t, 1<<16, os.O_RDONLY)
		buf, err := e.Buffer(4096)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan *Request, 1)
		r := &Request{Fd: int(f.Fd()), Offset: 8192, Buf: buf, Notify: Sigevent{Notify: SIGEV_CHAN, Chan: done}}
		if got := readAllocs(t, e, r, done); got != 0 {
			t.Errorf("C1/zero-allocs: fixed-buffer Read+Return allocates %.2f times per request", got)
		}
		if !bytes.Equal(buf, data[8192:8192+4096]) {
			t.Error("C1/fixed-read: data differs from the file")
		}
	})
}
