//go:build !linux

package scull

import (
	"os"
	"testing"
)

func benchRealSIGIOLatency(b *testing.B) {
	b.Skip("real SIGIO on a pipe (F_SETOWN + O_ASYNC) is measured on Linux only")
}

// setPipeSize leaves the pipe's capacity alone: F_SETPIPE_SZ is Linux's.
func setPipeSize(*os.File, int) error { return nil }
