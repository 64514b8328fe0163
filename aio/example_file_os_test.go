package aio_test

import (
	"archive/zip"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/aio"
)

// ExampleFile_Stat opens a zip archive through a File, as it would be
// opened through an os.File: Stat gives zip.NewReader the size, and
// every entry is read with ReadAt (SPEC C15, C18).
func ExampleFile_Stat() {
	osf, err := os.CreateTemp("", "aio-example-*.zip")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(osf.Name())
	zw := zip.NewWriter(osf)
	w, _ := zw.Create("hello.txt")
	io.WriteString(w, "hello from a zip entry")
	zw.Close()

	f, err := aio.NewFile(osf) // the default engine: as cheap as os.Open
	if err != nil {
		osf.Close()
		fmt.Println(err)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		fmt.Println(err)
		return
	}
	zr, err := zip.NewReader(f, info.Size())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range zr.File {
		rc, _ := e.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		fmt.Printf("%s: %s\n", e.Name, b)
	}
	// Output:
	// hello.txt: hello from a zip entry
}

// ExampleFile_SyscallConn makes a system call the File does not make on
// the File's descriptor: here posix_fadvise, telling the kernel the file
// will be read at random, as a program reading blocks of a large file
// with many goroutines would.
func ExampleFile_SyscallConn() {
	osf, err := os.CreateTemp("", "aio-example-syscallconn")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(osf.Name())
	f, err := aio.NewFile(osf)
	if err != nil {
		osf.Close()
		fmt.Println(err)
		return
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		fmt.Println(err)
		return
	}
	var adviceErr error
	if err := rc.Control(func(fd uintptr) {
		adviceErr = unix.Fadvise(int(fd), 0, 0, unix.FADV_RANDOM)
	}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("fadvise:", adviceErr)
	// Output:
	// fadvise: <nil>
}
