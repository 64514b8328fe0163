package fuseraw

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// R3: cat blocks on an empty file, prints what echo wrote, and SIGINT
// (an INTERRUPT answered with EINTR) ends it.
func TestCatEcho(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr Transport) {
		s, h := mountPipes(t, tr, 2, 4096)
		p0 := filepath.Join(s.Dir, "p0")
		cat := start(t, "cat", p0)
		if !waitFor(5*time.Second, func() bool { return h.ops[FUSE_READ].Load() > 0 }) {
			t.Fatalf("cat sent no READ: %s", cat.output())
		}
		out := start(t, "sh", "-c", "echo hello fuse > "+p0)
		if err := out.waitExit(t, 5*time.Second); err != nil {
			t.Fatalf("echo > p0: %v: %s", err, out.output())
		}
		if !waitFor(5*time.Second, func() bool { return strings.Contains(cat.output(), "hello fuse\n") }) {
			t.Fatalf("cat printed %q, want %q", cat.output(), "hello fuse\n")
		}
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
