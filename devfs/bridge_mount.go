package devfs

import (
	"fmt"
	"log"
	"syscall"

	"github.com/fasync-go/fasync/internal/fuseraw"
)

// startBridge starts the signal bridge for a mount on dir as
// Options.Sigio asks: SigioOn fails when SigioAvailable does, SigioAuto
// then logs once why the mount serves without signals.
func (fsys *FS) startBridge(dir string) error {
	if fsys.opts.Sigio == SigioOff {
		return nil
	}
	logf := fsys.opts.Logf
	if logf == nil {
		logf = log.Printf
	}
	if err := sigioAvailable(); err != nil {
		if fsys.opts.Sigio == SigioOn {
			return fmt.Errorf("sigio on: %w", err)
		}
		logf("devfs: %s: serving without signals (O_ASYNC on its files raises none): %v", dir, err)
		return nil
	}
	fsys.bridge = newBridge(fsys, dir, logf)
	return nil
}

// stopBridge stops the bridge once serving has ended (or never started).
func (fsys *FS) stopBridge() {
	if b := fsys.bridge; b != nil {
		b.close()
	}
}

// sigioValue is XattrSigio's value.
var sigioValue = []byte("1")

// getxattr answers XattrSigio on device files while the bridge runs;
// every other attribute, and every other file, has none (ENODATA).
func (s *server) getxattr(r *fuseraw.Request) {
	n := s.fs.node(r.Header.NodeID)
	if n != nil && n.kind == kindDevice && s.fs.bridge != nil && string(r.Name) == XattrSigio {
		r.ReplyXattr(sigioValue)
		return
	}
	r.ReplyErr(syscall.ENODATA)
}

// listxattr lists XattrSigio on device files while the bridge runs.
func (s *server) listxattr(r *fuseraw.Request) {
	n := s.fs.node(r.Header.NodeID)
	if n != nil && n.kind == kindDevice && s.fs.bridge != nil {
		r.ReplyXattr(append([]byte(XattrSigio), 0))
		return
	}
	r.ReplyXattr(nil)
}
