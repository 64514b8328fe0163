package devfs_test

import (
	"fmt"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/kernel"
)

// lookupSizes are the device counts the lookup benchmarks compare: the
// cost of a lookup must not grow with them.
var lookupSizes = []int{10, 10_000, 200_000}

// kernelWith returns a kernel with n devices named dev0 .. dev<n-1>, each
// a driver with no operations.
func kernelWith(tb testing.TB, n int) *kernel.Kernel {
	tb.Helper()
	k := kernel.New(kernel.Config{})
	tb.Cleanup(func() { k.Close() })
	for i := range n {
		if err := k.Register("dev"+strconv.Itoa(i), struct{}{}); err != nil {
			tb.Fatal(err)
		}
	}
	return k
}

// BenchmarkLookup resolves a name in the file system, in process (no
// FUSE round trip): a device in the middle of the table, and a name that
// is not there, with 10, 10k and 200k devices. R3.
func BenchmarkLookup(b *testing.B) {
	for _, n := range lookupSizes {
		fsys := devfs.New(kernelWith(b, n), devfs.Options{})
		for _, c := range []struct{ what, name string }{{"hit", "dev" + strconv.Itoa(n/2)}, {"miss", "nosuch"}} {
			b.Run(fmt.Sprintf("devices=%d/%s", n, c.what), func(b *testing.B) {
				want := c.what == "hit"
				for b.Loop() {
					if devfs.Lookup(fsys, c.name) != want {
						b.Fatalf("lookup of %s: found %t", c.name, !want)
					}
				}
			})
		}
	}
}

// BenchmarkStatMissing makes stat(2) of a name that is not there through
// a classic mount of 10, 10k and 200k devices: each is one FUSE LOOKUP
// round trip (ENOENT is not cached). R3.
func BenchmarkStatMissing(b *testing.B) {
	for _, n := range lookupSizes {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			e := mountKernel(b, devfs.Classic, kernelWith(b, n), nil)
			path := filepath.Join(e.Dir, "nosuch")
			var st syscall.Stat_t
			for b.Loop() {
				if err := syscall.Stat(path, &st); err != syscall.ENOENT {
					b.Fatalf("stat %s: %v, want ENOENT", path, err)
				}
			}
		})
	}
}
