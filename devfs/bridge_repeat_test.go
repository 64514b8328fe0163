package devfs_test

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/testutil"
)

// F7, F1: LDD3's asynctest as the book has it (one blocking
// 4096-byte read per signal, the flag cleared after the read) copies a
// single cat of a file 30 times the device's buffer whole. The signal for
// each next chunk goes out as the reader's read returns and is lost
// between the read and the clearing; the export repeats it while the data
// stays unread.
func TestBridgeRepeatLDD3Asynctest(t *testing.T) {
	exe := cclient(t, "ldd3asynctest")
	raw := make([]byte, 90000)
	rand.Read(raw)
	want := []byte(base64.StdEncoding.EncodeToString(raw)) // 120000 bytes
	src := filepath.Join(t.TempDir(), "burst")
	if err := os.WriteFile(src, want, 0o600); err != nil {
		t.Fatal(err)
	}
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		// Standard output is a file: the program ignores write's count,
		// and a write to a full pipe that a signal interrupts is short.
		out := filepath.Join(t.TempDir(), "out")
		at := start(t, "sh", "-c", "exec "+exe+" < "+e.dev(0)+" > "+out)
		waitBlocked(t, at.pid(), sysClockNanosleep) // owner and FASYNC set
		run(t, "sh", "-c", "cat "+src+" > "+e.dev(0))
		var got []byte
		testutil.WaitFor(t, "the whole file at the client's standard output", func() bool {
			got, _ = os.ReadFile(out)
			return len(got) >= len(want)
		})
		if string(got) != string(want) {
			t.Fatalf("got %d bytes, want the %d written", len(got), len(want))
		}
		if held := e.Pipes.Pipe(0).Status().Held; held != 0 {
			t.Fatalf("%d bytes left in the device", held)
		}
	})
}
