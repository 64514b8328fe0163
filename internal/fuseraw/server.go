package fuseraw

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Transport says how requests travel between the kernel and the server.
type Transport int

const (
	// Classic: goroutines read(2) requests from /dev/fuse and write(2)
	// or writev(2) the answers.
	Classic Transport = iota
	// URing: FUSE over io_uring (Linux 6.14+, fuse.enable_uring=Y): one
	// ring per CPU; an answer and the fetch of the next request are one
	// IORING_OP_URING_CMD. INTERRUPT, FORGET and poll notifications still
	// use /dev/fuse.
	URing
)

func (t Transport) String() string {
	if t == URing {
		return "uring"
	}
	return "classic"
}

// Config says how to mount and serve.
type Config struct {
	MountOptions
	Transport Transport
	// Readers is the number of goroutines reading /dev/fuse on the
	// classic transport (default 2; handlers never block, so a few do).
	Readers int
	// RingEntries is the number of entries each io_uring queue starts
	// with (default 4). A request the handler keeps (a blocked read)
	// holds its entry; the queue registers more, without limit, when it
	// runs low (132 KiB of address space each; see entStride).
	RingEntries int
	// Logf, if set, receives problems that have nobody to return to (a
	// ring entry failing).
	Logf func(format string, args ...any)
}

// maxWrite is the largest WRITE (and READ) the kernel sends: 32 pages.
const maxWrite = 128 << 10

// maxPages is max_write in pages, announced with FUSE_MAX_PAGES.
const maxPages = maxWrite / 4096

// bufSize is a classic reader's buffer: a WRITE of maxWrite plus its
// header and arguments (the kernel refuses a read(2) shorter than that),
// rounded up to a page.
const bufSize = maxWrite + 4096

// A Server is a mounted file system being served.
type Server struct {
	Dir string

	logf_ func(format string, args ...any)

	h         Handler
	fd        int
	monitor   *monitor     // fusermount3 watching for our death (AutoUnmount), or nil
	fdMu      sync.RWMutex // read-held while using fd; Close write-holds it to close fd
	connID    uint32
	transport Transport
	minor     uint32 // negotiated protocol minor
	readers   sync.WaitGroup
	done      chan struct{} // closed when serving has ended
	endOnce   sync.Once
	err       error

	notifyMu  sync.Mutex
	notifyBuf [24]byte

	bufPool sync.Pool // *classicBuf, for readers whose buffer a deferred request kept

	devRequests  atomic.Uint64 // requests read from /dev/fuse (INIT excluded)
	ringRequests atomic.Uint64 // requests that arrived in io_uring entries
	ring         *uringServer
}

// URingAvailable reports nil when the kernel will offer FUSE over
// io_uring to a new mount, else an error naming what is missing.
func URingAvailable() error {
	b, err := os.ReadFile(enableURingParam)
	if err != nil {
		return fmt.Errorf("fuseraw: kernel without FUSE over io_uring (CONFIG_FUSE_IO_URING, Linux 6.14+): %w", syscall.EOPNOTSUPP)
	}
	if strings.TrimSpace(string(b)) != "Y" {
		return fmt.Errorf("fuseraw: FUSE over io_uring is off (echo Y > /sys/module/fuse/parameters/enable_uring as root): %w", syscall.EOPNOTSUPP)
	}
	return nil
}

// Mount mounts a file system served by h on the directory dir, answers
// the kernel's INIT, and serves on goroutines of its own until the file
// system is unmounted (Unmount, fusermount3 -u, umount) or aborted.
// With Transport URing, Mount fails (and unmounts) unless the kernel
// offers FUSE over io_uring.
func Mount(dir string, h Handler, cfg Config) (*Server, error) {
	if h == nil {
		return nil, fmt.Errorf("fuseraw: Mount with a nil handler: %w", syscall.EINVAL)
	}
	if cfg.Transport == URing {
		if err := URingAvailable(); err != nil {
			return nil, err
		}
	}
	if cfg.Readers <= 0 {
		cfg.Readers = 2
	}
	if cfg.RingEntries <= 0 {
		cfg.RingEntries = 4
	}
	fd, mon, err := mountFD(dir, cfg.MountOptions)
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, h: h, fd: fd, monitor: mon, transport: cfg.Transport, done: make(chan struct{}), logf_: cfg.Logf}
	s.connID, _ = connID(dir)
	s.bufPool.New = func() any { return s.newClassicBuf() }
	if err := s.init(cfg.Transport == URing); err != nil {
		s.fail(err)
		return nil, err
	}
	if cfg.Transport == URing {
		if s.ring, err = startURing(s, cfg.RingEntries); err != nil {
			s.fail(err)
			return nil, err
		}
		cfg.Readers = 1 // /dev/fuse carries only INTERRUPT and FORGET now
	}
	for i := 0; i < cfg.Readers; i++ {
		s.readers.Add(1)
		go s.reader()
	}
	go func() {
		s.readers.Wait()
		if s.ring != nil {
			s.ring.stop()
		}
		s.end(nil)
	}()
	return s, nil
}

// fail undoes a Mount that went wrong after mounting.
func (s *Server) fail(err error) {
	if s.connID != 0 {
		abortConn(s.connID)
	}
	Unmount(s.Dir, true)
	unix.Close(s.fd)
	s.monitor.stop()
}

// init reads the kernel's INIT request and answers it: the kernel's minor
// capped at ours, max_write 128 KiB in 32 pages, FUSE_INIT_EXT so that
// flags2 counts, and FUSE_OVER_IO_URING when wanted and offered.
func (s *Server) init(wantURing bool) error {
	buf := make([]byte, bufSize)
	n, err := readDev(s.fd, buf)
	if err != nil {
		return fmt.Errorf("fuseraw: reading INIT: %w", err)
	}
	var h InHeader
	load(&h, buf[:n])
	if n < int(unsafe.Sizeof(h)) || h.Opcode != FUSE_INIT {
		return fmt.Errorf("fuseraw: first request is opcode %d, not INIT: %w", h.Opcode, syscall.EPROTO)
	}
	var in initIn
	load(&in, buf[unsafe.Sizeof(h):n])
	if in.Major != FUSE_KERNEL_VERSION {
		return fmt.Errorf("fuseraw: kernel speaks FUSE %d.%d, this package %d: %w", in.Major, in.Minor, FUSE_KERNEL_VERSION, syscall.EPROTO)
	}
	offered := uint64(in.Flags)
	if in.Flags&FUSE_INIT_EXT != 0 {
		offered |= uint64(in.Flags2) << 32
	}
	want := uint64(FUSE_BIG_WRITES | FUSE_MAX_PAGES | FUSE_INIT_EXT | FUSE_PARALLEL_DIROPS)
	if wantURing {
		if offered&FUSE_OVER_IO_URING == 0 {
			return fmt.Errorf("fuseraw: kernel FUSE %d.%d did not offer FUSE_OVER_IO_URING (flags %#x): %w", in.Major, in.Minor, offered, syscall.EOPNOTSUPP)
		}
		want |= FUSE_OVER_IO_URING
	}
	flags := want & offered
	s.minor = min(in.Minor, FUSE_KERNEL_MINOR_VERSION)
	out := initOut{
		Major: FUSE_KERNEL_VERSION, Minor: s.minor, MaxReadahead: in.MaxReadahead,
		Flags: uint32(flags), Flags2: uint32(flags >> 32),
		MaxBackground: 16, CongestionThreshold: 12,
		MaxWrite: maxWrite, TimeGran: 1, MaxPages: maxPages,
	}
	const hsz = int(unsafe.Sizeof(outHeader{}))
	osz := int(unsafe.Sizeof(out))
	reply := make([]byte, hsz+osz)
	*(*outHeader)(unsafe.Pointer(&reply[0])) = outHeader{Len: uint32(hsz + osz), Unique: h.Unique}
	copy(reply[hsz:], unsafe.Slice((*byte)(unsafe.Pointer(&out)), osz))
	if _, err := unix.Write(s.fd, reply); err != nil {
		return fmt.Errorf("fuseraw: answering INIT: %w", err)
	}
	return nil
}

// readDev reads one request from /dev/fuse, retrying EINTR, and ENOENT
// (a request interrupted before it was read).
func readDev(fd int, buf []byte) (int, error) {
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EINTR || err == unix.ENOENT || err == unix.EAGAIN {
			continue
		}
		return n, err
	}
}

// dispatch decodes a request whose header is set, answers what the
// package handles itself, and hands the rest to the handler.
func (s *Server) dispatch(r *Request, arg0, rest []byte) {
	op := r.Header.Opcode
	if op == FUSE_DESTROY {
		r.ReplyErr(0)
		return
	}
	size, known := arg0Size(op)
	if !known || op == FUSE_INIT {
		r.ReplyErr(syscall.ENOSYS)
		return
	}
	if len(arg0) < size {
		if !noReply(op) {
			r.ReplyErr(syscall.EINVAL)
		}
		return
	}
	if err := r.decode(arg0[:size], rest); err != nil {
		if !noReply(op) {
			r.ReplyErr(syscall.EINVAL)
		}
		return
	}
	s.h.Handle(r)
}

// NotifyPoll wakes the pollers waiting on the kernel handle kh (from a
// POLL request with FUSE_POLL_SCHEDULE_NOTIFY): the kernel asks again.
func (s *Server) NotifyPoll(kh uint64) error {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	b := s.notifyBuf[:]
	*(*outHeader)(unsafe.Pointer(&b[0])) = outHeader{Len: uint32(len(b)), Error: FUSE_NOTIFY_POLL}
	*(*uint64)(unsafe.Pointer(&b[16])) = kh
	s.fdMu.RLock()
	defer s.fdMu.RUnlock()
	if s.fd < 0 {
		return fmt.Errorf("fuseraw: NotifyPoll after Close: %w", syscall.ENOTCONN)
	}
	_, err := unix.Write(s.fd, b)
	if err == unix.ENOENT { // the kernel no longer waits on kh
		return nil
	}
	return err
}

// Stats counts the requests served so far by the way they arrived.
type Stats struct {
	Dev  uint64 // read(2) from /dev/fuse
	Ring uint64 // through io_uring entries
}

// Stats reports the requests served so far.
func (s *Server) Stats() Stats {
	return Stats{Dev: s.devRequests.Load(), Ring: s.ringRequests.Load()}
}

// Transport reports the transport in use.
func (s *Server) Transport() Transport { return s.transport }

// Minor reports the negotiated protocol minor version (7.Minor).
func (s *Server) Minor() uint32 { return s.minor }

// Done is closed when serving has ended (the file system was unmounted
// or the connection aborted).
func (s *Server) Done() <-chan struct{} { return s.done }

// end records the end of serving.
func (s *Server) end(err error) {
	s.endOnce.Do(func() {
		s.err = err
		close(s.done)
	})
}

// Unmount unmounts the file system (lazily with lazy: it detaches now
// and the connection ends when open files close) and waits until serving
// has ended, then releases the connection.
func (s *Server) Unmount(lazy bool) error {
	if err := Unmount(s.Dir, lazy); err != nil {
		return err
	}
	<-s.done
	return s.Close()
}

// Abort ends the connection at once (/sys/fs/fuse/connections/N/abort):
// pending and later requests fail with ECONNABORTED/ENOTCONN. The mount
// stays until unmounted.
func (s *Server) Abort() error {
	if s.connID == 0 {
		return fmt.Errorf("fuseraw: connection number unknown: %w", syscall.ENOENT)
	}
	return abortConn(s.connID)
}

// Close releases the /dev/fuse descriptor and the io_uring entries once
// serving has ended (it waits for that); answers made afterwards fail.
// Requests the handler kept stay valid until Close, answered or not: the
// Data of a write and the DataBuf of a read lie in the entries, so a
// handler is done with every kept request (cancelled its waiting calls
// and waited for them) before it calls Close. With AutoUnmount, Close
// then lets the fusermount3 monitor go, which detaches a mount that is
// still there (after Abort).
func (s *Server) Close() error {
	<-s.done
	s.fdMu.Lock()
	defer s.fdMu.Unlock()
	if s.fd < 0 {
		return nil
	}
	if s.ring != nil {
		s.ring.unmap()
	}
	err := unix.Close(s.fd)
	s.fd = -1
	s.monitor.stop()
	return err
}

// Err reports why serving ended: nil after an unmount.
func (s *Server) Err() error {
	<-s.done
	return s.err
}

// errClosed reports an answer that came after the connection ended.
var errClosed = errors.New("fuseraw: connection closed")

// logf reports a problem the server cannot return to anyone (an answer's
// write failing is returned to the handler instead).
func (s *Server) logf(format string, args ...any) {
	if s.logf_ != nil {
		s.logf_(format, args...)
	}
}

func readSmallFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return []byte(strings.TrimSpace(string(b))), nil
}
