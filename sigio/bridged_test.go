package sigio

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/linux"
)

// F3, F7: a signal from a devfs bridge (SI_SIGIO, si_band and si_fd as
// signalfd reports them) decodes to its descriptor and band; SI_QUEUE
// signals, the Watcher's own doorbell among them, and an unknown mask do
// not.
func TestBridgedEventDecoding(t *testing.T) {
	bridgedSig := func(mask uint32, fd int32) *unix.SignalfdSiginfo {
		return &unix.SignalfdSiginfo{Signo: 45, Code: linux.SI_SIGIO, Band: mask, Fd: fd}
	}
	for _, c := range []struct {
		name string
		si   *unix.SignalfdSiginfo
		fd   int
		band Band
		ok   bool
	}{
		{"F3/POLL_IN", bridgedSig(0x41, 3), 3, POLL_IN, true},
		{"F3/POLL_OUT", bridgedSig(0x304, 7), 7, POLL_OUT, true},
		{"F3/POLL_HUP", bridgedSig(0x18, 0), 0, POLL_HUP, true},
		{"F3/unknown-mask", bridgedSig(0x3, 3), 0, 0, false},
		{"F3/sigqueue", &unix.SignalfdSiginfo{Signo: 45, Code: linux.SI_QUEUE, Pid: 0x41, Ptr: 3}, 0, 0, false},
		{"F3/doorbell", &unix.SignalfdSiginfo{Signo: 45, Code: linux.SI_QUEUE, Pid: 0x41, Ptr: 0x5349_4749_4f00_0001}, 0, 0, false},
		{"F3/kernel-code", &unix.SignalfdSiginfo{Signo: 45, Code: int32(POLL_IN), Band: 0x41, Fd: 3}, 0, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			fd, band, mask, ok := bridgedEvent(c.si)
			if ok != c.ok || (ok && (fd != c.fd || band != c.band || mask != band.Mask())) {
				t.Fatalf("bridgedEvent = %d %v %#x %v, want %d %v %v", fd, band, mask, ok, c.fd, c.band, c.ok)
			}
		})
	}
}

// R2, F7: a descriptor without the bridge's attribute is not taken for a
// bridged one (a pipe has no extended attributes at all).
func TestNotBridged(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	if bridged(p[0]) {
		t.Fatal("a pipe reads as a bridged file")
	}
}
