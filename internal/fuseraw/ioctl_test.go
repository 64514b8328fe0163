package fuseraw

import (
	"bytes"
	"syscall"
	"testing"
	"unsafe"
)

// recordSink is a sink that keeps the answer instead of sending it, with
// its reply area wherever the test puts it.
type recordSink struct {
	area  []byte
	errno syscall.Errno
	reply []byte // the n bytes of the reply area, then data
}

func (s *recordSink) out() []byte { return s.area }

func (s *recordSink) send(r *Request, errno syscall.Errno, n int, data []byte) error {
	s.errno = errno
	s.reply = append(append([]byte(nil), s.area[:n]...), data...)
	return nil
}

// TestIoctlDecodeAndReply checks I3 at the protocol layer: an IOCTL's
// fuse_ioctl_in and input are decoded, a request announcing more input
// than it carries is refused, and ReplyIoctl writes fuse_ioctl_out and
// the output, also when the output is the request's own input sitting in
// the reply area (the io_uring payload holds both).
func TestIoctlDecodeAndReply(t *testing.T) {
	in := IoctlIn{Fh: 7, Cmd: 0xc0046b09, Arg: 0xdead, InSize: 4, OutSize: 4}
	arg0 := unsafe.Slice((*byte)(unsafe.Pointer(&in)), unsafe.Sizeof(in))
	for _, layout := range []string{"uring-overlap", "classic-apart"} {
		t.Run("I3/"+layout, func(t *testing.T) {
			payload := make([]byte, 64)
			copy(payload, []byte{1, 2, 3, 4})
			s := &recordSink{area: payload}
			if layout == "classic-apart" {
				s.area = make([]byte, 64)
			}
			r := &Request{sink: s}
			r.Header.Opcode = FUSE_IOCTL
			if err := r.decode(arg0, payload[:4]); err != nil {
				t.Fatal(err)
			}
			if r.Ioctl != in || !bytes.Equal(r.Data, []byte{1, 2, 3, 4}) {
				t.Fatalf("decoded %+v data %v", r.Ioctl, r.Data)
			}
			if err := r.ReplyIoctl(42, r.Data); err != nil {
				t.Fatal(err)
			}
			var out ioctlOut
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&out)), unsafe.Sizeof(out)), s.reply)
			if s.errno != 0 || out != (ioctlOut{Result: 42}) || !bytes.Equal(s.reply[16:], []byte{1, 2, 3, 4}) {
				t.Errorf("reply errno %v, header %+v, data %v", s.errno, out, s.reply[16:])
			}
			if err := r.ReplyIoctl(0, make([]byte, 64)); err == nil {
				t.Error("an answer larger than the reply area was accepted")
			}
		})
	}
	r := &Request{sink: &recordSink{area: make([]byte, 64)}}
	r.Header.Opcode = FUSE_IOCTL
	if err := r.decode(arg0, []byte{1, 2}); err == nil {
		t.Error("I3: an IOCTL announcing 4 bytes of input with 2 was decoded")
	}
}
