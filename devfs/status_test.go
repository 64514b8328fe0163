package devfs_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fasync-go/fasync/devfs"
)

// B10: the status file's reads, in order or not, in any window size,
// give the text its records make, while a read only makes the records
// its window needs.
func TestStatusReads(t *testing.T) {
	const n = 500
	made := 0
	records := func(buf []byte, i int) ([]byte, bool) {
		if i >= n {
			return buf, false
		}
		made++
		return fmt.Appendf(buf, "record %d %s\n", i, strings.Repeat("x", i%37)), true
	}
	var whole []byte
	for i := 0; i < n; i++ {
		whole, _ = records(whole, i)
	}
	made = 0
	for _, size := range []int{1, 7, 4096, 1 << 20} {
		t.Run(fmt.Sprintf("B10/in-order/window=%d", size), func(t *testing.T) {
			read := devfs.StatusReader(records)
			var got []byte
			buf := make([]byte, size)
			for {
				m := read(buf, uint64(len(got)))
				if m == 0 {
					break
				}
				got = append(got, buf[:m]...)
			}
			if string(got) != string(whole) {
				t.Fatalf("read %d bytes in windows of %d, want the %d of the records", len(got), size, len(whole))
			}
		})
	}
	t.Run("B10/seeks", func(t *testing.T) {
		read := devfs.StatusReader(records)
		buf := make([]byte, 100)
		for _, off := range []int{5000, 20, 5100, len(whole) - 10, len(whole), len(whole) + 5, 0} {
			m := read(buf, uint64(off))
			want := whole[min(off, len(whole)):min(off+100, len(whole))]
			if string(buf[:m]) != string(want) {
				t.Fatalf("read at %d: %q, want %q", off, buf[:m], want)
			}
		}
	})
	t.Run("B10/window-cost", func(t *testing.T) {
		read := devfs.StatusReader(records)
		made = 0
		read(make([]byte, 100), 0)
		if made > 10 {
			t.Fatalf("a 100-byte read at 0 made %d records", made)
		}
	})
}
