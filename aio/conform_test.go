package aio

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// C14: what each call refuses at submission, with POSIX's errno, and the
// fields it ignores (Open POSIX aio_fsync 8-3 and 12-1, aio_read 5-1,
// aio_write 3-1 and 13, lio_listio 21).
func TestSubmissionErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		rw, _ := tempFile(t, 100, os.O_RDWR)
		ro, _ := tempFile(t, 100, os.O_RDONLY)
		pr, pw := pipe(t)
		fsync := func(r *Request) error { return e.Fsync(unix.O_SYNC, r) }
		fdatasync := func(r *Request) error { return e.Fsync(unix.O_DSYNC, r) }

		t.Run("C14/fsync-refusals", func(t *testing.T) {
			sock, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(sock[0])
			defer unix.Close(sock[1])
			fifo := filepath.Join(t.TempDir(), "fifo")
			if err := unix.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			ff, err := unix.Open(fifo, unix.O_RDWR|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(ff)
			path, err := unix.Open(rw.Name(), unix.O_PATH|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(path)
			for _, tc := range []struct {
				name string
				fd   int
				want error
			}{
				{"read-only", int(ro.Fd()), syscall.EBADF},
				{"O_PATH", path, syscall.EBADF},
				{"closed", closedFd(t), syscall.EBADF},
				{"beyond-int32", 1<<32 + int(rw.Fd()), syscall.EBADF},
				{"pipe-read-end", pr, syscall.EBADF},
				{"pipe-write-end", pw, syscall.EINVAL},
				{"fifo", ff, syscall.EINVAL},
				{"socket", sock[0], syscall.EINVAL},
			} {
				for _, call := range []struct {
					name   string
					submit func(*Request) error
				}{{"O_SYNC", fsync}, {"O_DSYNC", fdatasync}} {
					r := &Request{Fd: tc.fd}
					if err := call.submit(r); err != tc.want {
						t.Fatalf("%s %s: %v, want %v", call.name, tc.name, err, tc.want)
					}
					mustStatus(t, r, syscall.EINVAL) // never submitted
				}
			}
		})

		t.Run("C14/fsync-ignores-priority-opcode-offset-buffer", func(t *testing.T) {
			// Open POSIX aio_fsync 8-3: aio_reqprio -1 on an fsync is
			// not looked at. Out-of-range values must neither panic nor
			// wedge the engine: it closes afterwards.
			e := newEngine(t)
			for _, r := range []*Request{
				{Fd: int(rw.Fd()), Priority: -1},
				{Fd: int(rw.Fd()), Priority: 99},
				{Fd: int(rw.Fd()), Priority: math.MinInt, Opcode: 77, Offset: -1, Nbytes: -5},
			} {
				if err := fsync(r); err != nil {
					t.Fatalf("Fsync with Priority %d: %v", r.Priority, err)
				}
				waitDoneT(t, r)
				mustReturn(t, r, 0)
			}
			closeWithin(t, e, 10*time.Second)
		})

		t.Run("C14/read-write-ignore-opcode", func(t *testing.T) {
			// Open POSIX aio_read 5-1 and aio_write 3-1.
			w := &Request{Fd: int(rw.Fd()), Buf: []byte("opcode"), Opcode: LIO_READ}
			if err := e.Write(w); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, w)
			mustReturn(t, w, 6)
			r := &Request{Fd: int(rw.Fd()), Buf: make([]byte, 6), Opcode: LIO_WRITE}
			if err := e.Read(r); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, r)
			mustReturn(t, r, 6)
			mustEqual(t, "read back", r.Buf, []byte("opcode"))
			for _, op := range []int{-1, 99, math.MaxInt} {
				r := &Request{Fd: int(rw.Fd()), Buf: make([]byte, 1), Opcode: op}
				if err := e.Read(r); err != nil {
					t.Fatalf("Read with Opcode %d: %v", op, err)
				}
				waitDoneT(t, r)
				mustReturn(t, r, 1)
			}
		})

		t.Run("C14/write-at-offset-maximum-EFBIG", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				r    *Request
			}{
				{"one-byte-at-max", &Request{Fd: int(rw.Fd()), Offset: math.MaxInt64, Buf: []byte("x")}},
				{"ends-past-max", &Request{Fd: int(rw.Fd()), Offset: math.MaxInt64 - 5, Buf: make([]byte, 10)}},
				{"Nbytes-ends-past-max", &Request{Fd: int(rw.Fd()), Offset: math.MaxInt64 - 1, Buf: make([]byte, 10), Nbytes: 2}},
			} {
				if err := e.Write(tc.r); !errors.Is(err, syscall.EFBIG) {
					t.Fatalf("%s: %v, want EFBIG", tc.name, err)
				}
				mustStatus(t, tc.r, syscall.EINVAL) // never submitted
				// In a ListIO the entry's status is EFBIG (lio_listio
				// assertion 23) and ListIO reports EIO.
				entry := &Request{Fd: tc.r.Fd, Offset: tc.r.Offset, Buf: tc.r.Buf, Nbytes: tc.r.Nbytes, Opcode: LIO_WRITE}
				if err := e.ListIO(t.Context(), LIO_WAIT, []*Request{entry}, nil); !errors.Is(err, syscall.EIO) {
					t.Fatalf("%s in a ListIO: %v, want EIO", tc.name, err)
				}
				mustStatus(t, entry, syscall.EFBIG)
			}
			// A negative offset stays EINVAL, and so does a read past the
			// maximum (pread(2) gives EINVAL for it).
			if err := e.Write(&Request{Fd: int(rw.Fd()), Offset: -1, Buf: []byte("x")}); !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("write at -1: %v, want EINVAL", err)
			}
			if err := e.Read(&Request{Fd: int(rw.Fd()), Offset: math.MaxInt64, Buf: []byte("x")}); !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("read at the maximum: %v, want EINVAL", err)
			}
			// Nothing to transfer: nothing is past the maximum.
			z := &Request{Fd: int(rw.Fd()), Offset: math.MaxInt64, Buf: []byte{}}
			if err := e.Write(z); err != nil {
				t.Fatalf("empty write at the maximum: %v", err)
			}
			waitDoneT(t, z)
			z.Return()
		})

		t.Run("C14/write-past-the-file-system-limit", func(t *testing.T) {
			// Below the offset maximum but beyond what the file system
			// holds (ext4: 16 TiB - 4 KiB): the kernel's EFBIG, as the
			// request's status, exactly as pwrite(2) reports it here.
			const off = 1 << 62
			_, want := unix.Pwrite(int(rw.Fd()), []byte("x"), off)
			if want == nil {
				unix.Ftruncate(int(rw.Fd()), 100)
				t.Skip("this file system holds a byte at offset 2^62")
			}
			r := &Request{Fd: int(rw.Fd()), Offset: off, Buf: []byte("x")}
			if err := e.Write(r); err != nil {
				t.Fatal(err)
			}
			waitDoneT(t, r)
			mustStatus(t, r, want)
		})

		t.Run("C14/descriptor-beyond-int32-is-not-truncated", func(t *testing.T) {
			// 2^32 + fd would reach fd if the number were cut to 32 bits.
			big := 1<<32 + int(rw.Fd())
			for _, submit := range []func(*Request) error{e.Read, e.Write} {
				r := &Request{Fd: big, Buf: []byte("!")}
				if err := submit(r); err != nil {
					t.Fatal(err)
				}
				waitDoneT(t, r)
				mustStatus(t, r, syscall.EBADF)
			}
			if _, err := e.Cancel(big, nil); err != syscall.EBADF {
				t.Fatalf("Cancel(2^32+fd): %v, want EBADF", err)
			}
			if err := e.RegisterFile(big); !errors.Is(err, syscall.EBADF) {
				t.Fatalf("RegisterFile(2^32+fd): %v, want EBADF", err)
			}
			if got := fileContents(t, rw); got[0] == '!' {
				t.Fatal("a request on 2^32+fd wrote to fd")
			}
		})

		t.Run("C14/negative-descriptor-with-registered-files", func(t *testing.T) {
			e := newEngine(t)
			if err := e.RegisterFile(int(rw.Fd())); err != nil {
				t.Fatal(err)
			}
			defer e.UnregisterFile(int(rw.Fd()))
			for _, fd := range []int{-1, -2, math.MinInt} {
				r := &Request{Fd: fd, Buf: make([]byte, 1)}
				if err := e.Read(r); err != nil {
					t.Fatal(err)
				}
				waitDoneT(t, r)
				mustStatus(t, r, syscall.EBADF)
			}
		})
	})
}

// C14: a ListIO whose entries do not all fit under the in-flight limit
// queues those that fit, in list order, and returns EAGAIN; each entry
// left out has the status EAGAIN (lio_listio's EAGAIN; Open POSIX
// lio_listio assertion 21).
func TestListIOPartial(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		const limit = 8
		e := newEngine(t, WithMaxInFlight(limit))
		pr, pw := pipe(t)
		f, data := tempFile(t, 4096, os.O_RDONLY)
		held := make([]*Request, limit-2)
		for i := range held {
			held[i] = &Request{Fd: pr, Buf: make([]byte, 1)}
			if err := e.Read(held[i]); err != nil {
				t.Fatal(err)
			}
		}
		entries := func() []*Request {
			list := make([]*Request, 5)
			for i := range list {
				list[i] = &Request{Fd: int(f.Fd()), Offset: int64(100 * i), Buf: make([]byte, 10), Opcode: LIO_READ}
			}
			list[1].Opcode = LIO_NOP // skipped: takes no place
			return list
		}
		check := func(t *testing.T, list []*Request) {
			t.Helper()
			for _, i := range []int{0, 2} {
				mustReturn(t, list[i], 10)
				mustEqual(t, "queued entry", list[i].Buf, data[100*i:100*i+10])
			}
			mustStatus(t, list[1], syscall.EINVAL) // NOP: never submitted
			for _, i := range []int{3, 4} {
				if n, err := list[i].Return(); n != -1 || err != syscall.EAGAIN {
					t.Fatalf("entry %d left out: Return = %d, %v; want -1, EAGAIN", i, n, err)
				}
			}
		}

		t.Run("C14/listio-nowait-queues-what-fits", func(t *testing.T) {
			list := entries()
			done := make(chan *Request, 1)
			err := e.ListIO(t.Context(), LIO_NOWAIT, list, &Sigevent{Notify: SIGEV_CHAN, Chan: done})
			if err != syscall.EAGAIN {
				t.Fatalf("ListIO: %v, want EAGAIN", err)
			}
			for _, i := range []int{3, 4} {
				mustStatus(t, list[i], syscall.EAGAIN)
			}
			select {
			case <-done: // the queued entries completed
			case <-time.After(10 * time.Second):
				t.Fatal("no list notification")
			}
			check(t, list)
		})

		t.Run("C14/listio-wait-queues-what-fits", func(t *testing.T) {
			list := entries()
			if err := e.ListIO(t.Context(), LIO_WAIT, list, nil); err != syscall.EAGAIN {
				t.Fatalf("ListIO: %v, want EAGAIN", err)
			}
			check(t, list)
			// The entries left out go through once there is room.
			if err := e.ListIO(t.Context(), LIO_WAIT, list[3:], nil); err != nil {
				t.Fatal(err)
			}
			mustReturn(t, list[3], 10)
			mustReturn(t, list[4], 10)
		})

		t.Run("C6/nothing-lost", func(t *testing.T) {
			if got := e.InFlight(); got != len(held) {
				t.Fatalf("InFlight = %d, want the %d held reads", got, len(held))
			}
			unix.Write(pw, make([]byte, len(held)))
			waitDoneT(t, held...)
		})
	})
}

// closeWithin closes e, failing the test if Close has not returned
// within d (the engine's cleanup Close is then a no-op).
func closeWithin(t *testing.T, e *Engine, d time.Duration) {
	t.Helper()
	closed := make(chan error, 1)
	go func() { closed <- e.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(d):
		t.Fatalf("Close did not return within %v", d)
	}
}

// C14: whatever the exported fields hold, a submission gives an errno or
// a request that completes: never a panic, and the engine still closes
// (pipe reads and writes left waiting are cancelled by Close, C8).
func TestBadInputNeverPanics(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t, WithMaxInFlight(64))
		rw, _ := tempFile(t, 100, os.O_RDWR)
		ro, _ := tempFile(t, 100, os.O_RDONLY)
		pr, pw := pipe(t)
		rng := rand.New(rand.NewPCG(1, 2))
		// pick returns good half the time, else one of the others: each
		// field is bad alone often enough to reach every check.
		pick := func(good int, others ...int) int {
			if rng.IntN(2) == 0 {
				return good
			}
			return others[rng.IntN(len(others))]
		}
		fds := []int{-1, math.MinInt, math.MaxInt, 1<<32 + int(rw.Fd()), closedFd(t), int(ro.Fd()), pr, pw}
		offs := []int64{-1, 1, math.MaxInt64, math.MaxInt64 - 1, math.MinInt64, 1 << 62}
		var reqs []*Request
		for range 2000 {
			r := &Request{
				Fd:       pick(int(rw.Fd()), fds...),
				Offset:   int64(pick(0, 0)),
				Nbytes:   pick(0, -1, 1, 10, 11, math.MaxInt, math.MinInt),
				Priority: pick(0, -1, 1, AIO_PRIO_DELTA_MAX, AIO_PRIO_DELTA_MAX+1, 99, math.MaxInt, math.MinInt),
				Opcode:   pick(LIO_READ, -1, LIO_WRITE, LIO_NOP, 3, math.MaxInt),
			}
			if rng.IntN(2) == 0 {
				r.Offset = offs[rng.IntN(len(offs))]
			}
			if rng.IntN(2) == 0 {
				r.Notify = Sigevent{
					Notify:   pick(SIGEV_NONE, -1, SIGEV_SIGNAL, SIGEV_THREAD, 3, SIGEV_THREAD_ID, SIGEV_CHAN, SIGEV_INLINE, math.MaxInt),
					Signo:    syscall.Signal(pick(0, -1, 65, 1000)),
					ThreadID: pick(0, -1, 1<<40),
				}
			}
			switch rng.IntN(3) {
			case 0:
				r.Buf = make([]byte, 10)
			case 1:
				r.Buf = []byte{}
			}
			switch rng.IntN(6) {
			case 0:
				e.Read(r)
			case 1:
				e.Write(r)
			case 2:
				e.Fsync(pick(unix.O_SYNC, unix.O_DSYNC, 0, -1), r)
			case 3:
				e.ListIO(t.Context(), LIO_NOWAIT, []*Request{r, nil, r}, nil)
			case 4:
				e.ListIO(t.Context(), pick(LIO_WAIT, -1, 2, math.MaxInt), []*Request{r}, nil)
			case 5:
				e.Cancel(r.Fd, r)
			}
			reqs = append(reqs, r)
		}
		closeWithin(t, e, 10*time.Second)
		if n := e.InFlight(); n != 0 {
			t.Fatalf("InFlight = %d after Close", n)
		}
		for i, r := range reqs {
			if r.Error() == syscall.EINPROGRESS {
				t.Fatalf("request %d still in progress after Close", i)
			}
		}
	})
}
