package devfs

import (
	"sync"
	"syscall"

	"github.com/fasync-go/fasync/internal/fuseraw"
)

// The status file (Options.Status), served as a /proc seq_file is: an
// open holds no text, and each READ makes the records its window covers.

// openStatus allows reading only (the mount does not check permissions,
// so the mode bits alone would not stop root). Options.Status promises
// not to block, so neither does a read of the file.
func (s *server) openStatus(r *fuseraw.Request) {
	if r.Open.Flags&syscall.O_ACCMODE != syscall.O_RDONLY || r.Open.Flags&syscall.O_TRUNC != 0 {
		r.ReplyErr(syscall.EACCES)
		return
	}
	h := &statusHandle{records: s.fs.opts.Status}
	// Direct I/O: the reported size is 0, as for /proc files, and reads
	// must still reach us.
	r.ReplyOpen(s.addHandle(h), fuseraw.FOPEN_DIRECT_IO)
}

// A statusHandle is an open status file. It keeps the text of the
// records the last read reached past its end, so the next read, which
// starts there, goes on from the same record: a reader in order sees
// every record once and whole, at a cost of its window's records. A read
// elsewhere (a seek back) starts again from record 0, as seq_file does.
//
// mu guards the fields below it: the kernel may send reads of one open
// file concurrently.
type statusHandle struct {
	records func(buf []byte, i int) ([]byte, bool)

	mu   sync.Mutex
	text []byte // the file's bytes from offset off, records next-k .. next-1
	off  uint64 // file offset of text[0]
	next int    // the record to make after text
	end  bool   // records has no record next: text runs to the end of the file
}

func (h *statusHandle) read(r *fuseraw.Request) {
	buf := r.DataBuf(int(r.Read.Size)) // the reply area bounds the window too
	r.ReplyData(buf[:h.readAt(buf, r.Read.Offset)])
}

// readAt copies the file's bytes from offset off into buf and reports how
// many it copied (0 at the end).
func (h *statusHandle) readAt(buf []byte, off uint64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if off < h.off {
		h.text, h.off, h.next, h.end = h.text[:0], 0, 0, false
	}
	for !h.end && h.off+uint64(len(h.text)) < off+uint64(len(buf)) {
		if h.off+uint64(len(h.text)) <= off {
			// Wholly before the window: forget it.
			h.off += uint64(len(h.text))
			h.text = h.text[:0]
		}
		var ok bool
		if h.text, ok = h.records(h.text, h.next); ok {
			h.next++
		} else {
			h.end = true
		}
	}
	n := 0
	if off-h.off < uint64(len(h.text)) {
		n = copy(buf, h.text[off-h.off:])
	}
	// Keep only what follows the window, where the next read starts.
	if done := off - h.off + uint64(n); n > 0 {
		h.text = h.text[:copy(h.text, h.text[done:])]
		h.off += done
	}
	return n
}
