package scull

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/fasync-go/fasync/kernel"
)

// LDD3's module parameters scull_p_nr_devs and scull_p_buffer (B1).
const (
	DefaultDevices = 4
	DefaultSize    = 4000
)

// MaxDevices bounds Config.Devices. Every device costs a name in the
// kernel's device table and a line in the status view (about 100 bytes),
// and the names run up to scullpipe65535; a larger count is refused with
// EINVAL rather than building a table nobody can list in reasonable time.
const MaxDevices = 1 << 16

// Config chooses how many scullpipe devices Register creates and how big
// their buffers are (B1). The zero value gives LDD3's defaults.
type Config struct {
	Devices int // number of devices, scullpipe0 .. scullpipeN-1; 0 means DefaultDevices, at most MaxDevices
	Size    int // buffer size of each device in bytes; 0 means DefaultSize
}

// Pipes is a set of scullpipe devices registered on one kernel.
type Pipes struct {
	k     *kernel.Kernel
	pipes []*Pipe
}

// DeviceName reports the name of the i-th scullpipe device, "scullpipe<i>".
func DeviceName(i int) string { return fmt.Sprintf("scullpipe%d", i) }

// Register creates cfg.Devices scullpipe devices and registers them on k
// as scullpipe0, scullpipe1 ... It reports EINVAL for a device count
// outside [0, MaxDevices] or a size outside [MinSize, MaxSize], and the
// kernel's error (EEXIST when a name is taken) after undoing the
// registrations it had made.
func Register(k *kernel.Kernel, cfg Config) (*Pipes, error) {
	if k == nil || cfg.Devices < 0 || cfg.Devices > MaxDevices {
		return nil, syscall.EINVAL
	}
	if cfg.Devices == 0 {
		cfg.Devices = DefaultDevices
	}
	ps := &Pipes{k: k}
	for i := range cfg.Devices {
		p, err := NewPipe(DeviceName(i), cfg.Size)
		if err == nil {
			err = k.Register(p.Name(), p)
		}
		if err != nil {
			_ = ps.Unregister()
			return nil, fmt.Errorf("scull: register %s: %w", DeviceName(i), err)
		}
		ps.pipes = append(ps.pipes, p)
	}
	return ps, nil
}

// Unregister removes the devices from the kernel's device table, so new
// opens fail with ENOENT. Files already open keep working until they are
// closed (Linux would refuse to unload a module in use; the model lets the
// names go and keeps the devices alive for their open files). It reports
// every error met, joined.
func (ps *Pipes) Unregister() error {
	var errs []error
	for _, p := range ps.pipes {
		if err := ps.k.Unregister(p.Name()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Len reports how many devices the set holds.
func (ps *Pipes) Len() int { return len(ps.pipes) }

// Pipe returns the i-th device (scullpipe<i>), or nil when i is out of range.
func (ps *Pipes) Pipe(i int) *Pipe {
	if i < 0 || i >= len(ps.pipes) {
		return nil
	}
	return ps.pipes[i]
}

// Names reports the device names in order.
func (ps *Pipes) Names() []string {
	names := make([]string, len(ps.pipes))
	for i, p := range ps.pipes {
		names[i] = p.Name()
	}
	return names
}
