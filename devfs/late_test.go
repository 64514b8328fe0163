package devfs_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/testutil"
	"github.com/fasync-go/fasync/kernel"
)

// lateDev is a test driver that uses its buffers late, as the driver
// contract allows. A read waits as a kiocb whose cancellation still
// delivers data (the completion was on its way: the cancel function
// fills the buffer, completes and refuses). A write sleeps until its
// call is cancelled and then reads its data before returning. devfs
// hands both buffers over from fuseraw's transport memory, which must
// stay valid until the driver is done with them.
type lateDev struct {
	mu      sync.Mutex
	wq      kernel.WaitQueue
	parked  atomic.Int32 // kiocbs queued, not yet completed
	writers atomic.Int32 // writes asleep (not RWF_NOWAIT tries)
	sum     atomic.Int64 // what late writes read, so the reads happen
}

var errOnItsWay = errors.New("lateDev: completion on its way")

// Read never finds data: EAGAIN under RWF_NOWAIT, else it sleeps until
// cancelled.
func (d *lateDev) Read(ctx context.Context, f *kernel.File, p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return 0, d.wq.Wait(ctx, &d.mu, func() bool { return false })
}

func (d *lateDev) AioRead(iocb *kernel.Kiocb) (int, error) {
	d.parked.Add(1)
	iocb.SetCancel(func() error {
		copy(iocb.Buf, "late")
		d.parked.Add(-1)
		iocb.Complete(min(4, len(iocb.Buf)), nil)
		return errOnItsWay
	})
	return 0, kernel.EIOCBQUEUED
}

func (d *lateDev) Write(ctx context.Context, f *kernel.File, p []byte) (int, error) {
	d.mu.Lock()
	nowait := kernel.NoWait(ctx)
	if !nowait {
		d.writers.Add(1)
	}
	err := d.wq.Wait(ctx, &d.mu, func() bool { return false })
	d.mu.Unlock()
	var sum int64
	for _, b := range p {
		sum += int64(b)
	}
	d.sum.Add(sum)
	if !nowait {
		d.writers.Add(-1)
	}
	return 0, err
}

// R4: when serving ends with reads queued in the driver and a write
// asleep there, the shutdown that cancels them must find their buffers
// (fuseraw's io_uring entries) still mapped: the driver may fill a read
// or read a write's data while it gives them up. Before the fix the
// entries were unmapped as the rings stopped, before devfs cancelled
// anything, and the late copies killed the process. Both ways serving
// ends are checked: an abort, and a lazy unmount whose clients die.
func TestStopWithParkedRequests(t *testing.T) {
	for _, stop := range []string{"abort", "unmount"} {
		t.Run("R4/"+stop, func(t *testing.T) {
			forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
				if stop == "abort" {
					requireFusectl(t)
				}
				d := &lateDev{}
				e := mountDriver(t, tr, "late", d)
				dev := filepath.Join(e.Dir, "late")
				var clients []*proc
				for range 3 {
					clients = append(clients, start(t, "cat", dev))
				}
				testutil.WaitFor(t, "3 reads queued in the driver", func() bool { return d.parked.Load() == 3 })
				clients = append(clients, start(t, "dd", "if=/dev/zero", "of="+dev, "bs=64k", "count=1", "status=none"))
				testutil.WaitFor(t, "a write asleep in the driver", func() bool { return d.writers.Load() == 1 })

				if stop == "abort" {
					if err := e.M.Abort(); err != nil {
						t.Fatal(err)
					}
				} else {
					if err := e.M.Unmount(true); err != nil {
						t.Fatal(err)
					}
					for _, c := range clients {
						c.cmd.Process.Signal(syscall.SIGKILL)
					}
				}
				for _, c := range clients {
					c.wait() // bounded; they fail one way or another
				}
				select {
				case <-e.M.Done():
				case <-time.After(patience):
					t.Fatalf("serving did not end after the %s", stop)
				}
				if err := e.M.Close(); err != nil && stop == "unmount" {
					t.Errorf("Close: %v", err)
				}
				if n := d.parked.Load(); n != 0 {
					t.Errorf("%d reads still queued in the driver after serving ended", n)
				}
				if n := d.writers.Load(); n != 0 {
					t.Errorf("%d writes still asleep in the driver after serving ended", n)
				}
			})
		})
	}
}
