package fuseraw

import (
	"strconv"
	"sync"
	"syscall"
)

// pipeFS is the layer's own model file system (its tests and benchmarks): one
// directory holding the files p0..pN-1, each a pipe-like byte stream
// backed by an in-process bounded ring. Reads of an empty stream and
// writes to a full one wait (their answer is deferred until the other
// side makes progress) unless the request carries O_NONBLOCK, which gives
// EAGAIN; an INTERRUPT of a waiting request answers it with EINTR; POLL
// reports POLLIN/POLLOUT and wakes pollers through FUSE_NOTIFY_POLL.
// A read returns what is there (up to its size), a write stores what
// fits (short writes are normal), as for scullpipe (SPEC B3, B4, B7).
type pipeFS struct {
	pipes []*pipe

	mu      sync.Mutex
	pending map[uint64]bool // INTERRUPTs that found no waiting request (yet)
}

// A pipe is one stream file.
type pipe struct {
	mu      sync.Mutex
	buf     []byte
	head, n int        // data is buf[head:head+n], wrapping
	readers []*Request // waiting READs, oldest first
	writers []*Request // waiting WRITEs, oldest first
	pollers []uint64   // kernel poll handles to wake on any change
}

// Poll events (poll(2)).
const (
	pollIn  = 0x001 | 0x040 // POLLIN|POLLRDNORM
	pollOut = 0x004 | 0x100 // POLLOUT|POLLWRNORM
)

const attrValid = 1 // seconds the kernel may cache attributes and names

// newPipeFS makes a pipeFS of n files, each holding up to size bytes.
func newPipeFS(n, size int) *pipeFS {
	fs := &pipeFS{pending: map[uint64]bool{}}
	for i := 0; i < n; i++ {
		fs.pipes = append(fs.pipes, &pipe{buf: make([]byte, size)})
	}
	return fs
}

// pipeOf maps a node ID to its pipe (nodes 2..N+1), or nil.
func (fs *pipeFS) pipeOf(node uint64) *pipe {
	if node < 2 || node-2 >= uint64(len(fs.pipes)) {
		return nil
	}
	return fs.pipes[node-2]
}

func (fs *pipeFS) attr(node uint64, a *Attr) bool {
	*a = Attr{Ino: node, Blksize: 4096}
	switch {
	case node == FUSE_ROOT_ID:
		a.Mode, a.Nlink = syscall.S_IFDIR|0o755, 2
	case fs.pipeOf(node) != nil:
		// A regular file: a FIFO or device type would make the kernel
		// handle it itself and never ask the server.
		a.Mode, a.Nlink = syscall.S_IFREG|0o666, 1
	default:
		return false
	}
	return true
}

// Handle serves one request (Handler).
func (fs *pipeFS) Handle(r *Request) {
	node := r.Header.NodeID
	switch r.Header.Opcode {
	case FUSE_LOOKUP:
		fs.lookup(r)
	case FUSE_GETATTR, FUSE_SETATTR:
		fs.getSetattr(r)
	case FUSE_OPEN:
		if fs.pipeOf(node) == nil {
			r.ReplyErr(syscall.EISDIR)
			return
		}
		r.ReplyOpen(0, FOPEN_DIRECT_IO|FOPEN_NONSEEKABLE|FOPEN_STREAM)
	case FUSE_OPENDIR:
		if node != FUSE_ROOT_ID {
			r.ReplyErr(syscall.ENOTDIR)
			return
		}
		r.ReplyOpen(0, 0)
	case FUSE_READDIR:
		fs.readdir(r)
	case FUSE_READ:
		if p := fs.pipeOf(node); p != nil {
			fs.read(p, r)
		} else {
			r.ReplyErr(syscall.EISDIR)
		}
	case FUSE_WRITE:
		if p := fs.pipeOf(node); p != nil {
			fs.write(p, r)
		} else {
			r.ReplyErr(syscall.EISDIR)
		}
	case FUSE_POLL:
		if p := fs.pipeOf(node); p != nil {
			p.poll(r)
		} else {
			r.ReplyErr(syscall.ENOSYS)
		}
	case FUSE_RELEASE, FUSE_RELEASEDIR, FUSE_FLUSH:
		r.ReplyErr(0)
	case FUSE_STATFS:
		r.ReplyStatfs(&Kstatfs{Bsize: 4096, Frsize: 4096, Namelen: 255, Files: uint64(len(fs.pipes)) + 1})
	case FUSE_INTERRUPT:
		fs.interrupt(r.Interrupt.Unique)
	case FUSE_FORGET, FUSE_BATCH_FORGET:
		// Node IDs are fixed: nothing to forget.
	default:
		r.ReplyErr(syscall.ENOSYS)
	}
}

func (fs *pipeFS) lookup(r *Request) {
	name := string(r.Name) // short; LOOKUP is not on the data path
	i, err := strconv.Atoi(name[min(1, len(name)):])
	if r.Header.NodeID != FUSE_ROOT_ID || len(name) < 2 || name[0] != 'p' ||
		err != nil || i < 0 || i >= len(fs.pipes) || strconv.Itoa(i) != name[1:] {
		r.ReplyErr(syscall.ENOENT)
		return
	}
	e := EntryOut{NodeID: uint64(i) + 2, EntryValid: attrValid, AttrValid: attrValid}
	fs.attr(e.NodeID, &e.Attr)
	r.ReplyEntry(&e)
}

// setattrOK are the SETATTR bits accepted as no-ops: truncation (shell
// ">" sends it) and times (touch).
const setattrOK = FATTR_SIZE | FATTR_FH | FATTR_LOCKOWNER | FATTR_ATIME | FATTR_MTIME | FATTR_CTIME |
	1<<7 | 1<<8 // FATTR_ATIME_NOW, FATTR_MTIME_NOW

func (fs *pipeFS) getSetattr(r *Request) {
	var out AttrOut
	if !fs.attr(r.Header.NodeID, &out.Attr) {
		r.ReplyErr(syscall.ENOENT)
		return
	}
	if r.Header.Opcode == FUSE_SETATTR && r.Setattr.Valid&^setattrOK != 0 {
		r.ReplyErr(syscall.EPERM)
		return
	}
	out.AttrValid = attrValid
	r.ReplyAttr(&out)
}

// readdir lists ".", ".." and the files; an entry's offset is its index
// plus one.
func (fs *pipeFS) readdir(r *Request) {
	buf := r.DataBuf(int(r.Read.Size))[:0]
	for i := int(r.Read.Offset); i < len(fs.pipes)+2; i++ {
		name, ino, typ := "", uint64(FUSE_ROOT_ID), uint32(DT_DIR)
		switch i {
		case 0:
			name = "."
		case 1:
			name = ".."
		default:
			name, ino, typ = "p"+strconv.Itoa(i-2), uint64(i), DT_REG
		}
		var ok bool
		if buf, ok = AppendDirent(buf, ino, uint64(i+1), typ, name); !ok {
			break
		}
	}
	r.ReplyData(buf)
}

func nonblock(flags uint32) bool { return flags&syscall.O_NONBLOCK != 0 }

func (fs *pipeFS) read(p *pipe, r *Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		if nonblock(r.Read.Flags) {
			r.ReplyErr(syscall.EAGAIN)
			return
		}
		p.readers = append(p.readers, r)
		fs.checkPending(p, r.Header.Unique)
		return
	}
	p.answerRead(r)
	p.progress(r.srv)
}

func (fs *pipeFS) write(p *pipe, r *Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(r.Data) > 0 && p.n == len(p.buf) {
		if nonblock(r.Write.Flags) {
			r.ReplyErr(syscall.EAGAIN)
			return
		}
		p.writers = append(p.writers, r)
		fs.checkPending(p, r.Header.Unique)
		return
	}
	p.answerWrite(r)
	p.progress(r.srv)
}

// answerRead moves up to the READ's size from the ring into its answer.
func (p *pipe) answerRead(r *Request) {
	b := r.DataBuf(min(int(r.Read.Size), p.n))
	m := copy(b, p.buf[p.head:min(p.head+len(b), len(p.buf))])
	m += copy(b[m:], p.buf[:len(b)-m])
	p.head = (p.head + m) % len(p.buf)
	p.n -= m
	r.ReplyData(b[:m])
}

// answerWrite moves what fits of the WRITE's data into the ring.
func (p *pipe) answerWrite(r *Request) {
	tail := (p.head + p.n) % len(p.buf)
	d := r.Data[:min(len(r.Data), len(p.buf)-p.n)]
	m := copy(p.buf[tail:], d)
	m += copy(p.buf, d[m:])
	p.n += m
	r.ReplyWrite(uint32(m))
}

// progress answers waiting readers and writers while the ring allows,
// and wakes pollers once anything changed. p.mu is held.
func (p *pipe) progress(srv *Server) {
	for {
		switch {
		case p.n > 0 && len(p.readers) > 0:
			r := p.readers[0]
			p.readers = pop(p.readers)
			p.answerRead(r)
		case p.n < len(p.buf) && len(p.writers) > 0:
			w := p.writers[0]
			p.writers = pop(p.writers)
			p.answerWrite(w)
		default:
			for _, kh := range p.pollers {
				srv.NotifyPoll(kh)
			}
			p.pollers = p.pollers[:0]
			return
		}
	}
}

func pop(q []*Request) []*Request {
	n := copy(q, q[1:])
	q[n] = nil
	return q[:n]
}

func (p *pipe) poll(r *Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var revents uint32
	if p.n > 0 {
		revents |= pollIn
	}
	if p.n < len(p.buf) {
		revents |= pollOut
	}
	if r.Poll.Flags&FUSE_POLL_SCHEDULE_NOTIFY != 0 && !containsKh(p.pollers, r.Poll.Kh) {
		p.pollers = append(p.pollers, r.Poll.Kh)
	}
	r.ReplyPoll(revents & r.Poll.Events)
}

func containsKh(khs []uint64, kh uint64) bool {
	for _, k := range khs {
		if k == kh {
			return true
		}
	}
	return false
}

// interrupt answers the waiting request unique with EINTR. An INTERRUPT
// can overtake its request (on io_uring they travel different ways), so
// it is recorded first and every request checks the record after it
// starts waiting: one of the two sides sees the other.
func (fs *pipeFS) interrupt(unique uint64) {
	fs.mu.Lock()
	if len(fs.pending) > 1024 { // stale: requests that finished before their INTERRUPT
		clear(fs.pending)
	}
	fs.pending[unique] = true
	fs.mu.Unlock()
	for _, p := range fs.pipes {
		p.mu.Lock()
		found := p.cancel(unique)
		p.mu.Unlock()
		if found {
			fs.mu.Lock()
			delete(fs.pending, unique)
			fs.mu.Unlock()
			return
		}
	}
}

// checkPending cancels the request unique, just queued on p, if its
// INTERRUPT came first. p.mu is held.
func (fs *pipeFS) checkPending(p *pipe, unique uint64) {
	fs.mu.Lock()
	hit := fs.pending[unique]
	if hit {
		delete(fs.pending, unique)
	}
	fs.mu.Unlock()
	if hit {
		p.cancel(unique)
	}
}

// cancel answers the waiting request unique with EINTR; p.mu is held.
func (p *pipe) cancel(unique uint64) bool {
	for _, q := range []*[]*Request{&p.readers, &p.writers} {
		for i, r := range *q {
			if r.Header.Unique == unique {
				*q = append((*q)[:i], (*q)[i+1:]...)
				r.ReplyErr(syscall.EINTR)
				return true
			}
		}
	}
	return false
}
