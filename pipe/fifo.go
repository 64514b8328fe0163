package pipe

import (
	"context"
	"sync"

	"github.com/fasync-go/fasync/kernel"
)

// A FIFO is the driver of one named pipe (a node made with
// kernel.Task.Mknod(S_IFIFO) or Mkfifo): every open of the node shares
// one Pipe, made by the first open and freed, with any data it held, when
// the last file on it is closed, as Linux's inode->i_pipe is (SPEC E7).
// Opening follows fs/pipe.c's fifo_open: a read-only open waits until a
// writer has opened (and a write-only one until a reader has), sleeping
// interruptibly; under O_NONBLOCK a read-only open succeeds at once and
// a write-only one with no reader fails with ENXIO; O_RDWR never waits.
// Once open, the files behave as a pipe's ends (SPEC P1), F_SETPIPE_SZ
// included.
//
// A FIFO implements kernel.Opener, kernel.Releaser, kernel.Reader,
// kernel.Writer, kernel.Poller, kernel.Fasyncer, kernel.Fcntler and
// kernel.Ioctler.
type FIFO struct {
	// maxSize is pipe-max-size for the pipes the FIFO makes.
	maxSize int

	// mu guards p and files (Linux's inode->i_lock over i_pipe and
	// pipe->files). Lock order: mu before the pipe's mu.
	mu    sync.Mutex
	p     *Pipe
	files int // open files on p, and opens in progress
}

// fifoEnd is a FIFO file's Private: the pipe it opened and, for a reader
// opened under O_NONBLOCK with no writer, the writer count it saw
// (filp->f_pipe): POLLHUP is reported only once a writer has come since.
type fifoEnd struct {
	p     *Pipe
	wSeen uint
}

// NewFIFO returns the driver of a new FIFO node, with the default
// pipe-max-size. It is the value for kernel.Config.FIFO.
func NewFIFO() kernel.Driver { return &FIFO{maxSize: DefaultMaxSize} }

// seenWriters is the writer count a pipe file's POLLHUP rule compares
// with (filp->f_pipe): 0 except for a FIFO reader opened under
// O_NONBLOCK before any writer.
func seenWriters(f *kernel.File) uint {
	if end, ok := f.Private.(*fifoEnd); ok {
		return end.wSeen
	}
	return 0
}

// end returns the pipe f was opened on.
func end(f *kernel.File) *Pipe { return f.Private.(*fifoEnd).p }

// Open is fifo_open: it takes (or makes) the node's pipe and applies the
// open rules of the file's access mode.
func (fi *FIFO) Open(ctx context.Context, f *kernel.File) error {
	fi.mu.Lock()
	if fi.p == nil {
		fi.p = New(fi.maxSize)
		fi.p.readers, fi.p.writers = 0, 0
		fi.p.rCounter, fi.p.wCounter = 0, 0
	}
	p := fi.p
	fi.files++
	fi.mu.Unlock()
	e := &fifoEnd{p: p}
	if err := p.openFIFO(ctx, f, e); err != nil {
		fi.put(p)
		return err
	}
	f.Private = e
	return nil
}

// put drops one file of p; the last one frees the pipe (put_pipe_info).
func (fi *FIFO) put(p *Pipe) {
	fi.mu.Lock()
	fi.files--
	if fi.files == 0 && fi.p == p {
		fi.p = nil
	}
	fi.mu.Unlock()
}

// openFIFO counts f as a reader, a writer or both, and waits for the
// partner as fifo_open does. An interrupted wait takes the count back
// and returns ERESTARTSYS, which the kernel turns into EINTR or a
// restart (SA_RESTART).
func (p *Pipe) openFIFO(ctx context.Context, f *kernel.File, e *fifoEnd) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch f.Flags() & kernel.O_ACCMODE {
	case kernel.O_RDONLY:
		p.rCounter++
		if p.readers++; p.readers == 1 {
			p.rdWait.WakeUp() // wake_up_partner: a writer waits there
		}
		if p.writers == 0 {
			if f.Nonblock() {
				e.wSeen = p.wCounter // no POLLHUP until a writer comes
				return nil
			}
			if err := p.waitPartner(ctx, &p.wCounter); err != nil {
				if p.readers--; p.readers == 0 {
					p.wrWait.WakeUp()
				}
				return err
			}
		}
	case kernel.O_WRONLY:
		if f.Nonblock() && p.readers == 0 {
			return kernel.ENXIO
		}
		p.wCounter++
		if p.writers++; p.writers == 1 {
			p.rdWait.WakeUp()
		}
		if p.readers == 0 {
			if err := p.waitPartner(ctx, &p.rCounter); err != nil {
				if p.writers--; p.writers == 0 {
					p.rdWait.WakeUp()
				}
				return err
			}
		}
	default: // O_RDWR: it can talk to itself, so it never waits
		p.readers++
		p.writers++
		p.rCounter++
		p.wCounter++
		if p.readers == 1 || p.writers == 1 {
			p.rdWait.WakeUp()
		}
	}
	return nil
}

// waitPartner sleeps until *counter changes (an open of the other end),
// as wait_for_partner. mu is held.
func (p *Pipe) waitPartner(ctx context.Context, counter *uint) error {
	cur := *counter
	return p.rdWait.Wait(ctx, &p.mu, func() bool { return *counter != cur })
}

// Release is the last close of a FIFO file: the pipe's release, then the
// file no longer holds the pipe.
func (fi *FIFO) Release(f *kernel.File) error {
	p := end(f)
	err := p.Release(f)
	fi.put(p)
	return err
}

// Read is the pipe's Read.
func (fi *FIFO) Read(ctx context.Context, f *kernel.File, dst []byte) (int, error) {
	return end(f).Read(ctx, f, dst)
}

// Write is the pipe's Write.
func (fi *FIFO) Write(ctx context.Context, f *kernel.File, src []byte) (int, error) {
	return end(f).Write(ctx, f, src)
}

// Poll is the pipe's Poll.
func (fi *FIFO) Poll(f *kernel.File, pt *kernel.PollTable) int16 {
	return end(f).Poll(f, pt)
}

// Fasync is the pipe's Fasync.
func (fi *FIFO) Fasync(fd int, f *kernel.File, on bool) error {
	return end(f).Fasync(fd, f, on)
}

// Fcntl is the pipe's Fcntl (F_GETPIPE_SZ, F_SETPIPE_SZ).
func (fi *FIFO) Fcntl(ctx context.Context, f *kernel.File, cmd, arg int) (int, error) {
	return end(f).Fcntl(ctx, f, cmd, arg)
}

// Ioctl is the pipe's Ioctl (FIONREAD).
func (fi *FIFO) Ioctl(ctx context.Context, f *kernel.File, cmd uint, arg kernel.IoctlArg) (int, error) {
	return end(f).Ioctl(ctx, f, cmd, arg)
}

// Status reports the state of the node's pipe, and false when no file
// is open on the node (so no pipe exists). Readers and Writers count an
// open still waiting for its partner.
func (fi *FIFO) Status() (Status, bool) {
	fi.mu.Lock()
	p := fi.p
	fi.mu.Unlock()
	if p == nil {
		return Status{}, false
	}
	return p.Status(), true
}
