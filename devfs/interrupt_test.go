package devfs_test

import (
	"context"
	"errors"
	"os/exec"
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

// syncDev is a test driver without AioReader whose reads never find
// data: devfs tries a read in place (RWF_NOWAIT), then as a kiocb
// (EOPNOTSUPP here), then sleeps in Task.Read on a goroutine. onNowait,
// when set, runs during the in-place try, before devfs tracks the
// request for its INTERRUPT.
type syncDev struct {
	mu       sync.Mutex
	wq       kernel.WaitQueue
	sleepers atomic.Int32
	onNowait func()
}

func (d *syncDev) Read(ctx context.Context, f *kernel.File, p []byte) (int, error) {
	if kernel.NoWait(ctx) {
		if d.onNowait != nil {
			d.onNowait()
		}
		return 0, kernel.EAGAIN
	}
	d.sleepers.Add(1)
	defer d.sleepers.Add(-1)
	d.mu.Lock()
	defer d.mu.Unlock()
	return 0, d.wq.Wait(ctx, &d.mu, func() bool { return false })
}

// R3, S3: SIGINT reaches a reader asleep in a driver without AioReader,
// also when its INTERRUPT arrives before devfs has tracked the request
// (on io_uring an INTERRUPT travels through /dev/fuse and can overtake
// its READ): the INTERRUPT kept for the request must cancel the sleep
// that follows the kiocb attempt. Before the fix that INTERRUPT was
// spent on the kiocb attempt and the reader slept for good.
func TestInterruptReaderWithoutAio(t *testing.T) {
	for _, when := range []string{"asleep", "before-tracking"} {
		t.Run("R3,S3/"+when, func(t *testing.T) {
			forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
				d := &syncDev{}
				pids := make(chan int, 1)
				var e *export
				if when == "before-tracking" {
					d.onNowait = func() {
						// SIGINT the reader and hold its READ here until
						// the INTERRUPT has come and found nothing.
						syscall.Kill(<-pids, syscall.SIGINT)
						deadline := time.Now().Add(patience)
						for devfs.EarlyInterrupts(e.M) == 0 && time.Now().Before(deadline) {
							time.Sleep(time.Millisecond)
						}
					}
				}
				e = mountDriver(t, tr, "sync", d)
				cat := start(t, "cat", filepath.Join(e.Dir, "sync"))
				t.Cleanup(func() {
					// A reader whose INTERRUPT was lost waits for an
					// answer even when killed: end the connection
					// before the cleanup that kills it waits for it.
					select {
					case <-cat.done:
					default:
						e.M.Abort()
					}
				})
				if when == "asleep" {
					testutil.WaitFor(t, "the read to sleep in the driver", func() bool { return d.sleepers.Load() == 1 })
					cat.cmd.Process.Signal(syscall.SIGINT)
				} else {
					pids <- cat.pid()
				}
				err := cat.wait() // bounded: a lost INTERRUPT fails here
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT {
					t.Fatalf("cat ended with %v, want death by SIGINT", err)
				}
				testutil.WaitFor(t, "the driver's read to end", func() bool { return d.sleepers.Load() == 0 })
			})
		})
	}
}
