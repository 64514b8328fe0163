package devfs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/testutil"
)

// ldd3Copies runs an LDD3 misc-progs copier (written anew to the same
// behaviour in testdata) with standard input the exported scullpipe and
// standard output a file, writes lines to the device one process at a
// time once it sleeps in system call nr (armed), and checks that every
// line reaches the file in order.
func ldd3Copies(t *testing.T, tr devfs.Transport, nr int, name string, args ...string) {
	e := mountScull(t, tr, 1, 4000)
	out := filepath.Join(t.TempDir(), "out")
	p := start(t, "sh", "-c", "exec "+cclient(t, name)+" "+strings.Join(args, " ")+" < "+e.dev(0)+" > "+out)
	waitBlocked(t, p.pid(), nr)
	var want strings.Builder
	for _, line := range []string{"one", "two", "three"} {
		run(t, "sh", "-c", "echo "+line+" > "+e.dev(0))
		want.WriteString(line + "\n")
		testutil.WaitFor(t, name+" to copy "+line, func() bool {
			got, _ := os.ReadFile(out)
			return string(got) == want.String()
		})
	}
}

// M3, R3: LDD3's polltest (non-blocking standard input, read, copy, poll
// for POLLIN) copies what is written to an exported scullpipe.
func TestLDD3Polltest(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) { ldd3Copies(t, tr, sysPoll, "ldd3polltest") })
}

// M2, R3: LDD3's nbtest (non-blocking standard input and output, read,
// copy, sleep a second, EAGAIN no error) copies what is written to an
// exported scullpipe.
func TestLDD3Nbtest(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) { ldd3Copies(t, tr, sysClockNanosleep, "ldd3nbtest", "1") })
}

// F7, F1: LDD3's asynctest (a SIGIO handler, F_SETOWN getpid(), FASYNC,
// one read per signal) copies what is written to an exported scullpipe,
// line by line.
func TestLDD3Asynctest(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) { ldd3Copies(t, tr, sysClockNanosleep, "ldd3asynctest") })
}
