package devfs_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/testutil"
)

// waitclient starts testdata/waitclient.c in mode with signal sig on the
// devices, waits for its "ready" and returns it with the lines it printed
// before ("owner T") and its standard input.
func waitclient(t *testing.T, mode string, sig int, devs ...string) (p *proc, before []string, in *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	p = startIn(t, r, cclient(t, "waitclient"), append([]string{mode, strconv.Itoa(sig)}, devs...)...)
	r.Close()
	for l := p.next(); l != "ready"; l = p.next() {
		if l == "" {
			t.Fatalf("waitclient %s exited before it was ready", mode)
		}
		before = append(before, l)
	}
	return p, before, w
}

// waitLine is what waitclient prints for a signal taken by thread tid.
func waitLine(sig, fd int, band uint32, pid, tid int) string {
	return fmt.Sprintf("sig=%d code=-5 fd=%d band=%#x pid=%d tid=%d", sig, fd, band, pid, tid)
}

// F1, F2, F3: a process that blocks its F_SETSIG signal and takes it in
// sigtimedwait gets it with si_fd and si_band exact, though /proc shows
// the signal neither blocked nor caught while it waits (Linux takes the
// waited set out of the blocked mask for the wait).
func TestBridgeSigtimedwait(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 2, 4000)
		p, _, _ := waitclient(t, "sigwait", 40, e.dev(0), e.dev(1))
		waitBlocked(t, p.pid(), sysRtSigtimedwait)
		run(t, "sh", "-c", "echo x > "+e.dev(1))
		p.expect(waitLine(40, 4, 0x41, p.pid(), p.pid()))
		run(t, "sh", "-c", "echo y > "+e.dev(0))
		p.expect(waitLine(40, 3, 0x41, p.pid(), p.pid()))
		if st := e.M.SigioStats(); st.Unsafe != 0 {
			t.Fatalf("%d signals judged unsafe for a process waiting for them", st.Unsafe)
		}
	})
}

// F1, F3: the same signal read from a signalfd that epoll watches comes
// with ssi_fd and ssi_band exact (si_code SI_SIGIO has the layout
// signalfd decodes them from).
func TestBridgeSignalfd(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		p, _, _ := waitclient(t, "signalfd", 41, e.dev(0))
		run(t, "sh", "-c", "echo x > "+e.dev(0))
		p.expect(waitLine(41, 3, 0x41, p.pid(), p.pid()))
	})
}

// F1, F2: an F_OWNER_TID owner that waits in sigwaitinfo, the signal
// blocked in every thread, gets it on that thread.
func TestBridgeThreadWaits(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		p, before, _ := waitclient(t, "tid", 42, e.dev(0))
		tid, _ := strconv.Atoi(strings.TrimPrefix(before[0], "owner "))
		run(t, "sh", "-c", "echo x > "+e.dev(0))
		p.expect(waitLine(42, 3, 0x41, p.pid(), tid))
	})
}

// F1, F2: a process whose every thread blocks the signal gets it queued;
// it stays pending until the process takes it. So does one that blocks
// it and ignores it, as Linux queues a blocked signal whatever its action
// (sig_ignored).
func TestBridgeBlockedPending(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 2, 4000)
		for i, mode := range []string{"pending", "ignored"} {
			t.Run("F2/"+mode, func(t *testing.T) {
				p, _, in := waitclient(t, mode, 43, e.dev(i))
				sent := e.M.SigioStats().Sent
				run(t, "sh", "-c", "echo x > "+e.dev(i))
				testutil.WaitFor(t, "the signal to be sent", func() bool { return e.M.SigioStats().Sent > sent })
				in.Write([]byte("take\n"))
				p.expect("pending")
				p.expect(waitLine(43, 3, 0x41, p.pid(), p.pid()))
			})
		}
	})
}

// F1, F3: Python clients, each way Python takes a signal: a
// signal.signal handler; signal.sigtimedwait, with si_signo, si_code
// SI_SIGIO and si_band exact and si_fd in si_status (the word si_fd
// overlays; Python has no si_fd field), si_pid showing the band's low half
// and si_uid its high half, 0 (in the SIL_POLL layout they are not a
// sender's); a signalfd through ctypes with ssi_fd and ssi_band exact;
// and an F_OWNER_TID thread in signal.sigwaitinfo.
func TestBridgePython(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 4, 4000)
		for i, c := range []struct{ mode, want string }{
			{"handler", "sig=44"},
			{"sigwait", "sig=44 code=-5 fd=3 band=0x41 pid=65 uid=0"},
			{"signalfd", "sig=44 code=-5 fd=3 band=0x41"},
			{"tid", "sig=44 code=-5 band=0x41 tid=%s"},
		} {
			t.Run("F1/"+c.mode, func(t *testing.T) {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				p := startIn(t, r, python(t), filepath.Join("testdata", "sigclient.py"), c.mode, "44", e.dev(i))
				r.Close()
				want := c.want
				if l := p.next(); strings.HasPrefix(l, "owner ") {
					want = fmt.Sprintf(want, strings.TrimPrefix(l, "owner "))
					p.expect("ready")
				} else if l != "ready" {
					t.Fatalf("got %q, want ready", l)
				}
				run(t, "sh", "-c", "echo x > "+e.dev(i))
				p.expect(want)
				w.Close()
				if err := p.wait(); err != nil {
					t.Fatalf("sigclient.py %s: %v", c.mode, err)
				}
			})
		}
	})
}

// F1, F2, F4, F8: once the owner is known, a signal to a process that
// catches it costs eight system calls, each counted where it is made: the
// eventfd write that wakes the sender where the write raised it (the
// transport thread makes no other), then the sender's kcmp, F_GETOWN_EX,
// F_GETSIG, F_GETOWNER_UIDS, a pread of the target's status, a last kcmp
// and pidfd_send_signal. For one that waits in sigtimedwait the sender
// reads its syscall file (one pread after the status) and leaves the
// signal to the worker, which reads the waited set in the client's
// memory.
func TestBridgeInlineCalls(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 2, 4000)
		for i, c := range []struct {
			name  string
			calls uint64
			waits bool // the client waits in sigtimedwait
		}{
			{"handler", 8, false},
			{"sigtimedwait", 7, true},
		} {
			t.Run("F1/"+c.name, func(t *testing.T) {
				var p *proc
				if c.waits {
					p, _, _ = waitclient(t, "sigwait", 40, e.dev(i))
				} else {
					p, _, _ = sigclient(t, "-s", "40", e.dev(i))
				}
				signal := func(data string) {
					if c.waits {
						waitBlocked(t, p.pid(), sysRtSigtimedwait)
					}
					run(t, "sh", "-c", "echo "+data+" > "+e.dev(i))
					if l := p.next(); !strings.HasPrefix(l, "sig=40 ") {
						t.Fatalf("got %q, want signal 40", l)
					}
				}
				first := e.M.SigioStats().Sent
				signal("x") // the worker arms the owner
				testutil.WaitFor(t, "the first signal to be counted", func() bool { return e.M.SigioStats().Sent > first })
				before := e.M.SigioStats()
				signal("y") // inline
				testutil.WaitFor(t, "the signal to be counted", func() bool { return e.M.SigioStats().Sent > before.Sent })
				if got := e.M.SigioStats().Inline - before.Inline; got != c.calls {
					t.Fatalf("the inline signal made %d system calls, want %d", got, c.calls)
				}
			})
		}
	})
}
