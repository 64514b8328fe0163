package fuseraw

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"github.com/fasync-go/fasync/internal/uring"
	"golang.org/x/sys/unix"
)

// The io_uring transport (fs/fuse/dev_uring.c). Facts it rests on:
//
//   - The kernel has one queue per possible CPU and sends a request to the
//     queue of the CPU the calling thread runs on. Until every queue has
//     registered an entry, requests wait (after INIT with
//     FUSE_OVER_IO_URING they do not fall back to /dev/fuse).
//   - An entry is a header buffer (struct fuse_uring_req_header: in/out
//     header, the opcode's first argument, commit ID and payload size) and
//     a payload buffer of at least max_write, given as two iovecs to
//     FUSE_IO_URING_CMD_REGISTER, an IORING_OP_URING_CMD on the /dev/fuse
//     descriptor with struct fuse_uring_cmd_req (qid) in a 128-byte SQE.
//   - The command completes (res 0) when a request has been copied into
//     the entry; the answer goes into the same buffers and
//     FUSE_IO_URING_CMD_COMMIT_AND_FETCH (commit ID = the request's
//     unique) hands it back and waits for the next request, in one SQE.
//   - The kernel copies a request into the entry from task work of the
//     ring's submitting thread, so each queue is one goroutine locked to
//     its thread, pinned to the queue's CPU, with a SINGLE_ISSUER +
//     DEFER_TASKRUN ring: the work runs when that thread waits in
//     io_uring_enter.
//   - INTERRUPT and FORGET still arrive on /dev/fuse (one classic reader
//     serves them) and notifications are written there.
//
// An answer made from another goroutine (a read that waited for a
// writer) is queued on the entry's queue and the queue's thread woken
// through an eventfd read it keeps in its ring.

const (
	uringLowEnts = 2       // a queue grows when fewer entries than this wait in the kernel
	uringGrowBy  = 4       // entries registered at once when a queue runs low
	efdTag       = 1 << 62 // user_data of the eventfd read
)

// entStride is the memory of one entry: a page for the header and the
// iovecs, then the payload (maxWrite): 132 KiB of address space. Only
// the pages a request or an answer touches become resident: the header
// page, and as much of the payload as the largest WRITE or READ that
// used the entry. A queue has no upper bound on its entries: every
// request the handler keeps (a read waiting for a writer) holds one, and
// a queue left without an entry in the kernel could fetch nothing, not
// even the write that would answer the kept ones. So a queue grows
// whenever fewer than uringLowEnts entries wait in the kernel, and its
// size follows the largest crowd of kept requests it has seen (80
// waiting readers on one CPU: about 11 MiB mapped, a page or so of it
// resident per entry).
// Entries are not given back until the file system is unmounted.
const entStride = 4096 + maxWrite

type uringServer struct {
	queues []*uqueue
	wg     sync.WaitGroup
}

// A uqueue is one CPU's queue: a ring, its entries, and answers waiting
// to be committed.
type uqueue struct {
	srv  *Server
	qid  int
	ring *uring.Ring
	efd  int
	ents []*ringEnt
	mems [][]byte // mmap'd entry memory
	efdv *[8]byte // the eventfd read's buffer, in mmap'd memory

	inKernel int // entries the kernel holds (waiting for a request); queue thread only

	mu       sync.Mutex
	commits  []*ringEnt // answered entries to commit
	spare    []*ringEnt
	waiting  bool // the queue thread waits (or is about to) in io_uring_enter
	stopping bool
	closed   bool // ring closed: answers fail (the memory goes in unmap)
}

// A ringEnt is one registered entry and the Request read into it.
type ringEnt struct {
	req     Request
	q       *uqueue
	idx     uint64
	hdr     *uringReqHeader
	iov     *[2]unix.Iovec
	payload []byte
}

var efdOne = [8]byte{1}

// startURing starts one queue per possible CPU, each registering
// entries entries, and waits until all have registered.
func startURing(s *Server, entries int) (*uringServer, error) {
	ncpu, err := possibleCPUs()
	if err != nil {
		return nil, err
	}
	u := &uringServer{}
	errs := make(chan error, ncpu)
	for qid := 0; qid < ncpu; qid++ {
		q := &uqueue{srv: s, qid: qid, efd: -1}
		u.queues = append(u.queues, q)
		u.wg.Add(1)
		go q.run(entries, errs, &u.wg)
	}
	var first error
	for range ncpu {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		u.stop()
		u.unmap() // nobody can hold a request of a mount that failed
		return nil, first
	}
	return u, nil
}

// stop ends every queue's goroutine and waits for them.
func (u *uringServer) stop() {
	for _, q := range u.queues {
		q.mu.Lock()
		q.stopping = true
		q.wake()
		q.mu.Unlock()
	}
	u.wg.Wait()
}

// wake makes the queue thread leave io_uring_enter; q.mu is held.
func (q *uqueue) wake() {
	if q.waiting && q.efd >= 0 {
		q.waiting = false
		unix.Write(q.efd, efdOne[:])
	}
}

// run is the queue's goroutine.
func (q *uqueue) run(entries int, started chan<- error, wg *sync.WaitGroup) {
	defer wg.Done()
	runtime.LockOSThread() // SINGLE_ISSUER, and the kernel's task work runs on this thread
	defer runtime.UnlockOSThread()
	err := q.setup(entries)
	started <- err
	if err == nil {
		q.loop()
	}
	q.teardown()
}

func (q *uqueue) setup(entries int) error {
	var cpus unix.CPUSet
	cpus.Set(q.qid)
	unix.SchedSetaffinity(0, &cpus) // best effort: a queue works from any CPU
	ring, err := uring.Setup(uring.Config{Entries: 128, CQEntries: 256,
		Flags: uring.IORING_SETUP_SQE128 | uring.IORING_SETUP_SINGLE_ISSUER |
			uring.IORING_SETUP_DEFER_TASKRUN | uring.IORING_SETUP_NO_SQARRAY})
	if err != nil {
		return fmt.Errorf("fuseraw: queue %d: %w", q.qid, err)
	}
	q.ring = ring
	if q.efd, err = unix.Eventfd(0, unix.EFD_CLOEXEC); err != nil {
		return fmt.Errorf("fuseraw: queue %d: eventfd: %w", q.qid, err)
	}
	if err := q.addEntries(entries); err != nil {
		return err
	}
	q.armEventfd()
	if _, err := q.ring.SubmitAndWait(0); err != nil {
		return fmt.Errorf("fuseraw: queue %d: submitting registrations: %w", q.qid, err)
	}
	// A refused registration completes at once; accepted ones complete
	// only when a request arrives.
	var cqes [8]uring.CQE
	for n := q.ring.Reap(cqes[:]); n > 0; n = q.ring.Reap(cqes[:]) {
		for _, c := range cqes[:n] {
			if c.Res < 0 {
				return fmt.Errorf("fuseraw: queue %d: FUSE_IO_URING_CMD_REGISTER: %w (see dmesg)", q.qid, syscall.Errno(-c.Res))
			}
			q.complete(c) // a request already arrived
		}
	}
	return nil
}

// addEntries maps n entries and queues their registration SQEs.
func (q *uqueue) addEntries(n int) error {
	mem, err := unix.Mmap(-1, 0, n*entStride, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return fmt.Errorf("fuseraw: queue %d: mapping %d entries: %w", q.qid, n, err)
	}
	q.mems = append(q.mems, mem)
	if q.efdv == nil {
		q.efdv = (*[8]byte)(mem[1024:1032]) // first entry's header page has room
	}
	for i := 0; i < n; i++ {
		m := mem[i*entStride : (i+1)*entStride]
		e := &ringEnt{q: q, idx: uint64(len(q.ents)),
			hdr:     (*uringReqHeader)(unsafe.Pointer(&m[0])),
			iov:     (*[2]unix.Iovec)(unsafe.Pointer(&m[512])),
			payload: m[4096:]}
		e.req.sink, e.req.srv = e, q.srv
		e.iov[0] = unix.Iovec{Base: &m[0], Len: uint64(unsafe.Sizeof(uringReqHeader{}))}
		e.iov[1] = unix.Iovec{Base: &m[4096], Len: maxWrite}
		q.ents = append(q.ents, e)
		s := q.nextSQE()
		s.PrepURingCmd(q.srv.fd, FUSE_IO_URING_CMD_REGISTER, uint64(uintptr(unsafe.Pointer(&e.iov[0]))), 2, e.idx)
		(*uringCmdReq)(unsafe.Pointer(s.Cmd())).Qid = uint16(q.qid)
		q.inKernel++
	}
	return nil
}

// nextSQE returns a free SQE, submitting what is queued when the SQ is full.
func (q *uqueue) nextSQE() *uring.SQE {
	for {
		if s := q.ring.NextSQE(); s != nil {
			return s
		}
		q.ring.Submit()
	}
}

func (q *uqueue) armEventfd() {
	q.nextSQE().PrepRead(q.efd, q.efdv[:], 0, efdTag)
}

// loop commits answers, waits for completions and handles them.
func (q *uqueue) loop() {
	var cqes [32]uring.CQE
	for {
		q.mu.Lock()
		batch := q.commits
		q.commits = q.spare[:0]
		stop := q.stopping
		wait := len(batch) == 0 && !stop
		q.waiting = wait
		q.mu.Unlock()
		if stop {
			return
		}
		for _, e := range batch {
			s := q.nextSQE()
			s.PrepURingCmd(q.srv.fd, FUSE_IO_URING_CMD_COMMIT_AND_FETCH, 0, 0, e.idx)
			c := (*uringCmdReq)(unsafe.Pointer(s.Cmd()))
			c.CommitID, c.Qid = e.req.Header.Unique, uint16(q.qid)
			q.inKernel++
		}
		clear(batch)
		q.spare = batch
		if q.inKernel < uringLowEnts {
			if err := q.addEntries(uringGrowBy); err != nil {
				q.srv.logf("%v", err)
			}
		}
		minComplete := uint32(0)
		if wait && q.ring.Ready() == 0 {
			minComplete = 1
		}
		_, err := q.ring.Enter(q.ring.Flush(), minComplete, uring.IORING_ENTER_GETEVENTS)
		if wait {
			q.mu.Lock()
			q.waiting = false
			q.mu.Unlock()
		}
		if err != nil {
			q.srv.logf("fuseraw: queue %d: %v", q.qid, err)
		}
		for n := q.ring.Reap(cqes[:]); n > 0; n = q.ring.Reap(cqes[:]) {
			for _, c := range cqes[:n] {
				q.complete(c)
			}
		}
	}
}

// complete handles one completion: a request arrived in an entry, an
// entry ended, or the eventfd fired.
func (q *uqueue) complete(c uring.CQE) {
	if c.UserData == efdTag {
		q.armEventfd()
		return
	}
	e := q.ents[c.UserData]
	q.inKernel--
	if c.Res < 0 {
		// ENOTCONN: the connection ended; others are logged.
		if c.Res != -int32(unix.ENOTCONN) && c.Res != -int32(unix.ECANCELED) {
			q.srv.logf("fuseraw: queue %d entry %d: %v", q.qid, e.idx, syscall.Errno(-c.Res))
		}
		return
	}
	q.srv.ringRequests.Add(1)
	r := &e.req
	load(&r.Header, e.hdr.InOut[:])
	size, _ := arg0Size(r.Header.Opcode)
	size = min(size, len(e.hdr.OpIn))
	psz := min(int(e.hdr.RingEntInOut.PayloadSz), len(e.payload))
	q.srv.dispatch(r, e.hdr.OpIn[:size], e.payload[:psz])
}

// teardown closes the ring; later answers fail. The entries stay
// mapped: requests the handler kept still point into them (a read's
// DataBuf, a write's Data) until the handler is done with them, which
// Server.Close waits for its caller to say (unmap).
func (q *uqueue) teardown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	if q.ring != nil {
		q.ring.Close()
	}
	if q.efd >= 0 {
		unix.Close(q.efd)
		q.efd = -1
	}
}

// unmap releases every queue's entry memory once the queues have
// stopped and the handler has let go of its requests.
func (u *uringServer) unmap() {
	for _, q := range u.queues {
		q.mu.Lock()
		for _, m := range q.mems {
			unix.Munmap(m)
		}
		q.mems = nil
		q.mu.Unlock()
	}
}

func (e *ringEnt) out() []byte { return e.payload }

// send writes the answer into the entry and queues its commit.
func (e *ringEnt) send(r *Request, errno syscall.Errno, n int, data []byte) error {
	q := e.q
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errClosed
	}
	h := (*outHeader)(unsafe.Pointer(&e.hdr.InOut[0]))
	if errno != 0 {
		*h = outHeader{Len: uint32(outHeaderSize), Error: -int32(errno), Unique: r.Header.Unique}
		e.hdr.RingEntInOut.PayloadSz = 0
	} else {
		if len(data) > 0 && unsafe.SliceData(data) != unsafe.SliceData(e.payload[n:]) {
			copy(e.payload[n:], data)
		}
		size := n + len(data)
		*h = outHeader{Len: uint32(outHeaderSize + size), Unique: r.Header.Unique}
		e.hdr.RingEntInOut.PayloadSz = uint32(size)
	}
	q.commits = append(q.commits, e)
	q.wake()
	return nil
}

// possibleCPUs is the number of CPUs the kernel may ever use (the
// kernel's queue count): /sys/devices/system/cpu/possible, "0-N".
func possibleCPUs() (int, error) {
	b, err := readSmallFile("/sys/devices/system/cpu/possible")
	if err != nil {
		return 0, err
	}
	var lo, hi int
	if n, _ := fmt.Sscanf(string(b), "%d-%d", &lo, &hi); n == 2 {
		return hi + 1, nil
	}
	if n, _ := fmt.Sscanf(string(b), "%d", &lo); n == 1 {
		return lo + 1, nil
	}
	return 0, fmt.Errorf("fuseraw: cannot parse possible CPUs %q: %w", b, syscall.EINVAL)
}
