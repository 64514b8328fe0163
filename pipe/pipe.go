package pipe

import (
	"context"
	"math/bits"
	"sync"

	"github.com/fasync-go/fasync/kernel"
)

// Sizes, as Linux defines them for x86-64.
const (
	// PageSize is the size of one slot of the ring: a write fills pages,
	// and the capacity is counted in them.
	PageSize = 4096
	// PIPE_BUF is the largest write that is atomic: it lands whole or,
	// under O_NONBLOCK, not at all. A pipe gets this for free from its
	// pages: such a write always fits in one page, merged into the last
	// one or in a fresh one.
	PIPE_BUF = 4096
	// DefaultBuffers is PIPE_DEF_BUFFERS: a new pipe has 16 slots, 64 KiB.
	DefaultBuffers = 16
	// DefaultMaxSize is /proc/sys/fs/pipe-max-size's default: the largest
	// capacity an unprivileged task may give a pipe with F_SETPIPE_SZ.
	DefaultMaxSize = 1 << 20
)

// A buffer is one occupied slot of the ring (struct pipe_buffer): a page
// holding the unread bytes page[off:off+n].
type buffer struct {
	page   []byte
	off, n int
	// packet is PIPE_BUF_FLAG_PACKET: written in packet mode (O_DIRECT),
	// it is read as one message and never merged into. Otherwise it is
	// PIPE_BUF_FLAG_CAN_MERGE: a small write may append to it.
	packet bool
}

// A Pipe is one pipe (struct pipe_inode_info): a ring of page buffers
// shared by its read end and its write end, a wait queue for each
// direction, and a notification list for each.
//
// A Pipe implements kernel.Releaser, kernel.Reader, kernel.Writer,
// kernel.Poller, kernel.Fasyncer, kernel.Fcntler and kernel.Ioctler. It
// is made by New and opened by Pipe2 or by Task.InstallFiles
// with a reader and a writer count matching the files installed.
type Pipe struct {
	// maxSize is pipe-max-size for this pipe (fixed at New).
	maxSize int

	// mu is pipe->mutex. It guards every field below it. Wake-ups and
	// fasync signals are sent with it held: neither runs a sleeper's or a
	// handler's code (the model kernel's WaitQueue.WakeUp and
	// FasyncList.Kill only signal), so nothing can call back into the pipe.
	mu sync.Mutex
	// bufs are the occupied slots, oldest first (a read shifts the rest
	// down, which for at most a few hundred slots costs less than a
	// ring's indices would in clarity): len(bufs) is the ring's
	// occupancy, and the pipe is full when it reaches maxUsage.
	bufs     []buffer
	maxUsage int // capacity in slots; F_GETPIPE_SZ reports maxUsage*PageSize
	// spare is the page of the last slot a read emptied, kept for the
	// next slot a write fills (pipe->tmp_page): a pipe in steady use
	// allocates nothing.
	spare   []byte
	readers int // open files that may read
	writers int // open files that may write
	// rCounter and wCounter count the opens of each end ever made
	// (r_counter, w_counter): a FIFO's opener waits for the other's to
	// change, and a FIFO reader opened before any writer reports no
	// POLLHUP until wCounter moves past what it saw (fifo.go).
	rCounter, wCounter uint
	// pollUsage is set by the first Poll (pipe->poll_usage): from then
	// on every write wakes the readers' queue.
	pollUsage bool
	// Sleepers, for Status: calls asleep in Read or Write.
	sleepingReaders, sleepingWriters int

	rdWait kernel.WaitQueue // readers sleep here until data or the last writer's close
	wrWait kernel.WaitQueue // writers sleep here until room or the last reader's close

	fasyncReaders kernel.FasyncList // readable files with FASYNC: POLL_IN
	fasyncWriters kernel.FasyncList // writable files with FASYNC: POLL_OUT
}

// New returns a pipe with one reader and one writer counted, for the two
// files that Pipe2 installs, and the default capacity (64 KiB). maxSize is
// pipe-max-size, 0 meaning DefaultMaxSize.
func New(maxSize int) *Pipe {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	return &Pipe{maxSize: maxSize, maxUsage: DefaultBuffers, readers: 1, writers: 1, rCounter: 1, wCounter: 1}
}

// empty and full compare the occupancy with the capacity, in slots, as
// pipe_empty and pipe_full do. Called with mu held.
func (p *Pipe) empty() bool { return len(p.bufs) == 0 }
func (p *Pipe) full() bool  { return len(p.bufs) >= p.maxUsage }

// held reports the bytes in the ring (FIONREAD). Called with mu held.
func (p *Pipe) held() int {
	n := 0
	for _, b := range p.bufs {
		n += b.n
	}
	return n
}

// Read is pipe_read: it returns what the pipe holds, up to len(dst), and
// sleeps only when the pipe is empty and a writer may still bring data.
// With no writer left an empty pipe reads as end of file (0, nil). A
// packet buffer (written under O_DIRECT) is read as one message: the
// part that does not fit in dst is discarded.
func (p *Pipe) Read(ctx context.Context, f *kernel.File, dst []byte) (int, error) {
	if len(dst) == 0 {
		return 0, nil // a null read succeeds, and notifies nobody
	}
	p.mu.Lock()
	ret := 0
	var err error
	for {
		if !p.empty() {
			slots, wasFull := len(p.bufs), p.full()
			n, more := p.take(dst[ret:])
			if len(p.bufs) < slots && wasFull {
				// A slot freed in a full ring is room: a writer asleep
				// on it can go on, and writers' epoll registrations
				// hear POLLOUT (pipe_read's wake_writer).
				p.wrWait.WakeUpPoll(kernel.POLLOUT | kernel.POLLWRNORM)
			}
			ret += n
			if !more || ret == len(dst) {
				break
			}
			if !p.empty() {
				continue
			}
		}
		if p.writers == 0 || ret > 0 {
			break // end of file, or what there was
		}
		if f.Nonblock() || kernel.NoWait(ctx) {
			err = kernel.EAGAIN
			break
		}
		// A reader going to sleep tells nobody, as in Linux 6.18: the
		// writers were told when the last read made room, and an empty
		// pipe has nothing more to say.
		p.sleepingReaders++
		werr := p.rdWait.Wait(ctx, &p.mu, func() bool { return !p.empty() || p.writers == 0 })
		p.sleepingReaders--
		if werr != nil {
			p.mu.Unlock()
			return 0, werr // nothing was read: the kernel restarts or fails the call
		}
	}
	p.mu.Unlock()
	// Every read that asked for data tells the writers that may be waiting
	// for room, whether or not it found any: POLL_OUT on their list.
	_ = p.fasyncWriters.Kill(kernel.SIGIO, kernel.POLL_OUT)
	return ret, err
}

// take copies from the oldest slots into dst and reports the bytes moved
// and whether the read may go on to the next slot (false after a packet).
// Called with mu held and the pipe not empty.
func (p *Pipe) take(dst []byte) (n int, more bool) {
	for len(p.bufs) > 0 && n < len(dst) {
		b := &p.bufs[0]
		c := copy(dst[n:], b.page[b.off:b.off+b.n])
		n += c
		b.off += c
		b.n -= c
		packet := b.packet
		if packet {
			b.n = 0 // the rest of the message is dropped
		}
		if b.n == 0 {
			if p.spare == nil {
				p.spare = b.page
			}
			copy(p.bufs, p.bufs[1:])
			p.bufs[len(p.bufs)-1] = buffer{}
			p.bufs = p.bufs[:len(p.bufs)-1]
		}
		if packet {
			return n, false
		}
	}
	return n, true
}

// Write is pipe_write. With no reader it fails with EPIPE and sends
// SIGPIPE to the writing thread. Otherwise it copies into the ring: the
// tail of a write smaller than a page is merged into the last slot when
// it fits there, the rest goes a page per slot. On a full ring it returns
// what it wrote so far, or EAGAIN under O_NONBLOCK, or sleeps. So a write
// of at most PIPE_BUF bytes is all or nothing; a longer one may be split.
func (p *Pipe) Write(ctx context.Context, f *kernel.File, src []byte) (int, error) {
	if len(src) == 0 {
		return 0, nil // a null write succeeds, and notifies nobody
	}
	packet := f.Flags()&kernel.O_DIRECT != 0
	p.mu.Lock()
	wasEmpty := p.empty()
	ret, err := p.fill(ctx, f, src, packet, &wasEmpty)
	wake := wasEmpty || p.pollUsage
	p.mu.Unlock()
	if wake {
		// pipe_write's exit: a pipe that was empty, or that anyone ever
		// polled, wakes its readers' queue after every write, even one
		// that wrote nothing (epoll registrations hear POLLIN).
		p.rdWait.WakeUpPoll(kernel.POLLIN | kernel.POLLRDNORM)
	}
	// The readers hear of every write, whatever it wrote — even one that
	// found the ring full and wrote nothing, as pipe_write's exit path
	// does: POLL_IN on their list. (After EPIPE the list is empty: no
	// reader is left to be on it.)
	_ = p.fasyncReaders.Kill(kernel.SIGIO, kernel.POLL_IN)
	return ret, err
}

// fill is the body of Write, with mu held (Wait drops it while asleep).
// The readers' queue is woken once, when the write ends (Write), and
// before each sleep on a full ring if the pipe was empty: *wasEmpty, set
// anew after each sleep, as pipe_write keeps was_empty. A wake-up per
// page would spend an EPOLLEXCLUSIVE wake-up on a second waiter.
func (p *Pipe) fill(ctx context.Context, f *kernel.File, src []byte, packet bool, wasEmpty *bool) (int, error) {
	if p.readers == 0 {
		sigpipe(ctx)
		return 0, kernel.EPIPE
	}
	ret := 0
	// A write whose size is not a multiple of a page first tries to put
	// its odd tail into the last slot, merging small writes into one page.
	if tail := len(src) & (PageSize - 1); tail > 0 && !p.empty() {
		last := &p.bufs[len(p.bufs)-1]
		if !last.packet && last.off+last.n+tail <= PageSize {
			copy(last.page[last.off+last.n:], src[:tail])
			last.n += tail
			ret = tail
			if ret == len(src) {
				return ret, nil
			}
		}
	}
	for {
		if p.readers == 0 {
			sigpipe(ctx)
			if ret == 0 {
				return 0, kernel.EPIPE
			}
			return ret, nil
		}
		if !p.full() {
			b := buffer{page: p.spare, packet: packet}
			if p.spare != nil {
				p.spare = nil
			} else {
				b.page = make([]byte, PageSize)
			}
			b.n = copy(b.page, src[ret:])
			p.bufs = append(p.bufs, b)
			ret += b.n
			if ret == len(src) {
				return ret, nil
			}
			if !p.full() {
				continue
			}
		}
		if f.Nonblock() || kernel.NoWait(ctx) {
			if ret == 0 {
				return 0, kernel.EAGAIN
			}
			return ret, nil
		}
		if ctx.Err() != nil { // signal_pending: give back what was written
			if ret == 0 {
				return 0, kernel.ERESTARTSYS
			}
			return ret, nil
		}
		// The writer is about to sleep on a full ring: the readers must
		// know there is data to make room with, so they are woken (if the
		// pipe was empty) and hear POLL_IN now, not only when this write
		// ends.
		if *wasEmpty {
			p.rdWait.WakeUpPoll(kernel.POLLIN | kernel.POLLRDNORM)
		}
		_ = p.fasyncReaders.Kill(kernel.SIGIO, kernel.POLL_IN)
		p.sleepingWriters++
		// The wait's own result does not matter: the loop looks again at
		// the readers, the room and a pending signal, in that order.
		_ = p.wrWait.Wait(ctx, &p.mu, func() bool { return !p.full() || p.readers == 0 })
		p.sleepingWriters--
		*wasEmpty = p.empty()
	}
}

// sigpipe is send_sig(SIGPIPE, current, 0): the writing thread itself gets
// SIGPIPE from the kernel, whatever owns the file (SPEC K1, T2).
func sigpipe(ctx context.Context) {
	if t := kernel.TaskFromContext(ctx); t != nil {
		_ = t.SendSigInfo(kernel.SigInfo{Signo: kernel.SIGPIPE, Code: kernel.SI_USER, Pid: t.Pid()})
	}
}

// Poll is pipe_poll. A read end reports POLLIN|POLLRDNORM while data is
// held and POLLHUP once no writer is left; a write end POLLOUT|POLLWRNORM
// while a slot is free and POLLERR once no reader is left. A FIFO's
// reader opened under O_NONBLOCK before any writer reports no POLLHUP
// until a writer has come (fifo.go); a pipe is born with its writer, so
// for a pipe the rule is simply "no writers". Wake-ups are keyed as
// Linux's (WakeUpPoll): data wakes readers' registrations with POLLIN,
// room wakes writers' with POLLOUT.
func (p *Pipe) Poll(f *kernel.File, pt *kernel.PollTable) int16 {
	// Register first, then look: a change after the look wakes the table.
	if f.Readable() {
		pt.Wait(&p.rdWait)
	}
	if f.Writable() {
		pt.Wait(&p.wrWait)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pollUsage = true
	var mask int16
	if f.Readable() {
		if !p.empty() {
			mask |= kernel.POLLIN | kernel.POLLRDNORM
		}
		if p.writers == 0 && seenWriters(f) != p.wCounter {
			mask |= kernel.POLLHUP
		}
	}
	if f.Writable() {
		if !p.full() {
			mask |= kernel.POLLOUT | kernel.POLLWRNORM
		}
		if p.readers == 0 {
			mask |= kernel.POLLERR
		}
	}
	return mask
}

// Release is pipe_release, for the last close of one end. When that end
// was the last reader or the last writer (and the other side is still
// open), everyone asleep is woken to see it — readers get end of file,
// writers EPIPE — and both lists are told: POLL_IN to the readers,
// POLL_OUT to the writers. The closing file is already off its list (the
// kernel ran Fasync off first), so only the other files hear it.
func (p *Pipe) Release(f *kernel.File) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f.Readable() {
		p.readers--
	}
	if f.Writable() {
		p.writers--
	}
	if (p.readers == 0) != (p.writers == 0) {
		p.rdWait.WakeUp()
		p.wrWait.WakeUp()
		_ = p.fasyncReaders.Kill(kernel.SIGIO, kernel.POLL_IN)
		_ = p.fasyncWriters.Kill(kernel.SIGIO, kernel.POLL_OUT)
	}
	if p.readers == 0 && p.writers == 0 {
		p.bufs, p.spare = nil, nil // the last file is gone: free the pages
	}
	return nil
}

// Fasync is pipe_fasync: a readable file goes on the readers' list, a
// writable one on the writers' list, an O_RDWR file on both, all or
// nothing (kernel.FasyncList.Helper keeps FASYNC in step).
func (p *Pipe) Fasync(fd int, f *kernel.File, on bool) error {
	if f.Readable() {
		if _, err := p.fasyncReaders.Helper(fd, f, on); err != nil {
			return err
		}
	}
	if f.Writable() {
		if _, err := p.fasyncWriters.Helper(fd, f, on); err != nil {
			if on && f.Readable() {
				_, _ = p.fasyncReaders.Helper(fd, f, false)
			}
			return err
		}
	}
	return nil
}

// Fcntl is pipe_fcntl: F_GETPIPE_SZ reports the capacity in bytes;
// F_SETPIPE_SZ changes it (pipe_set_size) and reports the new one.
func (p *Pipe) Fcntl(ctx context.Context, f *kernel.File, cmd, arg int) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch cmd {
	case kernel.F_GETPIPE_SZ:
		return p.maxUsage * PageSize, nil
	case kernel.F_SETPIPE_SZ:
		return p.setSize(ctx, uint32(arg))
	}
	return -1, kernel.EINVAL
}

// setSize is pipe_set_size. The size is rounded up to a power-of-two
// number of pages, at least one (round_pipe_size); beyond 2 GiB it is
// EINVAL. Growing past pipe-max-size needs privilege (CAP_SYS_RESOURCE:
// in the model, a calling task with effective uid 0), else EPERM.
// Shrinking below what the ring holds, counted in slots, is EBUSY.
// Called with mu held.
func (p *Pipe) setSize(ctx context.Context, arg uint32) (int, error) {
	size := roundSize(arg)
	slots := size / PageSize
	if slots == 0 {
		return -1, kernel.EINVAL
	}
	if slots > p.maxUsage && size > p.maxSize && !privileged(ctx) {
		return -1, kernel.EPERM
	}
	if slots < len(p.bufs) {
		return -1, kernel.EBUSY
	}
	p.maxUsage = slots
	p.wrWait.WakeUp() // more room, perhaps, for a writer asleep on a full ring
	return p.maxUsage * PageSize, nil
}

// roundSize is round_pipe_size: 0 for a size beyond 2 GiB, else the size
// rounded up to a page and to a power of two.
func roundSize(size uint32) int {
	switch {
	case size > 1<<31:
		return 0
	case size < PageSize:
		return PageSize
	}
	return 1 << bits.Len32(size-1)
}

// privileged reports whether the calling task may exceed pipe-max-size:
// Linux asks capable(CAP_SYS_RESOURCE); the model's credentials have no
// capabilities, so root (effective uid 0) stands for it.
func privileged(ctx context.Context) bool {
	t := kernel.TaskFromContext(ctx)
	return t != nil && t.Cred().EUID == 0
}

// Ioctl is pipe_ioctl: FIONREAD reports the bytes held; every other
// command is unknown to a pipe (ENOTTY).
func (p *Pipe) Ioctl(ctx context.Context, f *kernel.File, cmd uint, arg kernel.IoctlArg) (int, error) {
	if cmd != kernel.FIONREAD {
		return -1, kernel.ENOTTY
	}
	p.mu.Lock()
	n := p.held()
	p.mu.Unlock()
	return 0, arg.PutInt(n)
}

// Status is a snapshot of a pipe, for tests and status views.
type Status struct {
	Size             int // capacity in bytes (F_GETPIPE_SZ)
	Held             int // bytes in the ring (FIONREAD)
	Slots            int // occupied slots
	Readers, Writers int // open files of each end
	SleepingReaders  int // calls asleep in Read
	SleepingWriters  int // calls asleep in Write
}

// Status reports the pipe's state now.
func (p *Pipe) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Status{
		Size: p.maxUsage * PageSize, Held: p.held(), Slots: len(p.bufs),
		Readers: p.readers, Writers: p.writers,
		SleepingReaders: p.sleepingReaders, SleepingWriters: p.sleepingWriters,
	}
}
