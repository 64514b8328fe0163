package devfs_test

import (
	"fmt"
	"log"
	"os"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

// Export four scullpipe devices and their status view on a directory;
// processes of the same user can then cat, dd, poll or echo into
// dir/scullpipe0 until Close unmounts (MountWith with AllowOther opens
// them to every user). (Not run as a test: it needs FUSE.)
func ExampleFS_Mount() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	pipes, err := scull.Register(k, scull.Config{}) // LDD3's defaults: 4 × 4000 bytes
	if err != nil {
		log.Fatal(err)
	}
	fsys := devfs.New(k, devfs.Options{Status: pipes.AppendStatus})
	dir, err := os.MkdirTemp("", "scull")
	if err != nil {
		log.Fatal(err)
	}
	m, err := fsys.Mount(dir)
	if err != nil {
		log.Fatal(err) // names /dev/fuse or fusermount3 when one is missing
	}
	fmt.Println("serving", dir)
	// ... processes use dir/scullpipe0 .. dir/scullpipe3 and dir/status ...
	if err := m.Close(); err != nil { // waits for open files to close
		log.Fatal(err)
	}
}

// CheckHost says what the machine lacks before anything is mounted.
func ExampleCheckHost() {
	if err := devfs.CheckHost(); err != nil {
		fmt.Println(err) // e.g. "FUSE unavailable: missing fusermount3 (apt-get install fuse3)"
	}
}
