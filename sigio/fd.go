package sigio

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// FdOf returns the descriptor behind v, for Watch: an int, a syscall.Conn
// (*os.File, *net.TCPConn, *net.UnixConn ...) or anything with Fd() uintptr.
// syscall.Conn is preferred because os.File.Fd switches the file to blocking
// mode. The descriptor stays valid only while v is open.
func FdOf(v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case syscall.Conn:
		rc, err := x.SyscallConn()
		if err != nil {
			return -1, fmt.Errorf("sigio: %w", err)
		}
		fd := -1
		if err := rc.Control(func(u uintptr) { fd = int(u) }); err != nil {
			return -1, fmt.Errorf("sigio: %w", err)
		}
		return fd, nil
	case interface{ Fd() uintptr }:
		return int(x.Fd()), nil
	}
	return -1, fmt.Errorf("sigio: no descriptor in %T: %w", v, unix.EBADF)
}
