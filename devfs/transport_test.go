package devfs_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/fusetest"
	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

// R3: when the kernel offers io_uring but the io_uring mount fails, an
// Auto mount says so and serves over the classic transport, and the
// devices work; an explicit URing mount fails with the error.
func TestAutoFallsBackToClassic(t *testing.T) {
	requireFUSE(t)
	fusetest.RequireURing(t) // Auto must choose io_uring first
	defer devfs.BreakURingMounts()()

	t.Run("R3/auto", func(t *testing.T) {
		k := kernel.New(kernel.Config{})
		defer k.Close()
		if _, err := scull.Register(k, scull.Config{Devices: 1, Size: 4000}); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var logged []string
		fsys := devfs.New(k, devfs.Options{Transport: devfs.Auto, Logf: func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			logged = append(logged, fmt.Sprintf(format, args...))
		}})
		dir := t.TempDir()
		m, err := fsys.Mount(dir)
		if err != nil {
			t.Fatalf("auto mount with io_uring failing: %v", err)
		}
		defer m.Close()
		if got := m.Transport(); got != devfs.Classic {
			t.Fatalf("auto mount serves over %v, want classic", got)
		}
		mu.Lock()
		log := strings.Join(logged, "\n")
		mu.Unlock()
		if !strings.Contains(log, "io_uring failed, using classic") || !strings.Contains(log, syscall.ENOMEM.Error()) {
			t.Errorf("log says %q, want the fall back and its reason", log)
		}
		dev := dir + "/scullpipe0"
		if got := run(t, "sh", "-c", "exec 3<>"+dev+"; echo fallback >&3; read l <&3; echo \"$l\""); got != "fallback" {
			t.Fatalf("device after the fall back: %q", got)
		}
	})
	t.Run("R3/uring", func(t *testing.T) {
		k := kernel.New(kernel.Config{})
		defer k.Close()
		fsys := devfs.New(k, devfs.Options{Transport: devfs.URing, Logf: t.Logf})
		dir := t.TempDir()
		m, err := fsys.Mount(dir)
		if err == nil {
			m.Close()
			t.Fatal("explicit io_uring mount succeeded with io_uring failing")
		}
		if !errors.Is(err, syscall.ENOMEM) {
			t.Errorf("explicit io_uring mount: %v, want the ring's error (ENOMEM)", err)
		}
		if mounted(t, dir) {
			t.Errorf("%s still mounted after the failed mount", dir)
		}
	})
}
