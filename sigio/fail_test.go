package sigio

import (
	"bytes"
	"errors"
	"log"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// syncBuffer is a bytes.Buffer safe for the log package's writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// R1: when the kernel refuses the owner thread's signalfd read (here the
// descriptor is replaced by one open only for writing: EBADF), the
// Watcher does not panic: it logs, restores the watched descriptors,
// answers the waiting request, closes Events and refuses later calls.
func TestWatcherFailsOnSignalfdError(t *testing.T) {
	var logged syncBuffer
	prev := log.Writer()
	log.SetOutput(&logged)
	t.Cleanup(func() { log.SetOutput(prev) })

	w := newWatcher(t, nil)
	r, _ := pipe(t)
	if err := w.Watch(r); err != nil {
		t.Fatal(err)
	}
	bad, err := unix.Open("/dev/null", unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Dup2(bad, w.sfd); err != nil { // sfd is set before New returns
		t.Fatal(err)
	}
	unix.Close(bad)

	// A request rings the owner out of its read; the next read fails.
	r2, _ := pipe(t)
	done := make(chan error, 1)
	go func() { done <- w.Watch(r2) }()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, unix.EBADF) && !errors.Is(err, ErrClosed) {
			t.Fatalf("Watch racing the failure: %v, want nil, EBADF or ErrClosed", err)
		}
	case <-time.After(deadline):
		t.Fatal("Watch racing the failure never returned")
	}
	select {
	case <-w.done:
	case <-time.After(deadline):
		t.Fatal("the owner thread did not end after the signalfd failed")
	}
	for range w.Events() { // closed: the range ends
	}
	if err := w.Watch(r); !errors.Is(err, ErrClosed) {
		t.Fatalf("Watch after the failure: %v, want ErrClosed", err)
	}
	for _, fd := range []int{r, r2} {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil || flags&unix.O_ASYNC != 0 {
			t.Fatalf("fd %d after the failure: flags %#x, %v; want O_ASYNC cleared", fd, flags, err)
		}
	}
	if s := logged.String(); !strings.Contains(s, "reading signalfd") || !strings.Contains(s, "bad file descriptor") {
		t.Fatalf("the failure was not logged: %q", s)
	}
}
