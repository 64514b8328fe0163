package devfs_test

import (
	"strings"
	"testing"

	"github.com/fasync-go/fasync/devfs"
)

// A waitClient is a program that waits for readiness like devclient wait.
type waitClient struct {
	name string
	argv func(t *testing.T) []string // program and leading arguments
}

func waitClients() []waitClient {
	var cs []waitClient
	for _, how := range []string{"poll", "select", "epoll"} {
		cs = append(cs,
			waitClient{"C-" + how, func(t *testing.T) []string { return []string{cclient(t, "devclient"), "wait", "", how} }},
			waitClient{"python-" + how, func(t *testing.T) []string {
				return []string{python(t), "testdata/pollclient.py", "wait", "", how}
			}},
		)
	}
	return cs
}

// startWait starts c waiting on file for direction with timeout ms.
func (c waitClient) start(t *testing.T, file, direction, ms string) *proc {
	argv := c.argv(t)
	argv[len(argv)-2] = file
	p := start(t, argv[0], append(argv[1:], direction, ms)...)
	p.expect("waiting")
	return p
}

// R3, M3, B7: poll, select and epoll from C and Python: a timeout on an
// empty device, a wake-up when data arrives (POLLIN: the driver wakes its
// readers after a write, B5) and a wake-up when a full device is drained
// (POLLOUT: it wakes its writers after a read, B6). The kill_fasync half
// of B5 and B6 reaches real owners through the signal bridge
// (bridge_test.go).
func TestPollSelectEpoll(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		client := cclient(t, "devclient")
		for _, c := range waitClients() {
			t.Run(c.name, func(t *testing.T) {
				e := mountScull(t, tr, 3, 64)
				for i := range 3 {
					e.hold(t, i) // B8: keep the buffers between clients
				}
				t.Run("M3/timeout-on-empty", func(t *testing.T) {
					p := c.start(t, e.dev(0), "in", "50")
					p.expect("timeout")
				})
				t.Run("M3,B5,B7/POLLIN-wakeup", func(t *testing.T) {
					p := c.start(t, e.dev(0), "in", "-1")
					waitBlocked(t, p.pid(), sysWaitList()...)
					run(t, client, "write", e.dev(0), "ping")
					p.expect("ready IN")
					p.expect("data ping")
				})
				t.Run("M3,B6,B7/POLLOUT-wakeup", func(t *testing.T) {
					// Fill the device: B2, 63 bytes of 64.
					run(t, client, "write", e.dev(1), strings.Repeat("f", 63))
					if got := runStatus(t, client, "write", e.dev(1), "x", "nonblock-open"); got != "write EAGAIN" {
						t.Fatalf("device not full: %q", got)
					}
					p := c.start(t, e.dev(1), "out", "-1")
					waitBlocked(t, p.pid(), sysWaitList()...)
					if got := run(t, client, "read", e.dev(1), "blocking", "10"); got != "data ffffffffff" {
						t.Fatalf("drain: %q", got)
					}
					p.expect("ready OUT")
					run(t, client, "read", e.dev(1), "nonblock-open", "100") // leave it empty
				})
				t.Run("M3,B7/ready-at-once", func(t *testing.T) {
					run(t, client, "write", e.dev(2), "now")
					p := c.start(t, e.dev(2), "in", "-1")
					p.expect("ready IN")
					p.expect("data now")
				})
			})
		}
	})
}

// sysWaitList lists the system calls a readiness wait sleeps in.
func sysWaitList() []int {
	var nrs []int
	for nr := range sysWaits {
		nrs = append(nrs, nr)
	}
	return nrs
}

// R3, M3: edge-triggered epoll registers once; every later write must
// still wake it (devfs keeps the poll table registered and notifies on
// every wake-up of the driver's queues).
func TestEpollEdgesKeepComing(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		client := cclient(t, "devclient")
		p := start(t, python(t), "testdata/pollclient.py", "edges", e.dev(0), "5")
		for k, word := range []string{"one", "two", "three", "four", "five"} {
			p.expect("waiting")
			waitBlocked(t, p.pid(), sysWaitList()...)
			run(t, client, "write", e.dev(0), word)
			p.expect("edge " + string(rune('0'+k)))
			p.expect("data " + word)
		}
		if err := p.wait(); err != nil {
			t.Fatal(err)
		}
	})
}

// R3, M2, B3, B4: O_NONBLOCK set at open, or later with fcntl, turns a
// read of an empty device and a write to a full one into EAGAIN.
func TestNonblockEAGAIN(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 2, 16)
		client := cclient(t, "devclient")
		e.hold(t, 0)
		e.hold(t, 1)
		run(t, client, "write", e.dev(1), strings.Repeat("z", 15)) // B2: full at size-1
		cases := []struct {
			name string
			args []string
			want string
		}{
			{"M2,B3/read-empty/O_NONBLOCK-at-open", []string{"read", e.dev(0), "nonblock-open"}, "read EAGAIN"},
			{"M2,B3/read-empty/O_NONBLOCK-by-fcntl", []string{"read", e.dev(0), "nonblock-fcntl"}, "read EAGAIN"},
			{"M2,B4/write-full/O_NONBLOCK-at-open", []string{"write", e.dev(1), "x", "nonblock-open"}, "write EAGAIN"},
			{"M2,B4/write-full/O_NONBLOCK-by-fcntl", []string{"write", e.dev(1), "x", "nonblock-fcntl"}, "write EAGAIN"},
			{"M2,B4/write-space/O_NONBLOCK", []string{"write", e.dev(0), "abc", "nonblock-fcntl"}, "wrote 3"},
			{"M2,B3/read-data/O_NONBLOCK", []string{"read", e.dev(0), "nonblock-fcntl"}, "data abc"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if got := runStatus(t, client, c.args...); got != c.want {
					t.Fatalf("got %q, want %q", got, c.want)
				}
			})
		}
		t.Run("M2,B3/python-fcntl", func(t *testing.T) {
			if got := run(t, python(t), "testdata/pollclient.py", "nonblock", e.dev(0)); got != "EAGAIN" {
				t.Fatalf("got %q, want EAGAIN", got)
			}
		})
	})
}

// R3, M1: a reader sleeping on a shared O_RDWR descriptor does not keep a
// writer on that same descriptor out (FOPEN_STREAM; without it the file
// position lock deadlocks them).
func TestSharedDescriptorReaderWriter(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		if got := run(t, python(t), "testdata/pollclient.py", "shared", e.dev(0), "through"); got != "data through" {
			t.Fatalf("got %q", got)
		}
	})
}
