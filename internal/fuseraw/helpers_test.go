package fuseraw

import (
	"bytes"
	"fmt"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasync-go/fasync/internal/testutil"
)

// needHost skips t when FUSE cannot be mounted here, naming what is missing.
func needHost(t testing.TB) {
	t.Helper()
	if err := CheckHost(); err != nil {
		t.Skipf("skipping: %v", err)
	}
}

// needURing turns fuse.enable_uring on for t (root only) and restores it
// when the last such test ends; it skips when that cannot be done.
func needURing(t testing.TB) {
	t.Helper()
	restore, err := EnableURing()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	t.Cleanup(restore)
}

// counting wraps a handler and counts the requests of each opcode.
type counting struct {
	h   Handler
	ops [64]atomic.Int64
}

func (c *counting) Handle(r *Request) {
	if op := r.Header.Opcode; op < uint32(len(c.ops)) {
		c.ops[op].Add(1)
	}
	c.h.Handle(r)
}

// mountPipes mounts a pipeFS of n files of size bytes with transport tr
// on a temporary directory, unmounted at the end of t.
func mountPipes(t testing.TB, tr Transport, n, size int) (*Server, *counting) {
	t.Helper()
	needHost(t)
	if tr == URing {
		needURing(t)
	}
	dir := t.TempDir()
	h := &counting{h: newPipeFS(n, size)}
	s, err := Mount(dir, h, Config{Transport: tr, Logf: t.Logf})
	if err != nil {
		t.Fatalf("Mount(%s): %v", tr, err)
	}
	if s.Transport() != tr {
		t.Fatalf("Mount asked for %s, serves %s", tr, s.Transport())
	}
	t.Cleanup(func() {
		done := make(chan error, 1)
		go func() { done <- s.Unmount(true) }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Unmount: %v", err)
			}
		case <-time.After(10 * time.Second):
			s.Abort()
			t.Errorf("Unmount of %s did not finish in 10 s; aborted", dir)
		}
	})
	return s, h
}

// forEachTransport runs f as a subtest per transport.
func forEachTransport(t *testing.T, f func(t *testing.T, tr Transport)) {
	for _, tr := range []Transport{Classic, URing} {
		t.Run(tr.String(), func(t *testing.T) { f(t, tr) })
	}
}

// proc is a client process whose output is collected.
type proc struct {
	cmd *exec.Cmd
	mu  sync.Mutex
	out bytes.Buffer
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// start starts a client; it is killed at the end of t if still running.
func start(t testing.TB, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(name, args...)}
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

// waitExit waits up to d for the process to end and reports its error.
func (p *proc) waitExit(t testing.TB, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		p.cmd.Process.Kill()
		<-done
		t.Fatalf("%v still running after %v; killed. Output: %s", p.cmd.Args, d, p.output())
		return nil
	}
}

// waitParked waits until n READs wait in file i of the pipeFS that h
// counts for (deferred, no answer yet), failing t otherwise. A READ the
// counter has seen may not have reached pipeFS yet; once parked, a
// signal to its client brings an INTERRUPT.
func waitParked(t testing.TB, h *counting, i, n int) {
	t.Helper()
	p := h.h.(*pipeFS).pipes[i]
	testutil.WaitFor(t, fmt.Sprintf("%d READs waiting in p%d", n, i), func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.readers) == n
	})
}
