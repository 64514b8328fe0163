package scull

import (
	"slices"
	"syscall"

	"github.com/fasync-go/fasync/kernel"
)

// Asynchronous reads: the kiocb path the aio engine takes for a
// scullpipe (SPEC C13). A read that finds the buffer empty is queued on
// the device, holding no goroutine, and the next write serves it. There
// is no AioWrite: an AIO write runs the synchronous Write on one of the
// engine's workers, which is enough for a device whose writes only wait
// for a reader.

// AioRead is the asynchronous read operation (kernel.AioReader), with
// Read's rules (B3): data at hand is returned at once — at most what is
// held, and no wrap — and on an empty buffer it returns EAGAIN under
// O_NONBLOCK, or else queues iocb until a write serves it or it is
// cancelled. Queued reads are served oldest first, and before readers
// asleep in Read.
func (d *Pipe) AioRead(iocb *kernel.Kiocb) (int, error) {
	if len(iocb.Buf) == 0 {
		return 0, nil // nothing asked, nothing to queue
	}
	d.mu.Lock()
	if d.rp != d.wp {
		n := d.take(iocb.Buf)
		d.mu.Unlock()
		d.freed()
		return n, nil
	}
	if iocb.File.Nonblock() {
		d.mu.Unlock()
		return 0, syscall.EAGAIN
	}
	d.aioq = append(d.aioq, iocb)
	// Registered under mu: no write can serve iocb before it is cancellable.
	iocb.SetCancel(func() error { return d.withdraw(iocb) })
	d.mu.Unlock()
	return 0, kernel.EIOCBQUEUED
}

// withdraw is a queued read's cancel function: it takes iocb off the
// queue and completes it with ECANCELED, or reports EBUSY when a write
// has already served it (its completion is on the way).
func (d *Pipe) withdraw(iocb *kernel.Kiocb) error {
	d.mu.Lock()
	i := slices.Index(d.aioq, iocb)
	if i < 0 {
		d.mu.Unlock()
		return syscall.EBUSY
	}
	d.aioq = slices.Delete(d.aioq, i, i+1)
	d.mu.Unlock()
	iocb.Complete(0, syscall.ECANCELED) // after mu: completion may run Release
	return nil
}

// served is a queued read a write has served: n bytes are in its buffer.
type served struct {
	iocb *kernel.Kiocb
	n    int
}

// serveQueued gives the data just written to the queued reads, oldest
// first, each taking what one Read would (B3), until the data or the
// queue runs out. Called with mu held; the caller completes the reads
// with complete once it has dropped mu.
func (d *Pipe) serveQueued() []served {
	var done []served
	for len(d.aioq) > 0 && d.rp != d.wp {
		iocb := d.aioq[0]
		d.aioq = slices.Delete(d.aioq, 0, 1)
		done = append(done, served{iocb, d.take(iocb.Buf)})
	}
	return done
}

// complete reports the reads serveQueued served and, since they freed
// space, tells writers (B6). Called without mu: a completion may run the
// file's Release and the aio engine's notification.
func (d *Pipe) complete(done []served) {
	if len(done) == 0 {
		return // usually nothing is queued
	}
	for _, s := range done {
		s.iocb.Complete(s.n, nil)
	}
	d.freed()
}
