package fuseraw

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasync-go/fasync/internal/testutil"
)

// R3: cat blocks on an empty file, prints what echo wrote, and SIGINT
// (an INTERRUPT answered with EINTR) ends it.
func TestCatEcho(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr Transport) {
		s, h := mountPipes(t, tr, 2, 4096)
		p0 := filepath.Join(s.Dir, "p0")
		cat := start(t, "cat", p0)
		testutil.WaitFor(t, "cat's first READ", func() bool { return h.ops[FUSE_READ].Load() > 0 })
		out := start(t, "sh", "-c", "echo hello fuse > "+p0)
		if err := out.waitExit(t, 5*time.Second); err != nil {
			t.Fatalf("echo > p0: %v: %s", err, out.output())
		}
		testutil.WaitFor(t, "cat to print \"hello fuse\"", func() bool { return strings.Contains(cat.output(), "hello fuse\n") })
		// cat's next READ must be waiting, or SIGINT ends it before it
		// asks and no INTERRUPT is due.
		waitParked(t, h, 0, 1)
		cat.cmd.Process.Signal(syscall.SIGINT)
		cat.waitExit(t, 5*time.Second)
		if h.ops[FUSE_INTERRUPT].Load() == 0 {
			t.Errorf("cat ended without an INTERRUPT reaching the server")
		}
		checkTransport(t, s)
	})
}

// checkTransport fails t unless the requests travelled the way the
// transport says: on io_uring only INTERRUPT and FORGET use /dev/fuse.
func checkTransport(t *testing.T, s *Server) {
	t.Helper()
	st := s.Stats()
	t.Logf("%s: %d requests through /dev/fuse, %d through io_uring", s.Transport(), st.Dev, st.Ring)
	switch s.Transport() {
	case Classic:
		if st.Ring != 0 || st.Dev == 0 {
			t.Errorf("classic transport: stats %+v", st)
		}
	case URing:
		if st.Ring == 0 {
			t.Errorf("io_uring transport: no request came through the ring: %+v", st)
		}
	}
}

// R3 (B3, B4): dd moves 1 MiB into a file and out of it at once, through
// a ring of 100000 bytes, so both sides wait and reads and writes wrap.
func TestDD(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr Transport) {
		s, _ := mountPipes(t, tr, 1, 100000)
		tmp := t.TempDir()
		src, dst := filepath.Join(tmp, "src"), filepath.Join(tmp, "dst")
		data := make([]byte, 1<<20)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		if err := os.WriteFile(src, data, 0o600); err != nil {
			t.Fatal(err)
		}
		p0 := filepath.Join(s.Dir, "p0")
		reader := start(t, "dd", "if="+p0, "of="+dst, "bs=64k", "count=16", "iflag=fullblock", "status=none")
		writer := start(t, "dd", "if="+src, "of="+p0, "bs=64k", "status=none")
		if err := writer.waitExit(t, 20*time.Second); err != nil {
			t.Fatalf("dd into p0: %v: %s", err, writer.output())
		}
		if err := reader.waitExit(t, 20*time.Second); err != nil {
			t.Fatalf("dd out of p0: %v: %s", err, reader.output())
		}
		got, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("dd through p0 delivered %d bytes, not the %d written (or different ones)", len(got), len(data))
		}
		checkTransport(t, s)
	})
}

// R3 (B3, S3): SIGINT to a cat blocked on an empty file ends it: the
// INTERRUPT answers its READ with EINTR.
func TestInterruptBlockedReader(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr Transport) {
		s, h := mountPipes(t, tr, 1, 4096)
		cat := start(t, "cat", filepath.Join(s.Dir, "p0"))
		waitParked(t, h, 0, 1)
		cat.cmd.Process.Signal(syscall.SIGINT)
		err := cat.waitExit(t, 5*time.Second)
		if st, ok := cat.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !st.Signaled() || st.Signal() != syscall.SIGINT {
			t.Fatalf("cat ended with %v, want killed by SIGINT", err)
		}
		if n := h.ops[FUSE_INTERRUPT].Load(); n == 0 {
			t.Fatalf("no INTERRUPT reached the server")
		}
		checkTransport(t, s)
	})
}

// pyClient is a Python client for the checks cat and dd cannot make.
const pyClient = `
import errno, os, select, sys
path, what = sys.argv[1], sys.argv[2]
if what == "eagain":
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        os.read(fd, 10); print("read returned")
    except BlockingIOError:
        print("EAGAIN-at-open")
    os.close(fd)
    fd = os.open(path, os.O_RDONLY)
    import fcntl
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
    try:
        os.read(fd, 10); print("read returned")
    except BlockingIOError:
        print("EAGAIN-after-fcntl")
elif what == "poll":
    fd = os.open(path, os.O_RDWR)
    p = select.poll(); p.register(fd, select.POLLIN)
    print("before", p.poll(0))
    sys.stdout.flush()
    ev = p.poll(10000)
    print("after", [e for _, e in ev], os.read(fd, 100))  # events only: fd numbers depend on what the client inherited
`

// R3 (M2, M3, B7): O_NONBLOCK at open and set later with fcntl gives
// EAGAIN on an empty file; poll reports nothing, then POLLIN once a
// writer in another process wrote (FUSE_NOTIFY_POLL wakes the poller).
func TestNonblockAndPoll(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("skipping: python3 not found")
	}
	forEachTransport(t, func(t *testing.T, tr Transport) {
		s, h := mountPipes(t, tr, 1, 4096)
		p0 := filepath.Join(s.Dir, "p0")
		c := start(t, py, "-c", pyClient, p0, "eagain")
		if err := c.waitExit(t, 10*time.Second); err != nil || c.output() != "EAGAIN-at-open\nEAGAIN-after-fcntl\n" {
			t.Fatalf("M2: client said %q (%v)", c.output(), err)
		}
		c = start(t, py, "-c", pyClient, p0, "poll")
		// A whole line: print may reach the pipe in pieces.
		testutil.WaitFor(t, "the poll client's first line", func() bool { return strings.Contains(c.output(), "\n") })
		if !strings.HasPrefix(c.output(), "before []") {
			t.Fatalf("M3: poll of an empty file said %q", c.output())
		}
		// The write comes only once the sleeping poll's POLL has asked
		// for a wake-up and been answered "nothing" (pipeFS answers
		// under the lock it registers under), so the client can see
		// POLLIN only through the notification and the POLL it causes.
		// Counting POLLs from any earlier moment raced with that POLL.
		p0pipe := h.h.(*pipeFS).pipes[0]
		testutil.WaitFor(t, "M3: the sleeping poll to ask for a wake-up", func() bool {
			p0pipe.mu.Lock()
			defer p0pipe.mu.Unlock()
			return len(p0pipe.pollers) > 0
		})
		polls := h.ops[FUSE_POLL].Load()
		w := start(t, "sh", "-c", "printf ping > "+p0)
		if err := w.waitExit(t, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := c.waitExit(t, 10*time.Second); err != nil {
			t.Fatalf("poll client: %v: %s", err, c.output())
		}
		if !strings.Contains(c.output(), "after [1] b'ping'") {
			t.Fatalf("M3: poll client said %q", c.output())
		}
		if h.ops[FUSE_POLL].Load() <= polls {
			t.Errorf("no POLL after the wake-up: the notification did not reach the poller")
		}
		checkTransport(t, s)
	})
}

// R3 (B3): more readers than any fixed number of ring entries wait on
// one CPU's queue at once (on io_uring a waiting READ keeps its entry),
// and the writes that wake them, from the same CPU, still get through:
// every reader gets its own data.
func TestManyBlockedReadersOneCPU(t *testing.T) {
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skip("skipping: taskset not found")
	}
	const n = 80 // more than the 64 entries a queue was once capped at
	forEachTransport(t, func(t *testing.T, tr Transport) {
		s, h := mountPipes(t, tr, n, 4096)
		readers := make([]*proc, n)
		for i := range readers {
			readers[i] = start(t, "taskset", "-c", "0", "dd", "if="+filepath.Join(s.Dir, "p"+strconv.Itoa(i)), "bs=64", "count=1", "status=none")
		}
		testutil.WaitFor(t, fmt.Sprintf("the READs of %d readers", n), func() bool { return h.ops[FUSE_READ].Load() >= n })
		w := start(t, "taskset", "-c", "0", "sh", "-c", "for i in $(seq 0 "+strconv.Itoa(n-1)+"); do printf \"r$i\" > "+s.Dir+"/p$i; done")
		if err := w.waitExit(t, 20*time.Second); err != nil {
			t.Fatalf("writer: %v: %s", err, w.output())
		}
		for i, r := range readers {
			if err := r.waitExit(t, 20*time.Second); err != nil {
				t.Fatalf("reader %d: %v: %s", i, err, r.output())
			}
			if want := "r" + strconv.Itoa(i); r.output() != want {
				t.Errorf("reader %d got %q, want %q", i, r.output(), want)
			}
		}
		checkTransport(t, s)
	})
}
