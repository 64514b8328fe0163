package scull

import (
	"fmt"
	"io"
	"strings"
)

// Status is one device's line of the status view (B10), the information
// LDD3 prints in /proc/scullpipe, plus who is asleep in the device.
type Status struct {
	Name           string
	Size           int  // buffer size in bytes; at most Size-1 are held (B2)
	Allocated      bool // a buffer exists: some file has the device open (B8)
	Held           int  // bytes waiting to be read
	ReadPos        int  // read position (LDD3's rp - buffer)
	WritePos       int  // write position (LDD3's wp - buffer)
	Readers        int  // open files that may read
	Writers        int  // open files that may write
	AsyncReaders   int  // files on the readers' notification list (POLL_IN)
	AsyncWriters   int  // files on the writers' notification list (POLL_OUT)
	BlockedReaders int  // tasks asleep in Read
	BlockedWriters int  // tasks asleep in Write
}

// Status reports the device's current state (B10). The counts are read
// under the device lock, so they are consistent with each other; the
// notification list lengths are read just after.
func (d *Pipe) Status() Status {
	d.mu.Lock()
	s := Status{
		Name:           d.name,
		Size:           d.size,
		Allocated:      d.buf != nil,
		Held:           d.held(),
		ReadPos:        d.rp,
		WritePos:       d.wp,
		Readers:        d.nreaders,
		Writers:        d.nwriters,
		BlockedReaders: d.breaders,
		BlockedWriters: d.bwriters,
	}
	d.mu.Unlock()
	s.AsyncReaders = d.readers.Len()
	s.AsyncWriters = d.writers.Len()
	return s
}

// String formats the status as one line of key=value pairs.
func (s Status) String() string {
	return fmt.Sprintf("%s: size=%d allocated=%t held=%d rp=%d wp=%d readers=%d writers=%d "+
		"async-readers=%d async-writers=%d blocked-readers=%d blocked-writers=%d",
		s.Name, s.Size, s.Allocated, s.Held, s.ReadPos, s.WritePos, s.Readers, s.Writers,
		s.AsyncReaders, s.AsyncWriters, s.BlockedReaders, s.BlockedWriters)
}

// Status reports every device's status, in device order (B10).
func (ps *Pipes) Status() []Status {
	out := make([]Status, len(ps.pipes))
	for i, p := range ps.pipes {
		out[i] = p.Status()
	}
	return out
}

// statusHeader names the columns of WriteStatus; the async and blocked
// columns each give the reader then the writer count.
const statusHeader = "device        size  held    rp    wp  readers  writers  async(r/w)  blocked(r/w)\n"

// WriteStatus writes the status view as text, one device per line under a
// header, in the spirit of LDD3's /proc/scullpipe (B10). A device with no
// buffer (nobody has it open) shows "-" for held and the positions.
func (ps *Pipes) WriteStatus(w io.Writer) error {
	var b strings.Builder
	b.WriteString(statusHeader)
	for _, s := range ps.Status() {
		held, rp, wp := "-", "-", "-"
		if s.Allocated {
			held, rp, wp = fmt.Sprint(s.Held), fmt.Sprint(s.ReadPos), fmt.Sprint(s.WritePos)
		}
		async := fmt.Sprintf("%d/%d", s.AsyncReaders, s.AsyncWriters)
		blocked := fmt.Sprintf("%d/%d", s.BlockedReaders, s.BlockedWriters)
		fmt.Fprintf(&b, "%-11s %6d %5s %5s %5s %8d %8d %11s %13s\n",
			s.Name, s.Size, held, rp, wp, s.Readers, s.Writers, async, blocked)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// StatusText returns the text WriteStatus writes.
func (ps *Pipes) StatusText() string {
	var b strings.Builder
	_ = ps.WriteStatus(&b) // a strings.Builder does not fail
	return b.String()
}
