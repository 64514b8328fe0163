package uring

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// C13 (FUSE over io_uring needs it): a ring set up with SQE128 steps over
// 128-byte entries, so NOPs keep their user_data through wrap-around, and
// a 64-byte ring is unaffected.
func TestSQE128Stride(t *testing.T) {
	for _, tt := range []struct {
		name  string
		flags uint32
		want  bool
	}{
		{"C13/sqe64", 0, false},
		{"C13/sqe128", IORING_SETUP_SQE128, true},
		{"C13/sqe128-nosqarray", IORING_SETUP_SQE128 | IORING_SETUP_NO_SQARRAY, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRing(t, Config{Entries: 4, Flags: tt.flags})
			if r.SQE128() != tt.want {
				t.Fatalf("SQE128() = %t, want %t", r.SQE128(), tt.want)
			}
			if got := uintptr(len(r.sqeMem)); got != uintptr(r.SQEntries())*64<<r.sqeShift {
				t.Fatalf("SQE array mapped %d bytes for %d entries", got, r.SQEntries())
			}
			for round := 0; round < 3; round++ {
				for i := 0; i < 4; i++ {
					s := r.NextSQE()
					if tt.want { // dirty the upper half: the NOP must ignore it
						clear(s.Cmd()[:])
						s.Cmd()[79] = 0xff
					}
					s.PrepNop(uint64(round*10 + i))
				}
				seen := map[uint64]bool{}
				for _, c := range reapN(t, r, 4) {
					if c.Res != 0 {
						t.Fatalf("NOP res %d", c.Res)
					}
					seen[c.UserData] = true
				}
				for i := 0; i < 4; i++ {
					if !seen[uint64(round*10+i)] {
						t.Fatalf("round %d: NOP %d missing (saw %v)", round, i, seen)
					}
				}
			}
		})
	}
}

// C13: IORING_OP_URING_CMD reaches the file's driver: a pipe has no
// uring_cmd method, so the kernel answers EOPNOTSUPP (an unknown opcode
// would be EINVAL), and the cmd area is the SQE's bytes 48..127.
func TestURingCmdReachesDriver(t *testing.T) {
	r := newRing(t, Config{Entries: 2, Flags: IORING_SETUP_SQE128})
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	s := r.NextSQE()
	s.PrepURingCmd(p[0], 1, 0, 0, 77)
	if off := uintptr(unsafe.Pointer(&s.Cmd()[0])) - uintptr(unsafe.Pointer(s)); off != 48 {
		t.Fatalf("cmd area at byte %d, want 48", off)
	}
	s.Cmd()[0] = 1
	c := reapN(t, r, 1)[0]
	if c.UserData != 77 || c.Res != -int32(unix.EOPNOTSUPP) {
		t.Fatalf("URING_CMD on a pipe: user_data %d res %d, want 77 and -EOPNOTSUPP", c.UserData, c.Res)
	}
}
