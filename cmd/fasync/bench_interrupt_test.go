package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/uring"
)

// interruptBench runs bin with args, sends SIGINT once a line of its
// stderr contains after, and returns its stdout, its whole stderr and
// its exit status.
func interruptBench(t *testing.T, bin, after string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	seen := make(chan struct{})
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		r := bufio.NewReader(pipe)
		for signalled := false; ; {
			line, err := r.ReadString('\n')
			stderr.WriteString(line)
			if !signalled && strings.Contains(line, after) {
				signalled = true
				close(seen)
			}
			if err != nil {
				return
			}
		}
	}()
	exited := make(chan error, 1)
	select {
	case <-seen:
		cmd.Process.Signal(syscall.SIGINT)
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-copied
		cmd.Wait()
		t.Fatalf("%q: no %q on stderr within a minute:\n%s", args, after, stderr.String())
	}
	go func() {
		<-copied
		exited <- cmd.Wait()
	}()
	select {
	case err = <-exited:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("%q: still running a minute after SIGINT", args)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

// U9: Ctrl-C in bench aio --compare stops the run in progress, ends the
// progress line with a newline, prints the rows that finished (the
// others say "interrupted") and exits 130.
func TestBenchAIOInterrupted(t *testing.T) {
	if err := uring.Available(); err != nil {
		t.Skipf("skipping: io_uring unavailable: %v", err)
	}
	bin := buildFasync(t)
	stdout, stderr, status := interruptBench(t, bin, "done in",
		"bench", "aio", "--compare", "--size", "8m", "--runtime", "2s", "--iodepth", "4", "--rounds", "1",
		"--filename", filepath.Join(t.TempDir(), "data"))
	if status != 130 {
		t.Errorf("U9: exit status %d after SIGINT, want 130\nstdout:\n%s\nstderr:\n%s", status, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var finished, interrupted int
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "fasync aio") && strings.HasSuffix(l, "1.00"):
			finished++ // the first row, measured
		case strings.HasSuffix(l, " interrupted"):
			interrupted++
		}
	}
	if finished != 1 || interrupted == 0 || lines[len(lines)-1] != "interrupted: medians of the runs that finished" {
		t.Errorf("U9: want the first row measured, the rest interrupted, and a note saying so:\n%s", stdout)
	}
	if !strings.HasSuffix(stderr, "\n") || !strings.Contains(stderr, "interrupt: stopping") {
		t.Errorf("U9: stderr does not say it stops, or ends without a newline: %q", stderr)
	}
}

// U9: Ctrl-C in bench fuse lets the run in progress finish, starts no
// other, prints the tables of what finished (a row with no run says
// "interrupted"), leaves no mount and exits 130.
func TestBenchFuseInterrupted(t *testing.T) {
	if err := devfs.CheckHost(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	bin := buildFasync(t)
	// The benchmark mounts under its temporary directory: one of this
	// test's own, so that another benchmark's mounts on the machine do not
	// count.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	// 64 MiB through a 4000-byte ring takes about a second: the signal
	// lands in the second run.
	stdout, stderr, status := interruptBench(t, bin, "run 1 of",
		"bench", "fuse", "--transport", "classic", "--runs", "2", "--bytes", "64m", "--ring", "4000", "--pings", "200")
	if status != 130 {
		t.Errorf("U9: exit status %d after SIGINT, want 130\nstdout:\n%s\nstderr:\n%s", status, stdout, stderr)
	}
	for _, want := range []string{"fifo (65536-byte pipe buffer)", "fifo 1-byte ping", "interrupted\n", "interrupted: medians of the runs that finished"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("U9: the tables lack %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "signal latency") || strings.Contains(stderr, "run 12 of 12") {
		t.Errorf("U9: runs went on after the signal:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	after, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(after, []byte(" "+tmp+"/")); n != 0 {
		t.Errorf("U9: %d of the interrupted benchmark's mounts are left under %s", n, tmp)
	}
	if left, err := os.ReadDir(tmp); err != nil || len(left) != 0 {
		t.Errorf("U9: the interrupted benchmark left %d entries in its temporary directory (%v)", len(left), err)
	}
}
