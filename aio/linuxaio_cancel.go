package aio

import (
	"syscall"

	"github.com/fasync-go/fasync/internal/linuxaio"
)

// cancel stops r where it can: waiting for a slot, it completes here with
// ECANCELED; tried without waiting, whose completion is prompt, it is
// marked (laStopping) and cancel waits for the reaper's verdict, which
// completes it with ECANCELED instead of handing it on, unless data
// moved; on the pool, the pool decides. A request the kernel may be
// waiting for (an O_DIRECT transfer, an fsync) gets io_cancel, which
// Linux refuses for reads, writes and fsyncs (AIO_NOTCANCELED).
func (b *linuxAIOBackend) cancel(r *Request) bool {
	for {
		switch s := r.bkState.Load(); s {
		case laPendingNowait, laPendingWait:
			b.mu.Lock()
			if r.bkState.Load() != s {
				b.mu.Unlock()
				continue
			}
			b.pending.remove(r)
			r.bkState.Store(tbIdle)
			b.mu.Unlock()
			b.done(r, 0, syscall.ECANCELED)
			return true
		case laNowait:
			if !r.bkState.CompareAndSwap(laNowait, laStopping) {
				continue
			}
			// r's next life waits for this Cancel (cancelRefs), so its
			// result is still this life's once it is done.
			waitDone(r)
			return r.errno == syscall.ECANCELED
		case laKernel:
			return b.cancelInKernel(r)
		case tbQueued, tbRunning, tbStopping, tbBlocking:
			return b.pool.cancel(r)
		default:
			return false
		}
	}
}

// cancelInKernel asks the kernel to cancel r (io_cancel).
func (b *linuxAIOBackend) cancelInKernel(r *Request) bool {
	b.mu.Lock()
	slot := r.tag
	if r.bkState.Load() != laKernel || slot >= uint64(len(b.reqs)) || b.reqs[slot].Load() != r {
		b.mu.Unlock()
		return false
	}
	err := linuxaio.Cancel(b.ctx, &b.cbs[slot])
	b.mu.Unlock()
	if err != nil {
		return false
	}
	waitDone(r)
	return r.errno == syscall.ECANCELED
}

// visit lists the requests waiting for a slot, those in the kernel and
// those on the pool (see tracker). mu is held across the three walks, and
// a request moves between them only under mu, so each is seen once.
func (b *linuxAIOBackend) visit(fd int, only *Request, pick func(*Request)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending.each(func(r *Request) {
		if isTarget(r, fd, only) {
			r.cancelRefs.Add(1)
			pick(r)
		}
	})
	for i := range b.reqs {
		if r := b.reqs[i].Load(); r != nil && (only == nil || r == only) && pickHeld(&b.reqs[i], r, fd, only) {
			pick(r)
		}
	}
	b.pool.visit(fd, only, pick)
}
