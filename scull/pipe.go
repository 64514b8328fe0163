package scull

import (
	"context"
	"sync"
	"syscall"

	"github.com/fasync-go/fasync/kernel"
)

// Buffer size limits accepted by NewPipe, Config.Size and Pipe.SetSize.
const (
	// MinSize is the smallest buffer: one byte always stays free to tell
	// a full buffer from an empty one (B2), so two bytes store one.
	MinSize = 2
	// MaxSize bounds a single device's buffer so a bad size is an error
	// rather than an enormous allocation at the next open.
	MaxSize = 64 << 20
)

// A Pipe is one scullpipe device (LDD3's struct scull_pipe): a circular
// buffer shared by every open file of the device, a wait queue for each
// direction and a notification list for each direction.
//
// A Pipe implements kernel.Opener, kernel.Releaser, kernel.Reader,
// kernel.Writer, kernel.Poller, kernel.Fasyncer, kernel.Ioctler and
// kernel.AioReader;
// register it with kernel.Kernel.Register (Register does that for a set
// of them).
type Pipe struct {
	name string

	// mu is LDD3's dev->sem. It guards every field from size to aioq.
	// The driver drops it before waking sleepers or sending signals: a
	// woken task's first act is to take mu again, and a signal handler may
	// call back into this device.
	mu       sync.Mutex
	size     int    // bytes allocated at the next open; len(buf) when allocated
	buf      []byte // nil while no file is open (B8)
	rp, wp   int    // read and write positions in buf; rp == wp means empty (B2)
	nreaders int    // open files that may read
	nwriters int    // open files that may write
	breaders int    // readers asleep in Read, for the status view
	bwriters int    // writers asleep in Write, for the status view
	// aioq holds the asynchronous reads queued on an empty buffer, oldest
	// first (aio.go). A write serves them before it lets mu go, so while
	// any is queued the buffer is empty.
	aioq []*kernel.Kiocb

	inq  kernel.WaitQueue // readers sleep here until a write brings data
	outq kernel.WaitQueue // writers sleep here until a read frees space

	// The notification lists do their own locking (copy-on-write behind an
	// atomic pointer), so Fasync and kill_fasync never need mu.
	readers kernel.FasyncList // readable files with FASYNC: POLL_IN after a write (B5)
	writers kernel.FasyncList // writable files with FASYNC: POLL_OUT after a read (B6)
}

// NewPipe returns an unregistered scullpipe device called name with a
// buffer of size bytes (0 means DefaultSize). It reports EINVAL for a size
// outside [MinSize, MaxSize].
func NewPipe(name string, size int) (*Pipe, error) {
	if size == 0 {
		size = DefaultSize
	}
	if size < MinSize || size > MaxSize {
		return nil, syscall.EINVAL
	}
	return &Pipe{name: name, size: size}, nil
}

// Name reports the device name the pipe was created with.
func (d *Pipe) Name() string { return d.name }

// Size reports the buffer size in bytes; the device holds at most Size()-1
// bytes (B1, B2).
func (d *Pipe) Size() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.size
}

// SetSize changes the buffer size (B1). It reports EINVAL for a size
// outside [MinSize, MaxSize] and EBUSY while the device holds data, which
// a new buffer would lose.
func (d *Pipe) SetSize(size int) error {
	if size < MinSize || size > MaxSize {
		return syscall.EINVAL
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rp != d.wp {
		return syscall.EBUSY
	}
	d.size = size
	if d.buf != nil {
		d.buf = make([]byte, size)
	}
	d.rp, d.wp = 0, 0
	// No wake-up: the buffer was empty before and after, so no reader
	// could proceed, and no writer sleeps on an empty buffer.
	return nil
}

// held reports how many bytes the buffer holds. Called with mu held.
func (d *Pipe) held() int {
	if d.wp >= d.rp {
		return d.wp - d.rp
	}
	return len(d.buf) - d.rp + d.wp
}

// spacefree reports how many more bytes the buffer can take: one slot
// always stays free, so that rp == wp can only mean empty (B2). Called with
// mu held; a device without a buffer has no room.
func (d *Pipe) spacefree() int {
	if d.buf == nil {
		return 0
	}
	return len(d.buf) - 1 - d.held()
}

// Open is the open file operation. The first open allocates the buffer;
// later opens only count themselves, and unlike LDD3 they do not reset the
// positions, which would throw away data a writer left for a reader (B9).
func (d *Pipe) Open(ctx context.Context, f *kernel.File) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.buf == nil {
		d.buf = make([]byte, d.size)
		d.rp, d.wp = 0, 0
	}
	if f.Readable() {
		d.nreaders++
	}
	if f.Writable() {
		d.nwriters++
	}
	f.Private = d // LDD3's filp->private_data = dev, for drivers serving several devices
	return nil
}

// Release is called when the last descriptor of an open file is closed. The
// file leaves the notification lists before the counts drop (B8), so no
// signal can be aimed at it once it no longer counts as a reader or writer.
// The kernel has already done that (A13); doing it again here costs nothing
// and keeps the driver correct on its own, as LDD3's scull_p_release does.
func (d *Pipe) Release(f *kernel.File) error {
	_ = d.Fasync(-1, f, false) // removing cannot fail
	d.mu.Lock()
	defer d.mu.Unlock()
	if f.Readable() {
		d.nreaders--
	}
	if f.Writable() {
		d.nwriters--
	}
	if d.nreaders+d.nwriters == 0 {
		// Nobody can see the data any more: free the buffer (B8).
		d.buf = nil
		d.rp, d.wp = 0, 0
	}
	return nil
}

// Read is the read file operation (B3). On an empty buffer it returns
// EAGAIN under O_NONBLOCK and otherwise sleeps until a writer brings data
// or ctx ends (a signal, a close, the caller's deadline). There is no
// end-of-file: with no writers a reader simply waits, as in LDD3. A read
// returns at most the bytes up to the write position or to the end of the
// buffer, whichever comes first: it does not wrap.
func (d *Pipe) Read(ctx context.Context, f *kernel.File, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil // nothing asked, nothing to wait for
	}
	d.mu.Lock()
	if d.rp == d.wp {
		if f.Nonblock() {
			d.mu.Unlock()
			return 0, syscall.EAGAIN
		}
		d.breaders++
		// Wait drops mu while asleep and re-checks the condition with mu
		// held, so a write between the check and the sleep is not lost.
		err := d.inq.Wait(ctx, &d.mu, func() bool { return d.rp != d.wp })
		d.breaders--
		if err != nil {
			d.mu.Unlock()
			return 0, err // the kernel turns this into EINTR, a restart or EBADF
		}
	}
	n := d.take(p)
	d.mu.Unlock()
	d.freed()
	return n, nil
}

// take moves held data into p as one read does (B3): at most the bytes
// up to the write position or, when wp has wrapped, to the end of the
// buffer. Called with mu held and data held.
func (d *Pipe) take(p []byte) int {
	end := d.wp
	if d.wp < d.rp {
		end = len(d.buf)
	}
	n := copy(p, d.buf[d.rp:end])
	d.rp += n
	if d.rp == len(d.buf) {
		d.rp = 0
	}
	return n
}

// freed tells writers that a read freed space (B6): it wakes writers
// asleep on a full buffer, then signals the writers who asked for SIGIO.
// Called after mu is dropped, so the woken writer does not immediately
// block on it.
func (d *Pipe) freed() {
	d.outq.WakeUp()
	_ = d.writers.Kill(kernel.SIGIO, kernel.POLL_OUT) // POLL_OUT is a valid band: Kill cannot fail
}

// Write is the write file operation (B4). On a full buffer it returns
// EAGAIN under O_NONBLOCK and otherwise sleeps until a reader frees space
// or ctx ends. It accepts min(len(p), free space, contiguous room up to
// the end of the buffer): short writes are normal and the caller writes
// the rest again, as with any Linux pipe or device.
func (d *Pipe) Write(ctx context.Context, f *kernel.File, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil // no data: no wake-up and no signal for readers
	}
	d.mu.Lock()
	if d.spacefree() == 0 {
		if f.Nonblock() {
			d.mu.Unlock()
			return 0, syscall.EAGAIN
		}
		d.bwriters++
		// A writer going to sleep on a full buffer tells the asynchronous
		// readers once more, as a Linux pipe does (pipe_write): a reader
		// that lost the last POLL_IN in the window between its read and
		// its next wait would otherwise sleep beside a full buffer while
		// this writer sleeps beside it (B5).
		_ = d.readers.Kill(kernel.SIGIO, kernel.POLL_IN)
		err := d.outq.Wait(ctx, &d.mu, func() bool { return d.spacefree() > 0 })
		d.bwriters--
		if err != nil {
			d.mu.Unlock()
			return 0, err
		}
	}
	n := min(len(p), d.spacefree())
	if d.wp >= d.rp {
		n = min(n, len(d.buf)-d.wp) // up to the end of the buffer
	} else {
		n = min(n, d.rp-d.wp-1) // wp has wrapped: up to the byte before rp
	}
	copy(d.buf[d.wp:], p[:n])
	d.wp += n
	if d.wp == len(d.buf) {
		d.wp = 0
	}
	served := d.serveQueued() // queued AIO reads first, in order (aio.go)
	d.mu.Unlock()

	// Data arrived (B5): wake sleeping readers, then signal the asynchronous
	// readers. Waking first lets a blocked reader start while the signals
	// are being sent, which is the order LDD3 uses.
	d.inq.WakeUp()
	_ = d.readers.Kill(kernel.SIGIO, kernel.POLL_IN) // POLL_IN is a valid band: Kill cannot fail
	d.complete(served)
	return n, nil
}

// Poll is the poll file operation (B7): POLLIN|POLLRDNORM while data is
// held, POLLOUT|POLLWRNORM while there is free space, never POLLHUP or
// POLLERR (a pipe without writers is just empty, B3).
func (d *Pipe) Poll(f *kernel.File, pt *kernel.PollTable) int16 {
	d.mu.Lock()
	defer d.mu.Unlock()
	// Register on both queues before looking at the state, so a wake-up
	// that comes after the check still reaches the poller.
	pt.Wait(&d.inq)
	pt.Wait(&d.outq)
	var mask int16
	if d.rp != d.wp {
		mask |= kernel.POLLIN | kernel.POLLRDNORM
	}
	if d.spacefree() > 0 {
		mask |= kernel.POLLOUT | kernel.POLLWRNORM
	}
	return mask
}

// Fasync is the fasync file operation, called by F_SETFL when FASYNC
// changes and with on=false before Release. A readable file goes on (or
// off) the readers' list, a writable one on the writers' list, an O_RDWR
// file on both (B5, B6). FasyncList.Helper keeps FASYNC in the file's
// flags in step with its membership (A4).
func (d *Pipe) Fasync(fd int, f *kernel.File, on bool) error {
	if f.Readable() {
		if _, err := d.readers.Helper(fd, f, on); err != nil {
			return err
		}
	}
	if f.Writable() {
		if _, err := d.writers.Helper(fd, f, on); err != nil {
			if on && f.Readable() {
				// All or nothing: F_SETFL fails with no flag changed (A11),
				// so undo the readers' entry made above.
				_, _ = d.readers.Helper(fd, f, false)
			}
			return err
		}
	}
	return nil
}
