package sigio

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// overflowEnv marks the re-executed test binary that runs overflowChild:
// lowering RLIMIT_SIGPENDING affects the whole process, so it is done in a
// process of its own.
const overflowEnv = "SIGIO_TEST_OVERFLOW_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(overflowEnv) != "" {
		if err := overflowChild(); err != nil {
			fmt.Fprintln(os.Stderr, "overflow child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestOverflowResync: with RLIMIT_SIGPENDING lowered to 8 and the consumer
// stalled, 500 writes overflow the real-time queue; the kernel falls back to
// plain SIGIO, which must surface as a Resync (followed, with Repoll, by a
// Polled event for the pipe), and all 500 bytes must still be there: no
// silent loss (SPEC R1).
func TestOverflowResync(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), overflowEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("child: %s", strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("child failed: %v", err)
	}
	if !strings.Contains(string(out), "resyncs=") {
		t.Fatalf("child did not report its counts")
	}
}

// overflowChild runs in the re-executed binary; see TestOverflowResync.
func overflowChild() error {
	const limit, writes = 8, 500
	lim := unix.Rlimit{Cur: limit, Max: limit}
	if err := unix.Setrlimit(unix.RLIMIT_SIGPENDING, &lim); err != nil {
		return fmt.Errorf("setrlimit: %w", err)
	}
	// QueueLen 1 and nobody receiving: the owner thread blocks on its
	// second event and the kernel's queue fills up behind it.
	w, err := New(&Options{QueueLen: 1, Repoll: true})
	if err != nil {
		return err
	}
	defer w.Close()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return err
	}
	r, wr := p[0], p[1]
	var p2 [2]int
	if err := unix.Pipe2(p2[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return err
	}
	wr2 := p2[1]
	if err := w.Watch(r); err != nil {
		return err
	}
	for range writes {
		if _, err := unix.Write(wr, []byte{'x'}); err != nil {
			return err
		}
	}
	if err := unix.Close(wr); err != nil { // a last POLL_IN (or SIGIO) ends the story
		return err
	}

	// The queue is full now: requests must still get through (the
	// doorbell falls back to SIGIO, and the owner serves requests while
	// it waits on the full channel).
	if err := watchWithin(w, wr2); err != nil {
		return err
	}

	// Receive until a Polled event for r follows a Resync: the watcher
	// has re-checked the pipe after the overflow.
	var signalled, resyncs int
	timeout := time.After(deadline)
	for done := false; !done; {
		select {
		case e := <-w.Events():
			switch {
			case e.Resync:
				resyncs++
			case e.Polled && resyncs > 0 && e.Fd == r && e.Band == POLL_IN:
				done = true
			case !e.Polled && e.Fd == r:
				signalled++
			}
		case <-timeout:
			return fmt.Errorf("no resync and re-poll within %v: %d signalled events, %d resyncs, stats %+v",
				deadline, signalled, resyncs, w.Stats())
		}
	}
	buf := make([]byte, 2*writes)
	n, _ := unix.Read(r, buf)
	fmt.Printf("writes=%d signalled=%d resyncs=%d bytes=%d stats=%+v\n", writes, signalled, resyncs, n, w.Stats())
	if signalled >= writes+1 {
		return fmt.Errorf("no overflow happened: %d signalled events for %d writes", signalled, writes)
	}
	if n != writes {
		return fmt.Errorf("pipe holds %d bytes after the resync, want %d", n, writes)
	}
	return nil
}

// watchWithin runs w.Watch(fd) and gives up after the test deadline.
func watchWithin(w *Watcher, fd int) error {
	done := make(chan error, 1)
	go func() { done <- w.Watch(fd) }()
	select {
	case err := <-done:
		return err
	case <-time.After(deadline):
		return fmt.Errorf("Watch blocked for %v while the signal queue was full", deadline)
	}
}
