package fuseraw_test

import (
	"fmt"
	"os"

	"github.com/fasync-go/fasync/internal/fuseraw"
)

// ExampleMount serves four pipe-like files over the classic transport
// until the file system is unmounted.
func ExampleMount() {
	dir, err := os.MkdirTemp("", "pipes")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := fuseraw.Mount(dir, fuseraw.NewPipeFS(4, 1<<20), fuseraw.Config{Transport: fuseraw.Classic})
	if err != nil {
		fmt.Println(err) // names /dev/fuse or fusermount3 when missing
		return
	}
	fmt.Println("serving", dir, "over", s.Transport())
	// Other processes now use dir/p0..p3; then:
	s.Unmount(true)
}
