package scull

import (
	"context"
	"errors"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/fasync-go/fasync/internal/testutil"
	"github.com/fasync-go/fasync/kernel"
)

func TestB1Config(t *testing.T) {
	t.Run("B1/defaults", func(t *testing.T) {
		k, ps := setup(t, Config{})
		want := []string{"scullpipe0", "scullpipe1", "scullpipe2", "scullpipe3"}
		if got := ps.Names(); !slices.Equal(got, want) {
			t.Fatalf("names %v, want %v", got, want)
		}
		if got := k.Devices(); !slices.Equal(got, want) {
			t.Fatalf("kernel devices %v, want %v", got, want)
		}
		for i := range ps.Len() {
			if got := ps.Pipe(i).Size(); got != 4000 {
				t.Errorf("%s size %d, want 4000", DeviceName(i), got)
			}
		}
		if ps.Pipe(-1) != nil || ps.Pipe(4) != nil {
			t.Error("Pipe out of range is not nil")
		}
	})
	t.Run("B1/configured", func(t *testing.T) {
		_, ps := setup(t, Config{Devices: 2, Size: 100})
		if ps.Len() != 2 || ps.Pipe(1).Size() != 100 {
			t.Fatalf("got %d devices of size %d, want 2 of 100", ps.Len(), ps.Pipe(1).Size())
		}
	})
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"B1/negative-devices", Config{Devices: -1}},
		{"B1/too-many-devices", Config{Devices: MaxDevices + 1}},
		{"B1/size-too-small", Config{Size: 1}},
		{"B1/negative-size", Config{Size: -5}},
		{"B1/size-too-large", Config{Size: MaxSize + 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := kernel.New(kernel.Config{})
			defer k.Close()
			_, err := Register(k, tc.cfg)
			wantErrno(t, "Register", err, syscall.EINVAL)
			if d := k.Devices(); len(d) != 0 {
				t.Fatalf("failed Register left devices %v", d)
			}
		})
	}
	t.Run("B1/name-taken-undoes", func(t *testing.T) {
		k := kernel.New(kernel.Config{})
		defer k.Close()
		other, _ := NewPipe("scullpipe2", 0)
		if err := k.Register("scullpipe2", other); err != nil {
			t.Fatal(err)
		}
		_, err := Register(k, Config{})
		wantErrno(t, "Register over a taken name", err, syscall.EEXIST)
		if d := k.Devices(); !slices.Equal(d, []string{"scullpipe2"}) {
			t.Fatalf("devices after failed Register: %v", d)
		}
	})
	t.Run("B1/set-size-while-empty", func(t *testing.T) {
		k, ps := setup(t, Config{Devices: 1, Size: 100})
		p := ps.Pipe(0)
		task := k.NewTask("t", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_RDWR|kernel.O_NONBLOCK)
		if err := p.SetSize(10); err != nil {
			t.Fatalf("SetSize(10) on an empty open device: %v", err)
		}
		n, _ := task.Write(bounded(t), fd, make([]byte, 50))
		if n != 9 {
			t.Fatalf("write into a resized 10-byte buffer took %d, want 9", n)
		}
		wantErrno(t, "SetSize with data held", p.SetSize(20), syscall.EBUSY)
		if p.Size() != 10 {
			t.Fatalf("size %d after refused SetSize, want 10", p.Size())
		}
		read(t, task, fd, 50)
		if err := p.SetSize(20); err != nil {
			t.Fatalf("SetSize after draining: %v", err)
		}
		if n, _ := task.Write(bounded(t), fd, make([]byte, 50)); n != 19 {
			t.Fatalf("write into a resized 20-byte buffer took %d, want 19", n)
		}
	})
	t.Run("B1/set-size-bad", func(t *testing.T) {
		_, ps := setup(t, Config{Devices: 1})
		for _, n := range []int{-1, 0, 1, MaxSize + 1} {
			wantErrno(t, "SetSize", ps.Pipe(0).SetSize(n), syscall.EINVAL)
		}
		if err := ps.Pipe(0).SetSize(MinSize); err != nil {
			t.Fatalf("SetSize(MinSize) with no buffer: %v", err)
		}
	})
}

// TestB2SizeMinusOne: a buffer of size n stores n-1 bytes, then is full.
func TestB2SizeMinusOne(t *testing.T) {
	for _, size := range []int{2, 10, 4000} {
		k, ps := setup(t, Config{Devices: 1, Size: size})
		task := k.NewTask("t", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_WRONLY|kernel.O_NONBLOCK)
		total := 0
		for {
			n, err := task.Write(bounded(t), fd, make([]byte, size*2))
			if errors.Is(err, syscall.EAGAIN) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			total += n
		}
		if total != size-1 {
			t.Errorf("B2: size %d stored %d bytes, want %d", size, total, size-1)
		}
		if s := ps.Pipe(0).Status(); s.Held != size-1 {
			t.Errorf("B2: size %d: status held %d, want %d", size, s.Held, size-1)
		}
	}
}

func TestB3Read(t *testing.T) {
	t.Run("B3/empty-nonblock-EAGAIN", func(t *testing.T) {
		k, _ := setup(t, Config{Devices: 1})
		task := k.NewTask("t", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_RDONLY|kernel.O_NONBLOCK)
		_, err := task.Read(bounded(t), fd, make([]byte, 10))
		wantErrno(t, "read on empty with O_NONBLOCK", err, syscall.EAGAIN)
	})
	t.Run("B3/empty-sleeps-until-write", func(t *testing.T) {
		k, ps := setup(t, Config{Devices: 1})
		r, w := k.NewTask("r", kernel.Cred{}), k.NewTask("w", kernel.Cred{})
		rfd := open(t, r, "scullpipe0", kernel.O_RDONLY)
		wfd := open(t, w, "scullpipe0", kernel.O_WRONLY)
		done := goRead(bounded(t), r, rfd, 100)
		testutil.WaitFor(t, "reader asleep", func() bool { return ps.Pipe(0).Status().BlockedReaders == 1 })
		write(t, w, wfd, []byte("wake"))
		if res := await(t, "blocked reader", done); res.err != nil || res.data != "wake" {
			t.Fatalf("blocked reader got (%q, %v), want %q", res.data, res.err, "wake")
		}
	})
	t.Run("B3/no-eof-without-writers", func(t *testing.T) {
		k, ps := setup(t, Config{Devices: 1})
		r := k.NewTask("r", kernel.Cred{})
		fd := open(t, r, "scullpipe0", kernel.O_RDONLY)
		ctx, cancel := context.WithCancel(bounded(t))
		done := goRead(ctx, r, fd, 10)
		testutil.WaitFor(t, "reader asleep", func() bool { return ps.Pipe(0).Status().BlockedReaders == 1 })
		cancel()
		if res := await(t, "reader", done); res.n != 0 || !errors.Is(res.err, context.Canceled) {
			t.Fatalf("read with no writers = (%d, %v), want to sleep until the context ends", res.n, res.err)
		}
	})
	t.Run("B3/does-not-wrap", func(t *testing.T) {
		k, ps := setup(t, Config{Devices: 1, Size: 10})
		task := k.NewTask("t", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_RDWR|kernel.O_NONBLOCK)
		write(t, task, fd, []byte("01234567")) // rp 0, wp 8
		if got := read(t, task, fd, 5); got != "01234" {
			t.Fatalf("first read %q", got)
		}
		write(t, task, fd, []byte("abcdef")) // "ab" to the end, then "cdef" from 0: wp 4
		if s := ps.Pipe(0).Status(); s.ReadPos != 5 || s.WritePos != 4 || s.Held != 9 {
			t.Fatalf("positions rp %d wp %d held %d, want 5 4 9", s.ReadPos, s.WritePos, s.Held)
		}
		if got := read(t, task, fd, 100); got != "567ab" {
			t.Fatalf("read across the end returned %q, want %q (stop at the end)", got, "567ab")
		}
		if got := read(t, task, fd, 100); got != "cdef" {
			t.Fatalf("read after wrap returned %q, want %q", got, "cdef")
		}
	})
	t.Run("B3/up-to-write-position", func(t *testing.T) {
		k, _ := setup(t, Config{Devices: 1})
		task := k.NewTask("t", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_RDWR)
		write(t, task, fd, []byte("abc"))
		if got := read(t, task, fd, 100); got != "abc" {
			t.Fatalf("read %q, want %q", got, "abc")
		}
	})
	t.Run("B3/zero-length", func(t *testing.T) {
		k, _ := setup(t, Config{Devices: 1})
		task := k.NewTask("t", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_RDONLY)
		if n, err := task.Read(bounded(t), fd, nil); n != 0 || err != nil {
			t.Fatalf("zero-length read = (%d, %v), want (0, nil) without sleeping", n, err)
		}
	})
}

func TestB4Write(t *testing.T) {
	// Each case starts from a size-10 buffer: write pre, read drain, write
	// wrap, then write count bytes and expect min(count, free, contiguous).
	for _, tc := range []struct {
		name                    string
		pre, drain, wrap, count int
		want                    int
	}{
		{"B4/count", 0, 0, 0, 3, 3},
		{"B4/free-space", 0, 0, 0, 20, 9},
		{"B4/partly-full", 6, 0, 0, 20, 3},
		{"B4/contiguous-to-end", 5, 5, 0, 20, 5}, // empty, rp = wp = 5: room to the end only
		{"B4/last-slot", 9, 4, 0, 20, 1},         // wp 9, rp 4: 4 free, 1 before the end
		{"B4/wrapped-up-to-rp", 9, 4, 1, 20, 3},  // wp 0, rp 4: up to the byte before rp
		{"B4/wrapped-full-count", 9, 4, 1, 2, 2}, // count is the smallest bound
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, _ := setup(t, Config{Devices: 1, Size: 10})
			task := k.NewTask("t", kernel.Cred{})
			fd := open(t, task, "scullpipe0", kernel.O_RDWR|kernel.O_NONBLOCK)
			write(t, task, fd, make([]byte, tc.pre))
			if tc.drain > 0 {
				read(t, task, fd, tc.drain)
			}
			write(t, task, fd, make([]byte, tc.wrap))
			n, err := task.Write(bounded(t), fd, make([]byte, tc.count))
			if err != nil || n != tc.want {
				t.Fatalf("write %d = (%d, %v), want %d", tc.count, n, err, tc.want)
			}
		})
	}
	t.Run("B4/full-nonblock-EAGAIN", func(t *testing.T) {
		k, _ := setup(t, Config{Devices: 1, Size: 10})
		task := k.NewTask("t", kernel.Cred{})
		fd := open(t, task, "scullpipe0", kernel.O_WRONLY|kernel.O_NONBLOCK)
		write(t, task, fd, make([]byte, 9))
		_, err := task.Write(bounded(t), fd, []byte("x"))
		wantErrno(t, "write on full with O_NONBLOCK", err, syscall.EAGAIN)
	})
	t.Run("B4/full-sleeps-until-read", func(t *testing.T) {
		k, ps := setup(t, Config{Devices: 1, Size: 10})
		w, r := k.NewTask("w", kernel.Cred{}), k.NewTask("r", kernel.Cred{})
		wfd := open(t, w, "scullpipe0", kernel.O_WRONLY)
		rfd := open(t, r, "scullpipe0", kernel.O_RDONLY)
		write(t, w, wfd, []byte("123456789"))
		done := goWrite(bounded(t), w, wfd, []byte("abc"))
		testutil.WaitFor(t, "writer asleep", func() bool { return ps.Pipe(0).Status().BlockedWriters == 1 })
		if got := read(t, r, rfd, 4); got != "1234" {
			t.Fatalf("read %q", got)
		}
		if res := await(t, "blocked writer", done); res.err != nil || res.n != 3 {
			t.Fatalf("woken writer = (%d, %v), want all 3 bytes", res.n, res.err)
		}
		if got := read(t, r, rfd, 100); got != "56789a" {
			// wp was 9, the last slot: "a" fits before the wrap, "bc" after it.
			t.Fatalf("read %q, want %q (a read does not wrap)", got, "56789a")
		}
		if got := read(t, r, rfd, 100); got != "bc" {
			t.Fatalf("read %q, want %q", got, "bc")
		}
	})
}

// TestB5WriteNotifiesReaders: a write wakes readers and sends POLL_IN to
// the readers' list, and to nobody on the writers' list.
func TestB5WriteNotifiesReaders(t *testing.T) {
	k, ps := setup(t, Config{Devices: 1})
	reader := k.NewTask("reader", kernel.Cred{})
	writerOwner := k.NewTask("writer-owner", kernel.Cred{})
	w := k.NewTask("w", kernel.Cred{})
	rsig := catch(t, reader, kernel.SIGRTMIN+1, 0)
	catch(t, writerOwner, kernel.SIGRTMIN+2, 0)

	rfd := open(t, reader, "scullpipe0", kernel.O_RDONLY)
	setAsync(t, reader, rfd, reader.Pid(), kernel.SIGRTMIN+1)
	ofd := open(t, writerOwner, "scullpipe0", kernel.O_WRONLY)
	setAsync(t, writerOwner, ofd, writerOwner.Pid(), kernel.SIGRTMIN+2)
	if s := ps.Pipe(0).Status(); s.AsyncReaders != 1 || s.AsyncWriters != 1 {
		t.Fatalf("B5: async readers/writers %d/%d, want 1/1", s.AsyncReaders, s.AsyncWriters)
	}

	wfd := open(t, w, "scullpipe0", kernel.O_WRONLY)
	write(t, w, wfd, []byte("hi"))
	info := pauseFor(t, reader, rsig)
	want := kernel.SigInfo{Signo: kernel.SIGRTMIN + 1, Code: kernel.POLL_IN, Fd: rfd,
		Band: kernel.POLLIN | kernel.POLLRDNORM} // A8: 0x041
	if info.Signo != want.Signo || info.Code != want.Code || info.Fd != want.Fd || info.Band != want.Band {
		t.Fatalf("B5: reader got %+v, want %+v", info, want)
	}
	if p := writerOwner.Pending(); len(p) != 0 {
		t.Fatalf("B5: a write signalled the writers' list: pending %v", p)
	}
}

// TestB6ReadNotifiesWriters: a read that frees space wakes writers and
// sends POLL_OUT to the writers' list, not to the readers' list.
func TestB6ReadNotifiesWriters(t *testing.T) {
	k, ps := setup(t, Config{Devices: 1})
	x := k.NewTask("x", kernel.Cred{})
	readerOwner := k.NewTask("reader-owner", kernel.Cred{})
	writer := k.NewTask("writer", kernel.Cred{})
	catch(t, readerOwner, kernel.SIGRTMIN+1, 0)
	wsig := catch(t, writer, kernel.SIGRTMIN+2, 0)

	xfd := open(t, x, "scullpipe0", kernel.O_RDWR)
	write(t, x, xfd, []byte("abc"))
	// Armed after the data arrived: no signal yet, only transitions signal.
	rfd := open(t, readerOwner, "scullpipe0", kernel.O_RDONLY)
	setAsync(t, readerOwner, rfd, readerOwner.Pid(), kernel.SIGRTMIN+1)
	wfd := open(t, writer, "scullpipe0", kernel.O_WRONLY)
	setAsync(t, writer, wfd, writer.Pid(), kernel.SIGRTMIN+2)

	if got := read(t, x, xfd, 1); got != "a" {
		t.Fatalf("read %q", got)
	}
	info := pauseFor(t, writer, wsig)
	if info.Code != kernel.POLL_OUT || info.Fd != wfd ||
		info.Band != kernel.POLLOUT|kernel.POLLWRNORM|kernel.POLLWRBAND {
		t.Fatalf("B6: writer got %+v, want POLL_OUT on fd %d band 0x304", info, wfd)
	}
	if p := readerOwner.Pending(); len(p) != 0 {
		t.Fatalf("B6: a read signalled the readers' list: pending %v", p)
	}

	t.Run("B6/rdwr-on-both-lists", func(t *testing.T) {
		setAsync(t, x, xfd, x.Pid(), 0)
		if s := ps.Pipe(0).Status(); s.AsyncReaders != 2 || s.AsyncWriters != 2 {
			t.Fatalf("async readers/writers %d/%d, want 2/2 (O_RDWR joins both)", s.AsyncReaders, s.AsyncWriters)
		}
		fl := fcntl(t, x, xfd, kernel.F_GETFL, 0)
		fcntl(t, x, xfd, kernel.F_SETFL, fl&^kernel.FASYNC)
		if s := ps.Pipe(0).Status(); s.AsyncReaders != 1 || s.AsyncWriters != 1 {
			t.Fatalf("after FASYNC off: %d/%d, want 1/1", s.AsyncReaders, s.AsyncWriters)
		}
		if file(t, x, xfd).Flags()&kernel.FASYNC != 0 {
			t.Fatal("A4: FASYNC still set after leaving both lists")
		}
	})
}

func TestB7Poll(t *testing.T) {
	const in, out = kernel.POLLIN | kernel.POLLRDNORM, kernel.POLLOUT | kernel.POLLWRNORM
	for _, tc := range []struct {
		name  string
		fill  int
		flags int
		want  int16
	}{
		{"B7/empty", 0, kernel.O_RDWR, out},
		{"B7/some-data", 3, kernel.O_RDWR, in | out},
		{"B7/full", 9, kernel.O_RDWR, in},
		{"B7/no-writers-no-hup", 3, kernel.O_RDONLY, in | out},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, _ := setup(t, Config{Devices: 1, Size: 10})
			w, task := k.NewTask("w", kernel.Cred{}), k.NewTask("t", kernel.Cred{})
			wfd := open(t, w, "scullpipe0", kernel.O_WRONLY)
			fd := open(t, task, "scullpipe0", tc.flags)
			write(t, w, wfd, make([]byte, tc.fill))
			if tc.flags == kernel.O_RDONLY {
				w.Close(wfd) // the reader alone: still no POLLHUP
			}
			fds := []kernel.PollFd{{Fd: fd, Events: kernel.POLLIN | kernel.POLLOUT | kernel.POLLRDNORM | kernel.POLLWRNORM}}
			if _, err := task.Poll(bounded(t), fds, 0); err != nil {
				t.Fatal(err)
			}
			if fds[0].Revents != tc.want {
				t.Fatalf("revents %#x, want %#x", fds[0].Revents, tc.want)
			}
			if got := file(t, task, fd).Poll(nil); got != tc.want {
				t.Fatalf("File.Poll %#x, want %#x", got, tc.want)
			}
		})
	}
}

// TestB8Release: a closed file leaves the lists before the counts drop and
// gets no later signal; the last close frees the buffer.
func TestB8Release(t *testing.T) {
	k, ps := setup(t, Config{Devices: 1})
	p := ps.Pipe(0)
	r, w := k.NewTask("r", kernel.Cred{}), k.NewTask("w", kernel.Cred{})
	sig := catch(t, r, kernel.SIGIO, 0)
	rfd := open(t, r, "scullpipe0", kernel.O_RDONLY)
	setAsync(t, r, rfd, r.Pid(), 0)
	rf := file(t, r, rfd)
	wfd := open(t, w, "scullpipe0", kernel.O_WRONLY)
	write(t, w, wfd, []byte("data"))
	pauseFor(t, r, sig) // the SIGIO this write sent while r was listed

	if err := r.Close(rfd); err != nil {
		t.Fatal(err)
	}
	s := p.Status()
	if s.AsyncReaders != 0 || s.Readers != 0 || rf.Flags()&kernel.FASYNC != 0 {
		t.Fatalf("B8: after close: %v, FASYNC %v", s, rf.Flags()&kernel.FASYNC != 0)
	}
	write(t, w, wfd, []byte("more"))
	if pend := r.Pending(); len(pend) != 0 {
		t.Fatalf("B8/A13: closed reader still signalled: pending %v", pend)
	}
	if !s.Allocated || p.Status().Held != 8 {
		t.Fatalf("B8: buffer freed while a writer holds the device: %v", p.Status())
	}
	if err := w.Close(wfd); err != nil {
		t.Fatal(err)
	}
	if s := p.Status(); s.Allocated || s.Held != 0 || s.Writers != 0 {
		t.Fatalf("B8: last close did not free the buffer: %v", s)
	}
}

// TestB9OpenKeepsData: unlike LDD3, a new open does not reset the positions.
func TestB9OpenKeepsData(t *testing.T) {
	k, _ := setup(t, Config{Devices: 1})
	w := k.NewTask("w", kernel.Cred{})
	wfd := open(t, w, "scullpipe0", kernel.O_WRONLY)
	write(t, w, wfd, []byte("kept"))
	w2 := k.NewTask("w2", kernel.Cred{})
	open(t, w2, "scullpipe0", kernel.O_WRONLY)
	r := k.NewTask("r", kernel.Cred{})
	rfd := open(t, r, "scullpipe0", kernel.O_RDONLY)
	if got := read(t, r, rfd, 100); got != "kept" {
		t.Fatalf("B9: reader opened later got %q, want %q", got, "kept")
	}
}

func TestB10Status(t *testing.T) {
	k, ps := setup(t, Config{Devices: 2, Size: 100})
	r, w := k.NewTask("r", kernel.Cred{}), k.NewTask("w", kernel.Cred{})
	rfd := open(t, r, "scullpipe0", kernel.O_RDONLY)
	catch(t, r, kernel.SIGIO, 0) // SIGIO's default action would end r (S10)
	setAsync(t, r, rfd, r.Pid(), 0)
	wfd := open(t, w, "scullpipe0", kernel.O_WRONLY)
	open(t, w, "scullpipe0", kernel.O_RDWR)
	write(t, w, wfd, []byte("0123456789"))
	read(t, r, rfd, 4)

	want := Status{Name: "scullpipe0", Size: 100, Allocated: true, Held: 6, ReadPos: 4, WritePos: 10,
		Readers: 2, Writers: 2, AsyncReaders: 1}
	st := ps.Status()
	if len(st) != 2 || st[0] != want {
		t.Fatalf("B10: status\n got %+v\nwant %+v", st[0], want)
	}
	if st[1] != (Status{Name: "scullpipe1", Size: 100}) {
		t.Fatalf("B10: unopened device status %+v", st[1])
	}
	text := ps.StatusText()
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "device") {
		t.Fatalf("B10: text has %d lines:\n%s", len(lines), text)
	}
	if f := strings.Fields(lines[1]); !slices.Equal(f, []string{"scullpipe0", "100", "6", "4", "10", "2", "2", "1/0", "0/0", "0"}) {
		t.Fatalf("B10: row %q", lines[1])
	}
	if f := strings.Fields(lines[2]); !slices.Equal(f, []string{"scullpipe1", "100", "-", "-", "-", "0", "0", "0/0", "0/0", "0"}) {
		t.Fatalf("B10: row %q", lines[2])
	}
	if s := st[0].String(); !strings.Contains(s, "held=6") || !strings.Contains(s, "async-readers=1") {
		t.Fatalf("B10: String() = %q", s)
	}
}

// keepListed is a scullpipe whose Fasync ignores "off", so the kernel's own
// fasync-off before Release (A13) does nothing and only Pipe.Release can
// take the file off the list.
type keepListed struct{ *Pipe }

func (d keepListed) Fasync(fd int, f *kernel.File, on bool) error {
	if !on {
		return nil
	}
	return d.Pipe.Fasync(fd, f, on)
}

// TestB8ReleaseOnItsOwn: Release itself removes the file from the
// notification lists, without relying on the kernel having done it.
func TestB8ReleaseOnItsOwn(t *testing.T) {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	p, _ := NewPipe("wrapped", 0)
	if err := k.Register("wrapped", keepListed{p}); err != nil {
		t.Fatal(err)
	}
	task := k.NewTask("t", kernel.Cred{})
	fd := open(t, task, "wrapped", kernel.O_RDWR)
	setAsync(t, task, fd, task.Pid(), 0)
	f := file(t, task, fd)
	if s := p.Status(); s.AsyncReaders != 1 || s.AsyncWriters != 1 {
		t.Fatalf("before close: %v", s)
	}
	if err := task.Close(fd); err != nil {
		t.Fatal(err)
	}
	if s := p.Status(); s.AsyncReaders != 0 || s.AsyncWriters != 0 || s.Readers+s.Writers != 0 || s.Allocated {
		t.Fatalf("B8: Release left %v", s)
	}
	if f.Flags()&kernel.FASYNC != 0 {
		t.Fatal("A4: FASYNC still set on a file no list holds")
	}
}

// TestB5SleepingWriterNotifiesReaders: a writer that finds the buffer full
// sends POLL_IN to the readers' list before it sleeps, as a Linux pipe
// does, so a reader that lost the notification of the data now held
// hears of it again.
func TestB5SleepingWriterNotifiesReaders(t *testing.T) {
	k, ps := setup(t, Config{Devices: 1, Size: 16})
	reader := k.NewTask("reader", kernel.Cred{})
	w := k.NewTask("w", kernel.Cred{})
	rsig := catch(t, reader, kernel.SIGRTMIN+1, 0)
	rfd := open(t, reader, "scullpipe0", kernel.O_RDONLY)
	setAsync(t, reader, rfd, reader.Pid(), kernel.SIGRTMIN+1)
	wfd := open(t, w, "scullpipe0", kernel.O_WRONLY)

	write(t, w, wfd, []byte("0123456789abcde")) // 15 bytes: full (B2)
	if info := pauseFor(t, reader, rsig); info.Code != kernel.POLL_IN {
		t.Fatalf("B5: the filling write sent %+v", info)
	}
	if p := reader.Pending(); len(p) != 0 {
		t.Fatalf("B5: pending after the filling write's signal: %v", p)
	}
	done := goWrite(bounded(t), w, wfd, []byte("x"))
	testutil.WaitFor(t, "writer asleep", func() bool { return ps.Pipe(0).Status().BlockedWriters == 1 })
	info := pauseFor(t, reader, rsig)
	want := kernel.SigInfo{Signo: kernel.SIGRTMIN + 1, Code: kernel.POLL_IN, Fd: rfd, Band: kernel.POLLIN | kernel.POLLRDNORM}
	if info.Signo != want.Signo || info.Code != want.Code || info.Fd != want.Fd || info.Band != want.Band {
		t.Fatalf("B5: the sleeping writer sent %+v, want %+v", info, want)
	}
	if got := read(t, reader, rfd, 100); got != "0123456789abcde" {
		t.Fatalf("read %q", got)
	}
	if r := await(t, "the woken write", done); r.n != 1 || r.err != nil {
		t.Fatalf("B5: the woken write gave %d, %v", r.n, r.err)
	}
}
