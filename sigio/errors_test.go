package sigio

import (
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRefuseCannotSignal: file types without a fasync method accept O_ASYNC
// from F_SETFL and drop it; Watch notices through F_GETFL and refuses them
// with ErrCannotSignal (EINVAL), leaving them as they were (SPEC R2).
func TestRefuseCannotSignal(t *testing.T) {
	mk := func(fd int, err error) func(t *testing.T) int {
		return func(t *testing.T) int {
			if err != nil {
				t.Fatal(err)
			}
			closeFd(t, fd)
			return fd
		}
	}
	cases := []struct {
		name string
		open func(t *testing.T) int
	}{
		{"R2/regular-file", func(t *testing.T) int {
			return openFd(t, filepath.Join(t.TempDir(), "f"), unix.O_RDWR|unix.O_CREAT)
		}},
		{"R2/eventfd", mk(unix.Eventfd(0, unix.EFD_CLOEXEC))},
		{"R2/timerfd", mk(unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_CLOEXEC))},
		{"R2/signalfd", mk(unix.Signalfd(-1, &unix.Sigset_t{}, unix.SFD_CLOEXEC))},
		{"R2/epoll", mk(unix.EpollCreate1(unix.EPOLL_CLOEXEC))},
		{"R2/memfd", mk(unix.MemfdCreate("sigio-test", unix.MFD_CLOEXEC))},
		{"R2/dev-null", func(t *testing.T) int { return openFd(t, os.DevNull, unix.O_RDWR) }},
	}
	w := newWatcher(t, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fd := c.open(t)
			before := stateOf(t, fd)
			err := w.Watch(fd)
			if !errors.Is(err, ErrCannotSignal) || !errors.Is(err, unix.EINVAL) {
				t.Fatalf("Watch: %v, want ErrCannotSignal (EINVAL)", err)
			}
			if after := stateOf(t, fd); after != before {
				t.Fatalf("refused descriptor changed: %+v, was %+v", after, before)
			}
			if err := w.Unwatch(fd); !errors.Is(err, unix.ENOENT) {
				t.Fatalf("Unwatch of refused descriptor: %v, want ENOENT", err)
			}
		})
	}
}

// TestBadDescriptors: every misuse gets an error naming what is wrong and
// matching the errno the man pages would give; the descriptor involved is
// left as it was (SPEC R1, R2).
func TestBadDescriptors(t *testing.T) {
	watch := func(w *Watcher, fd int) error { return w.Watch(fd) }
	unwatch := func(w *Watcher, fd int) error { return w.Unwatch(fd) }
	cases := []struct {
		name string
		// prepare sets the scene on a fresh Watcher and pipe read end r and
		// returns the descriptor to misuse; its state is recorded next.
		prepare func(t *testing.T, w *Watcher, r int) int
		misuse  func(w *Watcher, fd int) error
		want    error
	}{
		{"R1/closed-descriptor", func(t *testing.T, w *Watcher, r int) int {
			fd, _ := pipe(t)
			unix.Close(fd)
			return fd
		}, watch, unix.EBADF},
		{"R1/negative-descriptor", func(*testing.T, *Watcher, int) int { return -1 }, watch, unix.EBADF},
		{"R1/descriptor-never-opened", func(*testing.T, *Watcher, int) int { return 1 << 20 }, watch, unix.EBADF},
		{"R1/watched-twice", func(t *testing.T, w *Watcher, r int) int {
			if err := w.Watch(r); err != nil {
				t.Fatal(err)
			}
			return r
		}, watch, unix.EEXIST},
		{"R1/unwatch-never-watched", func(t *testing.T, w *Watcher, r int) int { return r }, unwatch, unix.ENOENT},
		{"R1/already-O_ASYNC", func(t *testing.T, w *Watcher, r int) int {
			fl, _ := unix.FcntlInt(uintptr(r), unix.F_GETFL, 0)
			unix.FcntlInt(uintptr(r), unix.F_SETFL, fl|unix.O_ASYNC)
			return r
		}, watch, unix.EBUSY},
		{"R1/dup-of-watched", func(t *testing.T, w *Watcher, r int) int {
			// One open file has one fasync entry: a second descriptor
			// of it cannot get events of its own.
			if err := w.Watch(r); err != nil {
				t.Fatal(err)
			}
			d, err := unix.Dup(r)
			if err != nil {
				t.Fatal(err)
			}
			closeFd(t, d)
			return d
		}, watch, unix.EBUSY},
		{"R1/watch-after-close", func(t *testing.T, w *Watcher, r int) int { w.Close(); return r }, watch, unix.EBADF},
		{"R1/unwatch-after-close", func(t *testing.T, w *Watcher, r int) int { w.Close(); return r }, unwatch, unix.EBADF},
		{"R1/close-twice", func(t *testing.T, w *Watcher, r int) int { w.Close(); return r },
			func(w *Watcher, _ int) error { return w.Close() }, unix.EBADF},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWatcher(t, nil)
			r, _ := pipe(t)
			fd := c.prepare(t, w, r)
			var before fdState
			if fd >= 0 && fd < 1<<20 && unix.Fstat(fd, &unix.Stat_t{}) == nil {
				before = stateOf(t, fd)
			}
			err := c.misuse(w, fd)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if err.Error() == c.want.Error() {
				t.Errorf("error %q says nothing beyond the errno", err)
			}
			if before != (fdState{}) {
				if after := stateOf(t, fd); after != before {
					t.Errorf("descriptor changed: %+v, was %+v", after, before)
				}
			}
		})
	}
}

// TestWatchedTwiceStillWorks: a refused second Watch leaves the first one
// armed and delivering (SPEC R1).
func TestWatchedTwiceStillWorks(t *testing.T) {
	w := newWatcher(t, nil)
	r, wr := pipe(t)
	if err := w.Watch(r); err != nil {
		t.Fatal(err)
	}
	armed := stateOf(t, r)
	if err := w.Watch(r); !errors.Is(err, ErrWatched) {
		t.Fatalf("second Watch: %v, want ErrWatched", err)
	}
	if s := stateOf(t, r); s != armed {
		t.Fatalf("second Watch changed the descriptor: %+v, was %+v", s, armed)
	}
	write(t, wr, []byte("x"))
	if e := nextSignalled(t, w.Events(), r); e.Band != POLL_IN {
		t.Fatalf("got %v, want POLL_IN", e)
	}
}

// TestClosedWhileWatched: a descriptor closed and its number reused for
// another file is not "restored" (that would change the wrong file):
// Unwatch reports ErrStale (EBADF) and drops the watch, and the new file can
// be watched under the same number (SPEC R1).
func TestClosedWhileWatched(t *testing.T) {
	w := newWatcher(t, nil)
	r, _ := pipe(t)
	if err := w.Watch(r); err != nil {
		t.Fatal(err)
	}
	r2, wr2 := pipe(t)
	if err := unix.Dup3(r2, r, unix.O_CLOEXEC); err != nil { // closes the watched file
		t.Fatal(err)
	}
	before := stateOf(t, r)
	if err := w.Unwatch(r); !errors.Is(err, ErrStale) || !errors.Is(err, unix.EBADF) {
		t.Fatalf("Unwatch: %v, want ErrStale (EBADF)", err)
	}
	if after := stateOf(t, r); after != before {
		t.Fatalf("Unwatch touched the new file: %+v, was %+v", after, before)
	}
	if err := w.Unwatch(r); !errors.Is(err, ErrNotWatched) {
		t.Fatalf("second Unwatch: %v, want ErrNotWatched", err)
	}
	// The new file can be watched under the reused number and its
	// signals carry that number.
	if err := w.Watch(r); err != nil {
		t.Fatal(err)
	}
	write(t, wr2, []byte("x"))
	if e := nextSignalled(t, w.Events(), r); e.Band != POLL_IN {
		t.Fatalf("got %v, want POLL_IN", e)
	}
}

// TestSignalChoice: the signal must be a real-time one nobody else claims
// (SPEC R1).
func TestSignalChoice(t *testing.T) {
	for _, sig := range []int{-1, 1, 29, 31, 32, 33, 34, 65, 200} {
		if _, err := New(&Options{Signal: sig}); !errors.Is(err, ErrSignalRange) || !errors.Is(err, unix.EINVAL) {
			t.Errorf("R1/signal-%d: New: %v, want ErrSignalRange (EINVAL)", sig, err)
		}
	}
	t.Run("R1/in-use-by-another-watcher", func(t *testing.T) {
		w := newWatcher(t, &Options{Signal: 50})
		if _, err := New(&Options{Signal: 50}); !errors.Is(err, ErrSignalInUse) || !errors.Is(err, unix.EBUSY) {
			t.Fatalf("New: %v, want ErrSignalInUse (EBUSY)", err)
		}
		w.Close()
		w2 := newWatcher(t, &Options{Signal: 50}) // released by Close
		w2.Close()
	})
	t.Run("R1/ignored-through-os-signal", func(t *testing.T) {
		signal.Ignore(syscall.Signal(51))
		defer signal.Reset(syscall.Signal(51))
		if _, err := New(&Options{Signal: 51}); !errors.Is(err, ErrSignalInUse) {
			t.Fatalf("New: %v, want ErrSignalInUse", err)
		}
	})
	t.Run("R1/default-moves-past-taken", func(t *testing.T) {
		a := newWatcher(t, nil)
		b := newWatcher(t, nil)
		if a.Signal() != DefaultSignal || b.Signal() == a.Signal() {
			t.Fatalf("signals %d and %d, want %d and another", a.Signal(), b.Signal(), DefaultSignal)
		}
		if int(b.Signal()) < MinSignal || int(b.Signal()) > MaxSignal {
			t.Fatalf("second default signal %d outside %d..%d", b.Signal(), MinSignal, MaxSignal)
		}
	})
}
