package fuseraw

import (
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The classic transport: a reader goroutine read(2)s a request from
// /dev/fuse into its buffer, calls the handler, and answers with one
// write(2) of the buffer it read into (header, out arguments and data put
// there through DataBuf), or writev(2) when the data lies elsewhere.
//
// A request the handler keeps owns its buffer until answered: the reader
// takes another buffer from the pool and the answer returns the kept one.
// The phase word decides who recycles: the reader moves it from handling
// to deferred after Handle returns, an answer from handling (or deferred)
// to answered; whichever comes second sees the other's mark.

const (
	phaseHandling = iota
	phaseDeferred
	phaseAnswered
)

const outHeaderSize = int(unsafe.Sizeof(outHeader{}))

// A classicBuf is a reader's buffer and the Request read into it.
type classicBuf struct {
	req Request
	s   *Server
	buf []byte
	iov [2]unix.Iovec
}

func (s *Server) newClassicBuf() *classicBuf {
	b := &classicBuf{s: s, buf: make([]byte, bufSize)}
	b.req.sink, b.req.srv = b, s
	return b
}

// reader serves requests from /dev/fuse until the connection ends.
func (s *Server) reader() {
	defer s.readers.Done()
	b := s.bufPool.Get().(*classicBuf)
	hsz := int(unsafe.Sizeof(InHeader{}))
	for {
		n, err := readDev(s.fd, b.buf)
		if err != nil {
			return // ENODEV: unmounted; ECONNABORTED: aborted
		}
		if n < hsz {
			continue
		}
		s.devRequests.Add(1)
		r := &b.req
		load(&r.Header, b.buf[:hsz])
		r.phase.Store(phaseHandling)
		body := b.buf[hsz:n]
		size, _ := arg0Size(r.Header.Opcode)
		if size > len(body) {
			size = len(body)
		}
		s.dispatch(r, body[:size], body[size:])
		if noReply(r.Header.Opcode) {
			continue // answered during Handle (INTERRUPT with EAGAIN) or not at all
		}
		if r.phase.CompareAndSwap(phaseHandling, phaseDeferred) {
			b = s.bufPool.Get().(*classicBuf) // the handler keeps this one
		}
	}
}

func (b *classicBuf) out() []byte { return b.buf[outHeaderSize:] }

// send writes the answer and then settles who owns the buffer.
func (b *classicBuf) send(r *Request, errno syscall.Errno, n int, data []byte) error {
	err := b.write(r, errno, n, data)
	if !r.phase.CompareAndSwap(phaseHandling, phaseAnswered) {
		// Answered after Handle returned: the reader moved on.
		r.phase.Store(phaseAnswered)
		b.s.bufPool.Put(b)
	}
	return err
}

func (b *classicBuf) write(r *Request, errno syscall.Errno, n int, data []byte) error {
	total := outHeaderSize + n
	contiguous := len(data) == 0 ||
		unsafe.SliceData(data) == unsafe.SliceData(b.buf[total:])
	if errno != 0 {
		total, contiguous = outHeaderSize, true
	} else if contiguous {
		total += len(data)
	}
	h := (*outHeader)(unsafe.Pointer(&b.buf[0]))
	*h = outHeader{Len: uint32(total), Error: -int32(errno), Unique: r.Header.Unique}
	if !contiguous {
		h.Len += uint32(len(data))
	}
	s := b.s
	s.fdMu.RLock()
	defer s.fdMu.RUnlock()
	if s.fd < 0 {
		return errClosed
	}
	var errno2 syscall.Errno
	if contiguous {
		_, _, errno2 = unix.Syscall(unix.SYS_WRITE, uintptr(s.fd), uintptr(unsafe.Pointer(&b.buf[0])), uintptr(total))
	} else {
		b.iov[0].Base, b.iov[0].Len = &b.buf[0], uint64(total)
		b.iov[1].Base, b.iov[1].Len = &data[0], uint64(len(data))
		_, _, errno2 = unix.Syscall(unix.SYS_WRITEV, uintptr(s.fd), uintptr(unsafe.Pointer(&b.iov[0])), 2)
		b.iov[1].Base = nil
		runtime.KeepAlive(data)
	}
	if errno2 != 0 {
		return errno2 // ENOENT: the request was interrupted and is gone
	}
	return nil
}
