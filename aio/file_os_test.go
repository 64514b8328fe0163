package aio

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// C15: File answers Stat, Fd and SyscallConn as os.File does for the same
// file, and after Close as os.File does after its Close: os.ErrClosed,
// and Fd ^uintptr(0).
func TestFileOSMethods(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newEngine newEngineFunc) {
		e := newEngine(t)
		f, name := newTestFile(t, e, []byte("twelve bytes"), os.O_RDWR)
		want, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.Stat()
		if err != nil || got.Size() != 12 || got.Mode() != want.Mode() || !os.SameFile(got, want) {
			t.Fatalf("C15: Stat = %v, %v; want the file %s of 12 bytes", got, err, name)
		}
		if int(f.Fd()) != f.fd {
			t.Fatalf("C15: Fd = %d, want %d", f.Fd(), f.fd)
		}
		rc, err := f.SyscallConn()
		if err != nil {
			t.Fatalf("C15: SyscallConn: %v", err)
		}
		var st unix.Stat_t
		var serr error
		if err := rc.Control(func(fd uintptr) { serr = unix.Fstat(int(fd), &st) }); err != nil || serr != nil || st.Size != 12 {
			t.Fatalf("C15: fstat through SyscallConn: %v, %v, size %d", err, serr, st.Size)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Stat(); !errors.Is(err, os.ErrClosed) {
			t.Errorf("C15: Stat after Close: %v, want os.ErrClosed", err)
		}
		if fd := f.Fd(); fd != ^uintptr(0) {
			t.Errorf("C15: Fd after Close = %d, want ^uintptr(0)", fd)
		}
		if _, err := f.SyscallConn(); !errors.Is(err, os.ErrClosed) {
			t.Errorf("C15: SyscallConn after Close: %v, want os.ErrClosed", err)
		}
	})
}
