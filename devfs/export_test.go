package devfs

import "github.com/fasync-go/fasync/internal/fuseraw"

// BreakURingMounts makes every io_uring mount fail after mounting, as a
// refused io_uring setup would: its queues are asked for more entries
// than memory can map. restore undoes it.
func BreakURingMounts() (restore func()) {
	orig := mountFUSE
	mountFUSE = func(dir string, h fuseraw.Handler, cfg fuseraw.Config) (*fuseraw.Server, error) {
		if cfg.Transport == fuseraw.URing {
			cfg.RingEntries = 1 << 30 // 132 TiB per queue
		}
		return orig(dir, h, cfg)
	}
	return func() { mountFUSE = orig }
}

// EarlyInterrupts reports how many INTERRUPTs m's server keeps that
// found no request to cancel (yet), for tests that make an INTERRUPT
// overtake its request.
func EarlyInterrupts(m *Mount) int {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	return len(m.s.early)
}

// Lookup reports whether f resolves name in its root directory, as a
// FUSE LOOKUP would, without a mount.
func Lookup(f *FS, name string) bool { return f.lookup(name) != nil }

// StatusReader returns the reader a status file's open gets, for status
// records made by records: ReadAt(buf, off) is what a READ of the file
// at off answers.
func StatusReader(records func([]byte, int) ([]byte, bool)) func(buf []byte, off uint64) int {
	return (&statusHandle{records: records}).readAt
}

// DenySigio makes SigioAvailable fail with err, as it would without the
// privilege to read clients' descriptors. restore undoes it.
func DenySigio(err error) (restore func()) {
	orig := sigioAvailable
	sigioAvailable = func() error { return err }
	return func() { sigioAvailable = orig }
}
