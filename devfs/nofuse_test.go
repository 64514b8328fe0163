package devfs_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/fuseraw"
)

// R4: devfs and its FUSE layer say "no FUSE" with one sentinel, so
// errors.Is matches whichever layer found it.
func TestErrNoFUSEIsOne(t *testing.T) {
	inner := fmt.Errorf("mount: %w", fuseraw.ErrNoFUSE)
	if !errors.Is(inner, devfs.ErrNoFUSE) {
		t.Fatalf("%v is not devfs.ErrNoFUSE", inner)
	}
	if err := devfs.CheckHost(); err != nil && !errors.Is(err, fuseraw.ErrNoFUSE) {
		t.Fatalf("CheckHost: %v, want nil or an ErrNoFUSE", err)
	}
}
