package linuxaio

import (
	"bytes"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// C19: struct iocb and struct io_event have Linux's layout
// (include/uapi/linux/aio_abi.h on a 64-bit machine).
func TestLayout(t *testing.T) {
	var cb Iocb
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"aio_data", unsafe.Offsetof(cb.Data), 0},
		{"aio_key/aio_rw_flags", unsafe.Offsetof(cb.KeyFlags), 8},
		{"aio_lio_opcode", unsafe.Offsetof(cb.Opcode), 16},
		{"aio_reqprio", unsafe.Offsetof(cb.Reqprio), 18},
		{"aio_fildes", unsafe.Offsetof(cb.Fildes), 20},
		{"aio_buf", unsafe.Offsetof(cb.Buf), 24},
		{"aio_nbytes", unsafe.Offsetof(cb.Nbytes), 32},
		{"aio_offset", unsafe.Offsetof(cb.Offset), 40},
		{"aio_reserved2", unsafe.Offsetof(cb.Reserved2), 48},
		{"aio_flags", unsafe.Offsetof(cb.Flags), 56},
		{"aio_resfd", unsafe.Offsetof(cb.Resfd), 60},
		{"sizeof(struct iocb)", unsafe.Sizeof(cb), 64},
		{"sizeof(struct io_event)", unsafe.Sizeof(IoEvent{}), 32},
	} {
		if f.got != f.want {
			t.Errorf("C19: %s at %d, want %d", f.name, f.got, f.want)
		}
	}
	cb.SetRWFlags(unix.RWF_NOWAIT)
	word := *(*uint64)(unsafe.Pointer(&cb.KeyFlags))
	if word != uint64(unix.RWF_NOWAIT)<<32 { // the upper half on either byte order
		t.Errorf("C19: aio_rw_flags not in the upper half of its word (PADDED): %#x", word)
	}
}

// C19: a read submitted with io_submit completes through the ring read
// in user space, signalling the eventfd named by IOCB_FLAG_RESFD.
func TestSubmitAndTake(t *testing.T) {
	if err := Available(); err != nil {
		t.Skipf("native AIO unavailable here: %v", err)
	}
	ctx, err := Setup(8)
	if err != nil {
		t.Fatal(err)
	}
	defer Destroy(ctx)
	ring := RingOf(ctx)
	if ring == nil {
		t.Fatal("C19: the completion ring's header is not the one Linux documents")
	}
	fd, err := unix.MemfdCreate("linuxaio-test", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	want := []byte("native aio")
	if _, err := unix.Pwrite(fd, want, 100); err != nil {
		t.Fatal(err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(efd)
	buf := make([]byte, len(want))
	cb := &Iocb{Data: 42, Opcode: IOCB_CMD_PREAD, Fildes: uint32(fd), Buf: uint64(uintptr(unsafe.Pointer(&buf[0]))),
		Nbytes: uint64(len(buf)), Offset: 100, Flags: IOCB_FLAG_RESFD, Resfd: uint32(efd)}
	if n, errno := Submit(ctx, []*Iocb{cb}); n != 1 {
		t.Fatalf("io_submit = %d, %v", n, errno)
	}
	var v [8]byte
	if _, err := unix.Read(efd, v[:]); err != nil { // blocks until the completion signals
		t.Fatal(err)
	}
	var evs [4]IoEvent
	if n := ring.Take(evs[:]); n != 1 || evs[0].Data != 42 || evs[0].Res != int64(len(want)) || evs[0].Obj != uint64(uintptr(unsafe.Pointer(cb))) {
		t.Fatalf("C19: took %d events, first %+v; want one with data 42 and res %d", n, evs[0], len(want))
	}
	if !bytes.Equal(buf, want) {
		t.Fatalf("C19: read %q, want %q", buf, want)
	}
	if n := ring.Take(evs[:]); n != 0 {
		t.Fatalf("C19: %d events after the ring was emptied", n)
	}
}
