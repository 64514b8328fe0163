package aio

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/testutil"
)

// C9: ListIO in both modes.
func TestListIO(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		f, data := tempFile(t, 1<<16, os.O_RDWR)
		fd := int(f.Fd())

		t.Run("C9/wait-blocks-until-all-complete", func(t *testing.T) {
			list := []*Request{
				{Fd: fd, Offset: 0, Buf: make([]byte, 100), Opcode: LIO_READ},
				nil,
				{Fd: fd, Offset: 1000, Buf: make([]byte, 100), Opcode: LIO_NOP},
				{Fd: fd, Offset: 5000, Buf: make([]byte, 200), Opcode: LIO_READ},
			}
			if err := e.ListIO(t.Context(), LIO_WAIT, list, nil); err != nil {
				t.Fatal(err)
			}
			mustReturn(t, list[0], 100)
			mustReturn(t, list[3], 200)
			mustEqual(t, "entry 3", list[3].Buf, data[5000:5200])
			mustStatus(t, list[2], syscall.EINVAL) // NOP: never submitted
		})

		t.Run("C9/wait-ignores-notify", func(t *testing.T) {
			ch := make(chan *Request, 1)
			list := []*Request{{Fd: fd, Buf: make([]byte, 10)}}
			if err := e.ListIO(t.Context(), LIO_WAIT, list, &Sigevent{Notify: SIGEV_CHAN, Chan: ch}); err != nil {
				t.Fatal(err)
			}
			// A later NOWAIT list notifies on the same channel; if WAIT had
			// notified, its nil would come first.
			list2 := []*Request{{Fd: fd, Buf: make([]byte, 10)}}
			list2[0].Notify = Sigevent{Notify: SIGEV_CHAN, Chan: ch}
			if err := e.ListIO(t.Context(), LIO_NOWAIT, list2, nil); err != nil {
				t.Fatal(err)
			}
			if got := <-ch; got != list2[0] {
				t.Fatalf("first notification %p, want the NOWAIT entry %p", got, list2[0])
			}
		})

		t.Run("C9/nowait-returns-then-notifies-once", func(t *testing.T) {
			pr, pw := pipe(t)
			ch := make(chan *Request, 2)
			list := []*Request{
				{Fd: pr, Buf: make([]byte, 2), Opcode: LIO_READ},
				{Fd: fd, Buf: make([]byte, 50), Opcode: LIO_READ},
			}
			if err := e.ListIO(t.Context(), LIO_NOWAIT, list, &Sigevent{Notify: SIGEV_CHAN, Chan: ch}); err != nil {
				t.Fatal(err)
			}
			// The pipe read cannot finish before the write below, so the
			// list is still pending: NOWAIT did not wait.
			mustStatus(t, list[0], syscall.EINPROGRESS)
			waitDoneT(t, list[1])
			select {
			case <-ch:
				t.Fatal("list notified before every entry completed")
			default:
			}
			unix.Write(pw, []byte("go"))
			if got := <-ch; got != nil {
				t.Fatalf("list notification carried %p, want nil", got)
			}
			mustReturn(t, list[0], 2)
			mustReturn(t, list[1], 50)
			select {
			case <-ch:
				t.Fatal("list notified twice")
			default:
			}
		})

		t.Run("C9/bad-entry-does-not-stop-others", func(t *testing.T) {
			list := []*Request{
				{Fd: fd, Offset: 0, Buf: make([]byte, 10), Opcode: LIO_READ},
				{Fd: fd, Offset: -1, Buf: make([]byte, 10), Opcode: LIO_READ}, // C5
				{Fd: fd, Offset: 0, Buf: make([]byte, 10), Opcode: 7},         // unknown opcode
				{Fd: closedFd(t), Buf: make([]byte, 10), Opcode: LIO_READ},    // C4: fails at run time
				{Fd: fd, Offset: 100, Buf: make([]byte, 10), Opcode: LIO_READ},
			}
			err := e.ListIO(t.Context(), LIO_WAIT, list, nil)
			if !errors.Is(err, syscall.EIO) {
				t.Fatalf("ListIO with failing entries: %v, want EIO", err)
			}
			mustReturn(t, list[0], 10)
			mustStatus(t, list[1], syscall.EINVAL)
			mustStatus(t, list[2], syscall.EINVAL)
			mustStatus(t, list[3], syscall.EBADF)
			mustReturn(t, list[4], 10)
			mustEqual(t, "entry 4", list[4].Buf, data[100:110])
		})

		t.Run("C9/nowait-refused-entry-is-EIO", func(t *testing.T) {
			list := []*Request{
				{Fd: fd, Buf: make([]byte, 10), Opcode: LIO_READ},
				{Fd: fd, Buf: make([]byte, 10), Priority: -1, Opcode: LIO_READ},
			}
			if err := e.ListIO(t.Context(), LIO_NOWAIT, list, nil); !errors.Is(err, syscall.EIO) {
				t.Fatalf("ListIO NOWAIT with a bad entry: %v, want EIO", err)
			}
			waitDoneT(t, list[0])
			mustReturn(t, list[0], 10)
			mustStatus(t, list[1], syscall.EINVAL)
		})

		t.Run("C9/invalid-mode-is-EINVAL", func(t *testing.T) {
			r := &Request{Fd: fd, Buf: make([]byte, 10)}
			if err := e.ListIO(t.Context(), 2, []*Request{r}, nil); !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("ListIO mode 2: %v, want EINVAL", err)
			}
			mustStatus(t, r, syscall.EINVAL) // nothing submitted
		})

		t.Run("C9/wait-interrupted-by-context", func(t *testing.T) {
			pr, pw := pipe(t)
			r := &Request{Fd: pr, Buf: make([]byte, 1)}
			ctx, cancel := context.WithCancel(t.Context())
			result := make(chan error, 1)
			go func() { result <- e.ListIO(ctx, LIO_WAIT, []*Request{r}, nil) }()
			testutil.WaitFor(t, "the entry to be submitted", func() bool { return r.Error() == syscall.EINPROGRESS })
			cancel()
			if err := <-result; !errors.Is(err, syscall.EINTR) || !errors.Is(err, context.Canceled) {
				t.Fatalf("ListIO after cancel: %v, want EINTR and context.Canceled", err)
			}
			unix.Write(pw, []byte("x")) // the entry goes on
			waitDoneT(t, r)
			mustReturn(t, r, 1)
		})

		t.Run("C9/empty-list", func(t *testing.T) {
			if err := e.ListIO(t.Context(), LIO_WAIT, nil, nil); err != nil {
				t.Fatalf("ListIO of nothing: %v", err)
			}
			ch := make(chan *Request, 1)
			if err := e.ListIO(t.Context(), LIO_NOWAIT, []*Request{nil}, &Sigevent{Notify: SIGEV_CHAN, Chan: ch}); err != nil {
				t.Fatal(err)
			}
			<-ch // all (none) complete: notified at once
		})
	})
}

// C9 data integrity: random blocks written at random offsets by ListIO,
// read back by ListIO and compared with a model of the file.
func TestListIOIntegrity(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		const size, block, rounds, perList = 1 << 20, 4096, 8, 64
		f, model := tempFile(t, size, os.O_RDWR)
		rng := rand.New(rand.NewPCG(1, 2))
		for round := range rounds {
			// Distinct block-aligned offsets, so no two entries of a list
			// overlap and the model is unambiguous.
			offs := rng.Perm(size / block)[:perList]
			list := make([]*Request, perList)
			for i, o := range offs {
				buf := make([]byte, block)
				for j := range buf {
					buf[j] = byte(rng.Uint32())
				}
				list[i] = &Request{Fd: int(f.Fd()), Offset: int64(o * block), Buf: buf, Opcode: LIO_WRITE}
				copy(model[o*block:], buf)
			}
			if err := e.ListIO(t.Context(), LIO_WAIT, list, nil); err != nil {
				t.Fatalf("round %d write: %v", round, err)
			}
			for _, r := range list {
				mustReturn(t, r, block)
			}
			// Read every block of the file back.
			reads := make([]*Request, 0, size/block)
			for o := 0; o < size; o += block {
				reads = append(reads, &Request{Fd: int(f.Fd()), Offset: int64(o), Buf: make([]byte, block), Opcode: LIO_READ})
			}
			if err := e.ListIO(t.Context(), LIO_WAIT, reads, nil); err != nil {
				t.Fatalf("round %d read: %v", round, err)
			}
			for _, r := range reads {
				mustReturn(t, r, block)
				mustEqual(t, "read back", r.Buf, model[r.Offset:r.Offset+block])
			}
		}
		mustEqual(t, "whole file", fileContents(t, f), model)
	})
}
