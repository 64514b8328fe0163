package uring

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// C13: the probe names why io_uring cannot be used.
func TestAvailability(t *testing.T) {
	tests := []struct {
		name   string
		sysctl string
		errno  syscall.Errno
		want   string // substring of the message; "" means nil
	}{
		{"C13/enabled", "0", 0, ""},
		{"C13/no-sysctl-enabled", "", 0, ""},
		{"C13/sysctl-2", "2", unix.EPERM, "kernel.io_uring_disabled=2"},
		{"C13/sysctl-1", "1", unix.EPERM, "kernel.io_uring_disabled=1"},
		{"C13/seccomp-eperm", "0", unix.EPERM, "seccomp"},
		{"C13/enosys", "", unix.ENOSYS, "ENOSYS"},
		{"C13/memlock", "0", unix.ENOMEM, "RLIMIT_MEMLOCK"},
		{"C13/other", "0", unix.EFAULT, "io_uring_setup failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := availability(tt.sysctl, tt.errno)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("availability(%q, %v) = %v, want nil", tt.sysctl, tt.errno, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, tt.errno) {
				t.Fatalf("availability(%q, %v) = %v, want an error containing %q wrapping %v", tt.sysctl, tt.errno, err, tt.want, tt.errno)
			}
		})
	}
}

// C13: on this machine the probe agrees with what Setup does.
func TestAvailableMatchesSetup(t *testing.T) {
	err := Available()
	r, serr := Setup(Config{Entries: 1})
	if serr == nil {
		r.Close()
	}
	if (err == nil) != (serr == nil) {
		t.Fatalf("Available() = %v but Setup gives %v", err, serr)
	}
	if err != nil {
		t.Logf("io_uring unavailable here: %v", err)
	}
}

func TestSetupBadInput(t *testing.T) {
	needUring(t)
	if _, err := Setup(Config{}); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Setup with 0 entries: %v, want EINVAL", err)
	}
	if _, err := Setup(Config{Entries: 1 << 20}); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Setup with 1<<20 entries: %v, want EINVAL", err)
	}
}

// C13: a NOP goes round the ring and comes back with its user_data.
func TestRingNop(t *testing.T) {
	r := newRing(t, Config{Entries: 8, Flags: IORING_SETUP_NO_SQARRAY})
	for round := 0; round < 3; round++ { // wraps nothing, but reuses slots
		for i := 0; i < 8; i++ {
			r.NextSQE().PrepNop(uint64(round*100 + i))
		}
		seen := map[uint64]bool{}
		for _, c := range reapN(t, r, 8) {
			if c.Res != 0 {
				t.Fatalf("NOP res %d", c.Res)
			}
			seen[c.UserData] = true
		}
		for i := 0; i < 8; i++ {
			if !seen[uint64(round*100+i)] {
				t.Fatalf("round %d: no completion for user_data %d", round, round*100+i)
			}
		}
	}
}

// C13: with and without the SQ index array (NO_SQARRAY), and with the CQ
// mapped together or apart, rings work the same.
func TestRingFlagsFallback(t *testing.T) {
	needUring(t)
	r := newRing(t, Config{Entries: 4, CQEntries: 64, Flags: IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL})
	if r.SQEntries() != 4 || r.CQEntries() != 64 {
		t.Fatalf("sizes %d/%d, want 4/64", r.SQEntries(), r.CQEntries())
	}
	if r.Features()&IORING_FEAT_SINGLE_MMAP == 0 {
		t.Logf("kernel maps the CQ ring separately")
	}
	r.NextSQE().PrepNop(7)
	if c := reapN(t, r, 1)[0]; c.UserData != 7 {
		t.Fatalf("user_data %d, want 7", c.UserData)
	}
}

// C1: data written through the ring lands at the given offsets; reads
// through the ring return it.
func TestRingReadWrite(t *testing.T) {
	r := newRing(t, Config{Entries: 16})
	f := tempFile(t, 64<<10)
	fd := int(f.Fd())
	const bs = 4096
	out := pageBuf(t, 4*bs)
	for i := range out {
		out[i] = byte(i*13 + 1)
	}
	offs := []int64{0, 3 * bs, 5*bs + 17, 15 * bs}
	for i, off := range offs {
		r.NextSQE().PrepWrite(fd, out[i*bs:(i+1)*bs], off, uint64(i))
	}
	for _, c := range reapN(t, r, len(offs)) {
		if c.Res != bs {
			t.Fatalf("write %d: res %d, want %d", c.UserData, c.Res, bs)
		}
	}
	in := pageBuf(t, 4*bs)
	for i, off := range offs {
		r.NextSQE().PrepRead(fd, in[i*bs:(i+1)*bs], off, uint64(i))
	}
	for _, c := range reapN(t, r, len(offs)) {
		if c.Res != bs {
			t.Fatalf("read %d: res %d, want %d", c.UserData, c.Res, bs)
		}
	}
	if !bytes.Equal(in, out) {
		t.Fatal("read back differs from what was written")
	}
	// And the file agrees, read the ordinary way.
	chk := make([]byte, bs)
	if _, err := f.ReadAt(chk, offs[2]); err != nil || !bytes.Equal(chk, out[2*bs:3*bs]) {
		t.Fatalf("pread after ring write: %v, equal %t", err, bytes.Equal(chk, out[2*bs:3*bs]))
	}
	// A read past the end returns 0, a bad descriptor -EBADF.
	r.NextSQE().PrepRead(fd, in[:bs], 1<<20, 1)
	r.NextSQE().PrepRead(-1, in[:bs], 0, 2)
	for _, c := range reapN(t, r, 2) {
		want := map[uint64]int32{1: 0, 2: -int32(unix.EBADF)}[c.UserData]
		if c.Res != want {
			t.Fatalf("request %d: res %d, want %d", c.UserData, c.Res, want)
		}
	}
}

// C10: FSYNC and FSYNC|DATASYNC complete after the writes before them.
func TestRingFsync(t *testing.T) {
	r := newRing(t, Config{Entries: 4})
	f := tempFile(t, 4096)
	buf := pageBuf(t, 4096)
	r.NextSQE().PrepWrite(int(f.Fd()), buf, 0, 1)
	reapN(t, r, 1)
	r.NextSQE().PrepFsync(int(f.Fd()), false, 2)
	r.NextSQE().PrepFsync(int(f.Fd()), true, 3)
	r.NextSQE().PrepFsync(-1, false, 4)
	for _, c := range reapN(t, r, 3) {
		want := int32(0)
		if c.UserData == 4 {
			want = -int32(unix.EBADF)
		}
		if c.Res != want {
			t.Fatalf("fsync %d: res %d, want %d", c.UserData, c.Res, want)
		}
	}
}

// C6: a full SQ hands out no SQE until the kernel consumes some.
func TestRingFull(t *testing.T) {
	r := newRing(t, Config{Entries: 4})
	for i := 0; i < 4; i++ {
		s := r.NextSQE()
		if s == nil {
			t.Fatalf("SQE %d: ring full too early", i)
		}
		s.PrepNop(uint64(i))
	}
	if s := r.NextSQE(); s != nil || r.SQSpace() != 0 {
		t.Fatalf("fifth SQE on a 4-entry ring: got one (space %d)", r.SQSpace())
	}
	reapN(t, r, 4)
	if r.SQSpace() != 4 || r.NextSQE() == nil {
		t.Fatalf("after submission: space %d, want 4", r.SQSpace())
	}
}

// C1: READ_FIXED and WRITE_FIXED through a registered buffer, on a
// registered file.
func TestRingFixedBuffersAndFiles(t *testing.T) {
	r := newRing(t, Config{Entries: 4})
	f := tempFile(t, 1<<16)
	arena := pageBuf(t, 1<<16)
	if err := r.RegisterBuffers([][]byte{arena}); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterFiles([]int32{-1, int32(f.Fd())}); err != nil {
		t.Fatal(err)
	}
	copy(arena[8192:12288], bytes.Repeat([]byte("fixed!"), 700))
	s := r.NextSQE()
	s.PrepWriteFixed(1, arena[8192:12288], 4096, 0, 1)
	s.Flags |= IOSQE_FIXED_FILE
	if c := reapN(t, r, 1)[0]; c.Res != 4096 {
		t.Fatalf("WRITE_FIXED res %d", c.Res)
	}
	s = r.NextSQE()
	s.PrepReadFixed(int(f.Fd()), arena[:4096], 4096, 0, 2)
	if c := reapN(t, r, 1)[0]; c.Res != 4096 || !bytes.Equal(arena[:4096], arena[8192:12288]) {
		t.Fatalf("READ_FIXED res %d, data equal %t", c.Res, bytes.Equal(arena[:4096], arena[8192:12288]))
	}
	// A buffer outside the registered one is refused with EFAULT.
	other := pageBuf(t, 4096)
	r.NextSQE().PrepReadFixed(int(f.Fd()), other, 0, 0, 3)
	if c := reapN(t, r, 1)[0]; c.Res != -int32(unix.EFAULT) {
		t.Fatalf("READ_FIXED outside the registered buffer: res %d, want -EFAULT", c.Res)
	}
	if err := r.UpdateFiles(1, []int32{-1}); err != nil {
		t.Fatal(err)
	}
	if err := r.UnregisterFiles(); err != nil {
		t.Fatal(err)
	}
	if err := r.UnregisterBuffers(); err != nil {
		t.Fatal(err)
	}
}

// C13: SINGLE_ISSUER|DEFER_TASKRUN tie a ring to its creating thread: it
// works there, and another thread's submission is refused with EEXIST.
// This is why Loop, whose goroutine moves between threads, does not use
// them.
func TestRingSingleIssuer(t *testing.T) {
	needUring(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := newRing(t, Config{Entries: 4, Flags: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN})
	if r.Flags()&IORING_SETUP_DEFER_TASKRUN == 0 {
		t.Skipf("kernel dropped DEFER_TASKRUN (flags %#x)", r.Flags())
	}
	r.NextSQE().PrepNop(1)
	reapN(t, r, 1)
	errc := make(chan error)
	go func() {
		runtime.LockOSThread() // a thread of its own, never the test's
		defer runtime.UnlockOSThread()
		r.NextSQE().PrepNop(2)
		_, err := r.Submit()
		errc <- err
	}()
	if err := <-errc; !errors.Is(err, unix.EEXIST) {
		t.Fatalf("submission from another thread: %v, want EEXIST", err)
	}
}

// C1: a multishot poll of an eventfd stays armed: every write gives a CQE
// flagged IORING_CQE_F_MORE, and Wait returns once one is posted; with
// nothing to complete, Wait returns when its timeout passes.
func TestRingWaitAndMultishotPoll(t *testing.T) {
	r := newRing(t, Config{Entries: 8})
	if r.Features()&IORING_FEAT_EXT_ARG == 0 {
		t.Skip("kernel without IORING_FEAT_EXT_ARG (before 5.11)")
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(efd)
	r.NextSQE().PrepPollMultishot(efd, unix.POLLIN, 7)
	if _, err := r.Enter(r.Flush(), 0, 0); err != nil {
		t.Fatal(err)
	}

	t0 := time.Now()
	if err := r.Wait(1, 20*time.Millisecond); err != nil {
		t.Fatalf("Wait with nothing to complete: %v", err)
	}
	if n := r.Ready(); n != 0 || time.Since(t0) < 20*time.Millisecond {
		t.Fatalf("Wait returned after %v with %d CQEs, want its timeout and none", time.Since(t0), n)
	}

	var buf [8]byte
	for round := range 3 {
		unix.Write(efd, []byte{1, 0, 0, 0, 0, 0, 0, 0})
		if err := r.Wait(1, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		var c [2]CQE
		if n := r.Reap(c[:]); n != 1 || c[0].UserData != 7 || c[0].Res&unix.POLLIN == 0 || c[0].Flags&IORING_CQE_F_MORE == 0 {
			t.Fatalf("round %d: %d CQEs, first %+v; want one POLLIN CQE of user_data 7 with F_MORE", round, n, c[0])
		}
		unix.Read(efd, buf[:])
	}
}

// SetMaxWorkers sets the ring's io-wq limits and reports the ones before;
// 0 leaves a limit as it is.
func TestRingSetMaxWorkers(t *testing.T) {
	needUring(t)
	// The limits the kernel reports are those of the calling thread's
	// workers: keep to the thread that set the ring up.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r, err := Setup(Config{Entries: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, _, err := r.SetMaxWorkers(48, 0); err != nil {
		if errors.Is(err, unix.EINVAL) {
			t.Skipf("kernel without IORING_REGISTER_IOWQ_MAX_WORKERS (5.15): %v", err)
		}
		t.Fatal(err)
	}
	bounded, unbounded, err := r.SetMaxWorkers(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if bounded != 48 || unbounded == 0 {
		t.Fatalf("SetMaxWorkers(0, 0) after (48, 0) reports %d bounded, %d unbounded; want 48 and the unchanged default", bounded, unbounded)
	}
}
