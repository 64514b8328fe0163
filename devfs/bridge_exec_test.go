package devfs_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/fuseraw"
)

// stalled is a FUSE file system of one regular file, "f", that never
// answers a FLUSH: the file system an unprivileged user can mount
// (fusermount3) to keep a close of its file asleep in the kernel.
type stalled struct {
	flushes chan struct{} // one per FLUSH received
}

func (s *stalled) attr() fuseraw.Attr {
	return fuseraw.Attr{Ino: 2, Mode: syscall.S_IFREG | 0o644, Nlink: 1}
}

func (s *stalled) Handle(r *fuseraw.Request) {
	switch r.Opcode() {
	case fuseraw.FUSE_LOOKUP:
		if string(r.Name) != "f" {
			r.ReplyErr(syscall.ENOENT)
			return
		}
		r.ReplyEntry(&fuseraw.EntryOut{NodeID: 2, Attr: s.attr()})
	case fuseraw.FUSE_GETATTR:
		a := s.attr()
		if r.Header.NodeID == 1 {
			a = fuseraw.Attr{Ino: 1, Mode: syscall.S_IFDIR | 0o755, Nlink: 2}
		}
		r.ReplyAttr(&fuseraw.AttrOut{Attr: a})
	case fuseraw.FUSE_OPEN:
		r.ReplyOpen(1, 0)
	case fuseraw.FUSE_FLUSH:
		s.flushes <- struct{}{} // kept unanswered until the abort
	case fuseraw.FUSE_RELEASE:
		r.ReplyErr(0)
	case fuseraw.FUSE_FORGET, fuseraw.FUSE_BATCH_FORGET, fuseraw.FUSE_INTERRUPT:
	default:
		r.ReplyErr(syscall.ENOSYS)
	}
}

// mountStalled mounts a stalled file system for the test; the cleanup
// aborts its connection (through fusectl), which fails the kept FLUSHes,
// and unmounts it.
// abort, which the test calls (through t.Cleanup) before the clients it
// starts are killed: a process asleep in the FLUSH cannot die before.
func mountStalled(t *testing.T) (s *stalled, file string, abort func()) {
	t.Helper()
	requireFusectl(t)
	s = &stalled{flushes: make(chan struct{}, 16)}
	dir := t.TempDir()
	srv, err := fuseraw.Mount(dir, s, fuseraw.Config{})
	if err != nil {
		t.Fatalf("mounting the stalled file system: %v", err)
	}
	var once sync.Once
	abort = func() {
		once.Do(func() {
			if err := srv.Abort(); err != nil {
				t.Errorf("aborting the stalled file system: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		abort()
		if err := devfs.Unmount(dir, true); err != nil {
			t.Errorf("unmounting the stalled file system: %v", err)
		}
		<-srv.Done()
		srv.Close()
	})
	return s, filepath.Join(dir, "f"), abort
}

// F8: a client that owns a device's signals and execs while a
// close-on-exec file of a FUSE file system that never answers FLUSH keeps
// its exec asleep holds its exec lock for as long; the server's writes
// and reads of the device, and the signals of other clients, go on. Once
// the FLUSH fails (the stalled connection is aborted) and the exec ends,
// the client's own signals, tried again meanwhile, arrive.
func TestBridgeClientExecStalled(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		fs, file, abort := mountStalled(t)
		e := mountScull(t, tr, 2, 4000)
		in, out, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { out.Close() })
		p := startIn(t, in, cclient(t, "execclient"), e.dev(0), file, "40")
		in.Close()
		t.Cleanup(abort) // before p's cleanup kills it
		p.expect("ready")
		run(t, "sh", "-c", "echo a > "+e.dev(0))
		p.expect("sig=40 fd=3 band=0x41")
		other, _, _ := sigclient(t, "-s", "41", e.dev(1))

		out.WriteString("exec\n")
		select {
		case <-fs.flushes:
		case <-time.After(patience):
			t.Fatalf("no FLUSH from the client's exec\n%s", stuck(p.pid()))
		}
		// The exec sleeps in the FLUSH, holding its exec lock.
		for i := 0; i < 3; i++ {
			w := exec.Command("sh", "-c", "echo b > "+e.dev(0))
			done := make(chan error, 1)
			go func() { done <- w.Run() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("write to the exec'ing client's device: %v", err)
				}
			case <-time.After(patience):
				w.Process.Kill()
				t.Fatalf("a write to the device of a client in a stalled exec did not return within %v\nserver:\n%s", patience, serverStacks())
			}
		}
		run(t, "sh", "-c", "echo c > "+e.dev(1))
		other.expect(signalLine(41, 3, 0x41, other.pid()))
		if got := run(t, "dd", "if="+e.dev(1), "bs=100", "count=1", "status=none", "iflag=nonblock"); got != "c" {
			t.Fatalf("read %q, want c", got)
		}
		abort()
		p.expect("after")
		p.expect("sig=40 fd=3 band=0x41")
	})
}

// serverStacks describes where this process's threads sleep.
func serverStacks() string {
	var b strings.Builder
	tasks, _ := filepath.Glob("/proc/self/task/*/stack")
	for _, f := range tasks {
		st, _ := os.ReadFile(f)
		fmt.Fprintf(&b, "%s:\n%s", f, st)
	}
	return b.String()
}
