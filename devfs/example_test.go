package devfs_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"syscall"

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

// CheckMountDir says why a directory cannot take a mount before anything
// is mounted; Mount applies the same rule.
func ExampleCheckMountDir() {
	_, err := devfs.CheckMountDir("/proc", true)
	fmt.Println(err)
	fmt.Println(errors.Is(err, syscall.EPERM))
	// Output:
	// devfs: cannot mount on "/proc": it is /proc, which the server itself reads: a mount there makes it wait on itself and leaves a dead mount for every process
	// true
}
