package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

// TestDemo runs the whole story and checks that each part of LDD3 chapter 6
// it promises shows up in the trace: the SPEC IDs in the comments are the
// behaviours each line demonstrates.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := demo(&out, scull.Config{Devices: 4, Size: 4000}); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []struct{ id, line string }{
		{"M4a/asynctest", "asynctest   got SIGIO (SI_KERNEL; F_SETSIG 0"},
		{"B5/asynctest-reads", `asynctest   read 21 bytes: "line 1 from writer-a\n"`},
		{"A7/A8/rt-fd-band", "rt-reader   got SIGRTMIN+1 band POLL_IN on fd 1 (poll mask POLLIN|POLLRDNORM = 0x041)"},
		{"A7/rt-second", "rt-reader   got SIGRTMIN+1 band POLL_IN on fd 0"},
		{"A7/reads-that-fd", `rt-reader   read fd 1 (scullpipe2) only: "for whoever listens on scullpipe2"`},
		{"M3/timeout", "timed out, nothing to read"},
		{"M3/B7/wake-up", "poll returned 1 after"},
		{"M3/B7/revents", "fd 0 revents POLLIN|POLLRDNORM"},
		{"B9/open-keeps-data", `open kept the data (B9): read 7 bytes "poll me"`},
		{"M2/EAGAIN", "read again: EAGAIN"},
		{"S4/leader", "grp-leader  got SIGIO"},
		{"S4/member", "grp-member  got SIGIO"},
		{"B4/short-write", "bulk-writer write(4500 bytes) returned"},
		{"B6/POLL_OUT", "bulk-writer got SIGIO band POLL_OUT on fd 0 (poll mask POLLOUT|POLLWRNORM|POLLWRBAND = 0x304)"},
		{"B6/writer-resumes", "(0 left)"},
		{"I1/FIOASYNC-on", "ioctl(FIOASYNC, 1); F_GETFL shows FASYNC: true"},
		{"I1/FIOASYNC-signal", "ioctl-reader got SIGIO"},
		{"I1/FIOASYNC-off", "ioctl(FIOASYNC, 0): off the list again; F_GETFL shows FASYNC: false"},
		{"I2/IOCQSIZE", "configurer  ioctl(SCULL_P_IOCQSIZE) = 4000"},
		{"I2/B1/EBUSY", "ioctl(SCULL_P_IOCTSIZE, 8000): EBUSY"},
		{"I2/IOCTSIZE", "ioctl(SCULL_P_IOCTSIZE, 8000) = 0 on the empty device"},
		{"I2/IOCQSIZE-after", "configurer  ioctl(SCULL_P_IOCQSIZE) = 8000"},
		{"B10/status-resized", "scullpipe3    8000"},
		{"P1/write-POLL_IN", "sh          got SIGRTMIN+2 band POLL_IN on fd 0 (poll mask POLLIN|POLLRDNORM = 0x041)"},
		{"P1/close", "closed fd 1: no writer is left"},
		{"P1/EOF", "read fd 0: 0 bytes: end of file, without sleeping"},
		{"P1/K1/SIGPIPE", "producer    got SIGPIPE (SI_USER, pid"},
		{"P1/EPIPE", "write(fd 1) failed with EPIPE"},
		{"P1/K2/F_GETPIPE_SZ", "sizer       F_GETPIPE_SZ = 65536"},
		{"P1/K2/F_SETPIPE_SZ", "F_SETPIPE_SZ(5000), rounded up to 2 pages = 8192"},
		{"P1/slots", "6000 bytes held in 2 pages"},
		{"P1/K2/EBUSY", "F_SETPIPE_SZ(4096) below what is held: EBUSY"},
		{"B10/status", "device        size  held"},
		{"B10/status-row", "scullpipe1    4000"},
		{"close", "kernel      closed"},
	} {
		if !strings.Contains(text, want.line) {
			t.Errorf("%s: trace lacks %q", want.id, want.line)
		}
	}
	if t.Failed() {
		t.Logf("trace:\n%s", text)
	}
}

// TestDemoFlags: bad flags are a usage error, not a crash.
func TestDemoFlags(t *testing.T) {
	for _, args := range [][]string{{"-devices", "2"}, {"-size", "10"}, {"-nosuch"}} {
		if code := runDemo(args); code != 2 {
			t.Errorf("runDemo(%q) = %d, want 2", args, code)
		}
	}
}

// TestDescribeSignal pins the Linux names the trace uses (SPEC A7, A8).
func TestDescribeSignal(t *testing.T) {
	for _, tc := range []struct {
		info kernel.SigInfo
		want string
	}{
		{kernel.SigInfo{Signo: kernel.SIGIO, Code: kernel.SI_KERNEL}, "SIGIO (SI_KERNEL; F_SETSIG 0: no descriptor or band, so it must check every file)"},
		{kernel.SigInfo{Signo: kernel.SIGRTMIN + 3, Code: kernel.POLL_HUP, Fd: 7, Band: 0x18},
			"SIGRTMIN+3 band POLL_HUP on fd 7 (poll mask POLLERR|POLLHUP = 0x018)"},
		{kernel.SigInfo{Signo: 99, Code: 42}, "signal 99 (code 42; F_SETSIG 0: no descriptor or band, so it must check every file)"},
		{kernel.SigInfo{Signo: kernel.SIGPIPE, Code: kernel.SI_USER, Pid: 7}, "SIGPIPE (SI_USER, pid 7)"},
	} {
		if got := describeSignal(&tc.info); got != tc.want {
			t.Errorf("describeSignal(%+v)\n got %q\nwant %q", tc.info, got, tc.want)
		}
	}
	if got := pollBits(0); got != "0" {
		t.Errorf("pollBits(0) = %q", got)
	}
}

// U7: the story runs at every buffer size --size accepts, 64 B to 64 MiB:
// at the small end the blocked writer's excess is more than one read
// frees when the held data wraps, and at the large end SCULL_P_IOCTSIZE
// cannot double the size (it halves it instead).
func TestDemoSizes(t *testing.T) {
	for _, size := range []int{64, 65, 519, 520, 521, 1 << 20, 32<<20 + 1, 33 << 20, scull.MaxSize} {
		var out bytes.Buffer
		if err := demo(&out, scull.Config{Devices: 4, Size: size}); err != nil {
			t.Errorf("U7: --size %d: %v\n%s", size, err, out.String())
			continue
		}
		resize := 2 * size
		if resize > scull.MaxSize {
			resize = size / 2
		}
		for _, want := range []string{
			"(0 left)",
			fmt.Sprintf("ioctl(SCULL_P_IOCTSIZE, %d) = 0 on the empty device", resize),
			fmt.Sprintf("configurer  ioctl(SCULL_P_IOCQSIZE) = %d", resize),
		} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("U7: --size %d: trace lacks %q", size, want)
			}
		}
	}
}
