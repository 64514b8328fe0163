package scull

import (
	"fmt"
	"io"
	"strconv"
)

// Status is one device's line of the status view (B10), the information
// LDD3 prints in /proc/scullpipe, plus who waits in the device.
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
	// QueuedReads counts the asynchronous reads (kiocbs, AioRead) queued
	// on the empty buffer. They hold no task, so BlockedReaders leaves
	// them out, but they are readers waiting all the same: the reads of
	// clients of a FUSE export (package devfs) wait here.
	QueuedReads int
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
		QueuedReads:    len(d.aioq),
	}
	d.mu.Unlock()
	s.AsyncReaders = d.readers.Len()
	s.AsyncWriters = d.writers.Len()
	return s
}

// String formats the status as one line of key=value pairs.
func (s Status) String() string {
	return fmt.Sprintf("%s: size=%d allocated=%t held=%d rp=%d wp=%d readers=%d writers=%d "+
		"async-readers=%d async-writers=%d blocked-readers=%d blocked-writers=%d queued-reads=%d",
		s.Name, s.Size, s.Allocated, s.Held, s.ReadPos, s.WritePos, s.Readers, s.Writers,
		s.AsyncReaders, s.AsyncWriters, s.BlockedReaders, s.BlockedWriters, s.QueuedReads)
}

// Status reports every device's status, in device order (B10).
func (ps *Pipes) Status() []Status {
	out := make([]Status, len(ps.pipes))
	for i, p := range ps.pipes {
		out[i] = p.Status()
	}
	return out
}

// statusHeader names the columns of the status text; the async and
// blocked columns each give the reader then the writer count, and queued
// the asynchronous reads waiting for data.
const statusHeader = "device        size  held    rp    wp  readers  writers  async(r/w)  blocked(r/w)  queued\n"

// AppendStatus appends line i of the status text to buf and returns it,
// reporting false (buf unchanged) when there is no line i: line 0 is the
// header, line i the status of device i-1. Each line costs one device's
// lock, whatever the number of devices, so a reader of a large view (a
// status file served a window at a time, as devfs.Options.Status does)
// pays for the lines it reads only; each line is consistent in itself,
// and lines read at different moments show different moments.
func (ps *Pipes) AppendStatus(buf []byte, i int) ([]byte, bool) {
	switch {
	case i == 0:
		return append(buf, statusHeader...), true
	case i < 0 || i > len(ps.pipes):
		return buf, false
	}
	return ps.pipes[i-1].Status().appendLine(buf), true
}

// appendLine appends s as a line of the status text. A device with no
// buffer (nobody has it open) shows "-" for held and the positions.
func (s Status) appendLine(b []byte) []byte {
	b = pad(append(b, s.Name...), 11-len(s.Name))
	b = column(b, strconv.Itoa(s.Size), 7)
	if s.Allocated {
		b = column(b, strconv.Itoa(s.Held), 6)
		b = column(b, strconv.Itoa(s.ReadPos), 6)
		b = column(b, strconv.Itoa(s.WritePos), 6)
	} else {
		b = column(column(column(b, "-", 6), "-", 6), "-", 6)
	}
	b = column(b, strconv.Itoa(s.Readers), 9)
	b = column(b, strconv.Itoa(s.Writers), 9)
	b = column(b, strconv.Itoa(s.AsyncReaders)+"/"+strconv.Itoa(s.AsyncWriters), 12)
	b = column(b, strconv.Itoa(s.BlockedReaders)+"/"+strconv.Itoa(s.BlockedWriters), 14)
	b = column(b, strconv.Itoa(s.QueuedReads), 8)
	return append(b, '\n')
}

// column appends v right-aligned in width columns (at least one space
// before it, as Printf's %*s with a separating space would give).
func column(b []byte, v string, width int) []byte {
	return append(pad(b, max(1, width-len(v))), v...)
}

// pad appends n spaces (none for n <= 0).
func pad(b []byte, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, ' ')
	}
	return b
}

// WriteStatus writes the status view as text, one device per line under a
// header, in the spirit of LDD3's /proc/scullpipe (B10): the lines
// AppendStatus makes, in order.
func (ps *Pipes) WriteStatus(w io.Writer) error {
	_, err := io.WriteString(w, ps.StatusText())
	return err
}

// StatusText returns the text WriteStatus writes.
func (ps *Pipes) StatusText() string {
	var b []byte
	for i, ok := 0, true; ok; i++ {
		b, ok = ps.AppendStatus(b, i)
	}
	return string(b)
}
