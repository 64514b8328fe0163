package linux

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A8: the band table is Linux's, and BandOf inverts it.
func TestBandTable(t *testing.T) {
	want := map[int]uint32{POLL_IN: 0x41, POLL_OUT: 0x304, POLL_MSG: 0x441, POLL_ERR: 0x8, POLL_PRI: 0x82, POLL_HUP: 0x18}
	for b, m := range want {
		if got := BandMask(b); got != m {
			t.Errorf("BandMask(%d) = %#x, want %#x", b, got, m)
		}
		if got, ok := BandOf(m); !ok || got != b {
			t.Errorf("BandOf(%#x) = %d %v, want %d", m, got, ok, b)
		}
	}
	if BandMask(0) != 0 || BandMask(7) != 0 {
		t.Error("BandMask of a code outside POLL_IN..POLL_HUP is not 0")
	}
	if _, ok := BandOf(0x1); ok {
		t.Error("BandOf(POLLIN alone) found a code")
	}
}

// F3: PollSiginfo has siginfo_t's size and the SIL_POLL offsets.
func TestPollSiginfoLayout(t *testing.T) {
	var si PollSiginfo
	if unsafe.Sizeof(si) != unsafe.Sizeof(unix.Siginfo{}) {
		t.Fatalf("size %d, want %d", unsafe.Sizeof(si), unsafe.Sizeof(unix.Siginfo{}))
	}
	if unsafe.Offsetof(si.Band) != 16 || unsafe.Offsetof(si.Fd) != 24 {
		t.Fatalf("si_band at %d, si_fd at %d; want 16 and 24", unsafe.Offsetof(si.Band), unsafe.Offsetof(si.Fd))
	}
}

// F1: F_SETOWN_EX and F_GETOWN_EX round-trip on a pipe.
func TestOwnEx(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	o := FOwnerEx{Type: F_OWNER_TID, Pid: int32(unix.Gettid())}
	if err := SetOwnEx(p[0], o); err != nil {
		t.Fatal(err)
	}
	if got, err := GetOwnEx(p[0]); err != nil || got != o {
		t.Fatalf("GetOwnEx = %+v %v, want %+v", got, err, o)
	}
	if _, err := GetOwnEx(-1); err != unix.EBADF {
		t.Fatalf("GetOwnEx(-1): %v, want EBADF", err)
	}
}

// F4: F_GETOWNER_UIDS reads the ids of the process that set the owner.
func TestOwnerUids(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	if err := SetOwnEx(p[0], FOwnerEx{Type: F_OWNER_PID, Pid: int32(unix.Getpid())}); err != nil {
		t.Fatal(err)
	}
	uid, euid, err := GetOwnerUids(p[0])
	if err == unix.EINVAL {
		t.Skip("F_GETOWNER_UIDS: EINVAL (a kernel without CONFIG_CHECKPOINT_RESTORE)")
	}
	if err != nil || uid != uint32(unix.Getuid()) || euid != uint32(unix.Geteuid()) {
		t.Fatalf("GetOwnerUids = %d %d %v, want %d %d", uid, euid, err, unix.Getuid(), unix.Geteuid())
	}
	if _, _, err := GetOwnerUids(-1); err != unix.EBADF {
		t.Fatalf("GetOwnerUids(-1): %v, want EBADF", err)
	}
}

// F5: kcmp KCMP_FILE tells a duplicate of an open file from another open
// file of the same kind.
func TestKcmpFile(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	dup, err := unix.FcntlInt(uintptr(p[0]), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dup)
	pid := uintptr(unix.Getpid())
	cmp := func(a, b int) (uintptr, unix.Errno) {
		r, _, e := unix.Syscall6(unix.SYS_KCMP, pid, pid, KCMP_FILE, uintptr(a), uintptr(b), 0)
		return r, e
	}
	if r, e := cmp(p[0], dup); e == unix.ENOSYS {
		t.Skip("kcmp: ENOSYS (a kernel without CONFIG_KCMP)")
	} else if e != 0 || r != 0 {
		t.Fatalf("kcmp of a duplicate = %d %v, want 0", r, e)
	}
	if r, e := cmp(p[0], p[1]); e != 0 || r == 0 {
		t.Fatalf("kcmp of the two ends of a pipe = %d %v, want nonzero", r, e)
	}
}
