package fuseraw_test

import (
	"fmt"
	"os"
	"syscall"

	"github.com/fasync-go/fasync/internal/fuseraw"
)

// emptyDir is the smallest useful Handler: a file system that is one
// empty, read-only directory.
type emptyDir struct{}

func (emptyDir) Handle(r *fuseraw.Request) {
	switch r.Header.Opcode {
	case fuseraw.FUSE_GETATTR:
		out := fuseraw.AttrOut{AttrValid: 1}
		out.Attr = fuseraw.Attr{Ino: fuseraw.FUSE_ROOT_ID, Mode: syscall.S_IFDIR | 0o555, Nlink: 2}
		r.ReplyAttr(&out)
	case fuseraw.FUSE_OPENDIR:
		r.ReplyOpen(0, 0)
	case fuseraw.FUSE_READDIR:
		r.ReplyData(nil) // no entries; "." and ".." are optional
	case fuseraw.FUSE_RELEASEDIR:
		r.ReplyErr(0)
	case fuseraw.FUSE_LOOKUP:
		r.ReplyErr(syscall.ENOENT)
	default:
		r.ReplyErr(syscall.ENOSYS) // no answer is sent to what takes none (FORGET, INTERRUPT)
	}
}

// ExampleMount serves an empty directory over the classic transport
// until the file system is unmounted.
func ExampleMount() {
	dir, err := os.MkdirTemp("", "empty")
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := fuseraw.CheckHost(); err != nil {
		fmt.Println(err) // names /dev/fuse or fusermount3 when missing
		return
	}
	s, err := fuseraw.Mount(dir, emptyDir{}, fuseraw.Config{Transport: fuseraw.Classic})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("serving", dir, "over", s.Transport())
	// Other processes now list dir; then:
	s.Unmount(true)
}
