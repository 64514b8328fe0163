package kernel

import (
	"context"
	"sync"
)

// pipeDev is the tests' device: a small byte pipe with wait queues for
// readers and writers and one fasync list, written only against the
// driver interfaces (like scullpipe, without depending on it). It records
// driver calls so tests can check what the kernel did and in which order.
type pipeDev struct {
	mu     sync.Mutex
	buf    []byte
	size   int // capacity; 0 means 64
	readQ  WaitQueue
	writeQ WaitQueue
	async  FasyncList

	log        []string // "open", "release", "fasync on", "fasync off" ...
	fasyncErr  error    // returned by Fasync when set (A11)
	openErr    error    // returned by Open when set
	openBlocks bool     // Open sleeps until its context ends
	waitErrs   []error  // what readQ.Wait returned to Read when it failed (S3)
}

func (d *pipeDev) record(ev string) {
	d.mu.Lock()
	d.log = append(d.log, ev)
	d.mu.Unlock()
}

// events returns a copy of the driver-call log.
func (d *pipeDev) events() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.log...)
}

func (d *pipeDev) capacity() int {
	if d.size == 0 {
		return 64
	}
	return d.size
}

func (d *pipeDev) Open(ctx context.Context, f *File) error {
	d.record("open")
	if d.openBlocks {
		var q WaitQueue
		return q.Wait(ctx, nil, func() bool { return false })
	}
	return d.openErr
}

func (d *pipeDev) Release(f *File) error {
	d.record("release")
	return nil
}

func (d *pipeDev) Read(ctx context.Context, f *File, p []byte) (int, error) {
	d.mu.Lock()
	if len(d.buf) == 0 && f.Nonblock() {
		d.mu.Unlock()
		return 0, EAGAIN
	}
	if err := d.readQ.Wait(ctx, &d.mu, func() bool { return len(d.buf) > 0 }); err != nil {
		d.waitErrs = append(d.waitErrs, err)
		d.mu.Unlock()
		return 0, err
	}
	n := copy(p, d.buf)
	d.buf = d.buf[n:]
	d.mu.Unlock()
	d.writeQ.WakeUp()
	return n, nil
}

func (d *pipeDev) Write(ctx context.Context, f *File, p []byte) (int, error) {
	d.mu.Lock()
	full := func() bool { return len(d.buf) >= d.capacity() }
	if full() && f.Nonblock() {
		d.mu.Unlock()
		return 0, EAGAIN
	}
	if err := d.writeQ.Wait(ctx, &d.mu, func() bool { return !full() }); err != nil {
		d.mu.Unlock()
		return 0, err
	}
	n := min(len(p), d.capacity()-len(d.buf))
	d.buf = append(d.buf, p[:n]...)
	d.mu.Unlock()
	d.readQ.WakeUp()
	_ = d.async.Kill(SIGIO, POLL_IN)
	return n, nil
}

func (d *pipeDev) Poll(f *File, pt *PollTable) int16 {
	pt.Wait(&d.readQ)
	pt.Wait(&d.writeQ)
	d.mu.Lock()
	defer d.mu.Unlock()
	var mask int16
	if len(d.buf) > 0 {
		mask |= POLLIN | POLLRDNORM
	}
	if len(d.buf) < d.capacity() {
		mask |= POLLOUT | POLLWRNORM
	}
	return mask
}

func (d *pipeDev) Fasync(fd int, f *File, on bool) error {
	if on {
		d.record("fasync on")
	} else {
		d.record("fasync off")
	}
	if d.fasyncErr != nil {
		return d.fasyncErr
	}
	_, err := d.async.Helper(fd, f, on)
	return err
}

// waitErrors returns a copy of the errors Read's Wait returned.
func (d *pipeDev) waitErrors() []error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]error(nil), d.waitErrs...)
}

// bareDev implements no optional interface at all.
type bareDev struct{}
