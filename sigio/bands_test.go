package sigio

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/linux"
)

// A bandCase arms one real descriptor, makes the kernel signal it, and says
// which band that signal must carry (SPEC R1).
type bandCase struct {
	name string
	// setup returns the descriptor to watch and the action that must make
	// the kernel signal it; it runs before Watch, trigger after.
	setup func(t *testing.T) (fd int, trigger func())
	// want is the sequence of bands the trigger's signals carry, in order.
	want []Band
}

var (
	in    = []Band{POLL_IN}
	out   = []Band{POLL_OUT}
	hup   = []Band{POLL_HUP}
	inIn  = []Band{POLL_IN, POLL_IN}
	hupIn = []Band{POLL_HUP, POLL_IN}
)

func bandCases() []bandCase {
	return []bandCase{
		{"R1/pipe/write-gives-POLL_IN", func(t *testing.T) (int, func()) {
			r, w := pipe(t)
			return r, func() { write(t, w, []byte("x")) }
		}, in},
		{"R1/pipe/read-gives-POLL_OUT", func(t *testing.T) (int, func()) {
			r, w := pipe(t)
			fill(t, w)
			return w, func() { unix.Read(r, make([]byte, 1)) }
		}, out},
		{"R1/pipe/empty-read-gives-POLL_OUT", func(t *testing.T) (int, func()) {
			// fs/pipe.c pipe_read signals writers after every read call,
			// even one that returns EAGAIN having freed nothing.
			r, w := pipe(t)
			return w, func() {
				if _, err := unix.Read(r, make([]byte, 1)); err != unix.EAGAIN {
					t.Fatalf("read of empty pipe: %v, want EAGAIN", err)
				}
			}
		}, out},
		{"R1/pipe/writer-close-gives-POLL_IN", func(t *testing.T) (int, func()) {
			// fs/pipe.c pipe_release signals readers POLL_IN, not POLL_HUP.
			r, w := pipe(t)
			return r, func() { unix.Close(w) }
		}, in},
		{"R1/fifo/write-gives-POLL_IN", func(t *testing.T) (int, func()) {
			path := filepath.Join(t.TempDir(), "fifo")
			if err := unix.Mkfifo(path, 0o600); err != nil {
				t.Fatalf("mkfifo: %v", err)
			}
			r := openFd(t, path, unix.O_RDONLY|unix.O_NONBLOCK)
			w := openFd(t, path, unix.O_WRONLY|unix.O_NONBLOCK)
			return r, func() { write(t, w, []byte("x")) }
		}, in},
		{"R1/unix-stream/write-gives-POLL_IN", func(t *testing.T) (int, func()) {
			a, b := socketpair(t, unix.SOCK_STREAM)
			return a, func() { write(t, b, []byte("x")) }
		}, in},
		{"R1/unix-stream/peer-close-gives-POLL_HUP", func(t *testing.T) (int, func()) {
			a, b := socketpair(t, unix.SOCK_STREAM)
			return a, func() { unix.Close(b) }
		}, hup},
		{"R1/unix-stream/drain-gives-POLL_OUT", func(t *testing.T) (int, func()) {
			// The socket layer records "a writer found no space" only
			// while O_ASYNC is on (sk_set_bit SOCKWQ_ASYNC_NOSPACE), and
			// signals POLL_OUT only after that: fill after Watch.
			a, b := socketpair(t, unix.SOCK_STREAM)
			return a, func() { fill(t, a); drain(t, b) }
		}, out},
		{"R1/unix-dgram/send-gives-POLL_IN", func(t *testing.T) (int, func()) {
			a, b := socketpair(t, unix.SOCK_DGRAM)
			return a, func() { write(t, b, []byte("x")) }
		}, in},
		{"R1/tcp/write-gives-POLL_IN", func(t *testing.T) (int, func()) {
			srv, cli := tcpPair(t)
			return connFd(t, srv), func() { cli.Write([]byte("x")) }
		}, in},
		{"R1/tcp/peer-close-gives-POLL_IN", func(t *testing.T) (int, func()) {
			// tcp_fin: a FIN while our side still sends is a half-duplex
			// close, signalled POLL_IN (read gives end of file); then
			// tcp_data_queue's data-ready signals POLL_IN again.
			srv, cli := tcpPair(t)
			return connFd(t, srv), func() { cli.Close() }
		}, inIn},
		{"R1/tcp/peer-close-after-shutdown-gives-POLL_HUP", func(t *testing.T) (int, func()) {
			// Once both directions are shut, tcp_fin signals POLL_HUP,
			// followed by the data-ready POLL_IN.
			srv, cli := tcpPair(t)
			if err := srv.CloseWrite(); err != nil {
				t.Fatalf("CloseWrite: %v", err)
			}
			return connFd(t, srv), func() { cli.Close() }
		}, hupIn},
		{"R1/tcp/drain-gives-POLL_OUT", func(t *testing.T) (int, func()) {
			srv, cli := tcpPair(t)
			fd := connFd(t, srv)
			return fd, func() { fill(t, fd); drainConn(t, cli) }
		}, out},
		{"R1/udp/send-gives-POLL_IN", func(t *testing.T) (int, func()) {
			srv, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatalf("listen udp: %v", err)
			}
			t.Cleanup(func() { srv.Close() })
			cli, err := net.DialUDP("udp", nil, srv.LocalAddr().(*net.UDPAddr))
			if err != nil {
				t.Fatalf("dial udp: %v", err)
			}
			t.Cleanup(func() { cli.Close() })
			return connFd(t, srv), func() { cli.Write([]byte("x")) }
		}, in},
		{"R1/pty/slave-write-gives-master-POLL_IN", func(t *testing.T) (int, func()) {
			m, s := openPty(t)
			return m, func() { write(t, s, []byte("x")) }
		}, in},
		{"R1/pty/master-write-gives-slave-POLL_IN", func(t *testing.T) (int, func()) {
			m, s := openPty(t)
			return s, func() { write(t, m, []byte("x")) }
		}, in},
		{"R1/inotify/create-gives-POLL_IN", func(t *testing.T) (int, func()) {
			fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
			if err != nil {
				t.Fatalf("inotify_init1: %v", err)
			}
			closeFd(t, fd)
			dir := t.TempDir()
			if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CREATE); err != nil {
				t.Fatalf("inotify_add_watch: %v", err)
			}
			return fd, func() {
				if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}, in},
	}
}

// TestBands: each kind of descriptor signals with its own descriptor number
// and the band (and si_band mask) the kernel's source says (SPEC R1).
//
// Each case has a Watcher of its own: descriptor numbers are reused from
// case to case, and a late signal from one case must not be mistaken for
// the next one's.
func TestBands(t *testing.T) {
	for _, c := range bandCases() {
		t.Run(c.name, func(t *testing.T) {
			w := newWatcher(t, nil)
			fd, trigger := c.setup(t)
			if err := w.Watch(fd); err != nil {
				t.Fatalf("Watch: %v", err)
			}
			trigger()
			for i, want := range c.want {
				e := nextSignalled(t, w.Events(), fd)
				if e.Band != want || e.Mask != want.Mask() {
					t.Fatalf("signal %d: got %v, want fd %d %v %#x", i, e, fd, want, want.Mask())
				}
			}
		})
	}
}

// TestArmAndRestore: Watch leaves each descriptor with O_ASYNC, F_SETSIG n
// and owner {F_OWNER_TID, owner thread}; Unwatch gives back exactly what it
// had (SPEC R1).
func TestArmAndRestore(t *testing.T) {
	w := newWatcher(t, nil)
	for _, c := range bandCases() {
		t.Run(c.name, func(t *testing.T) {
			fd, _ := c.setup(t)
			before := stateOf(t, fd)
			if err := w.Watch(fd); err != nil {
				t.Fatalf("Watch: %v", err)
			}
			armed := stateOf(t, fd)
			want := fdState{
				flags: before.flags | unix.O_ASYNC,
				sig:   int(w.Signal()),
				owner: linux.FOwnerEx{Type: F_OWNER_TID, Pid: int32(w.OwnerTID())},
			}
			if armed != want {
				t.Errorf("armed state %+v, want %+v", armed, want)
			}
			if err := w.Unwatch(fd); err != nil {
				t.Fatalf("Unwatch: %v", err)
			}
			if after := stateOf(t, fd); after != before {
				t.Errorf("after Unwatch %+v, want %+v as before Watch", after, before)
			}
		})
	}
}

// TestInitialReadiness: data already waiting when a descriptor is armed
// raises no signal, so Watch reports it as a Polled event (SPEC R1).
func TestInitialReadiness(t *testing.T) {
	w := newWatcher(t, nil)
	r, wr := pipe(t)
	write(t, wr, []byte("waiting"))
	if err := w.Watch(r); err != nil {
		t.Fatalf("Watch: %v", err)
	}
	e := await(t, w.Events(), func(e Event) bool { return e.Fd == r }, "the polled event")
	if !e.Polled || e.Band != POLL_IN || e.Mask&POLLIN == 0 {
		t.Fatalf("got %v, want a polled POLL_IN for fd %d", e, r)
	}
}

func openFd(t *testing.T, path string, flags int) int {
	t.Helper()
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	closeFd(t, fd)
	return fd
}

// tcpPair returns both ends of a TCP connection over 127.0.0.1.
func tcpPair(t *testing.T) (srv, cli *net.TCPConn) {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("listen tcp: %v", err)
	}
	defer ln.Close()
	cli, err = net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatalf("dial tcp: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	srv, err = ln.AcceptTCP()
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, cli
}

func connFd(t *testing.T, c any) int {
	t.Helper()
	fd, err := FdOf(c)
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

// drainConn reads everything c has received so far.
func drainConn(t *testing.T, c *net.TCPConn) {
	t.Helper()
	fd := connFd(t, c)
	drain(t, fd)
}

// TestTTYOwnerClaim records the kernel behaviour that fixes arm's order: a
// tty given O_ASYNC with no owner claims one (the foreground process group
// of a controlling terminal, else the caller), but keeps an owner already
// set (SPEC R1).
func TestTTYOwnerClaim(t *testing.T) {
	t.Run("R1/O_ASYNC-first-tty-claims-the-process", func(t *testing.T) {
		_, s := openPty(t)
		if o := stateOf(t, s).owner; o != (linux.FOwnerEx{}) {
			t.Fatalf("fresh pty has owner %+v", o)
		}
		fl := stateOf(t, s).flags
		if _, err := unix.FcntlInt(uintptr(s), unix.F_SETFL, fl|unix.O_ASYNC); err != nil {
			t.Fatal(err)
		}
		// __tty_fasync claims task_pid(current) as PIDTYPE_TGID: the
		// calling thread's pid, which F_GETOWN_EX shows as F_OWNER_PID
		// (with the thread's id, or 0 once that thread has ended).
		if got := stateOf(t, s).owner; got.Type != F_OWNER_PID {
			t.Fatalf("owner after O_ASYNC %+v, want an F_OWNER_PID claimed by the tty", got)
		}
	})
	t.Run("R1/owner-first-is-kept", func(t *testing.T) {
		w := newWatcher(t, nil)
		_, s := openPty(t)
		if err := w.Watch(s); err != nil {
			t.Fatal(err)
		}
		want := linux.FOwnerEx{Type: F_OWNER_TID, Pid: int32(w.OwnerTID())}
		if got := stateOf(t, s).owner; got != want {
			t.Fatalf("owner after Watch %+v, want %+v", got, want)
		}
	})
}
