package aio_test

import (
	"context"
	"fmt"

	"github.com/fasync-go/fasync/aio"
)

// An engine with a buffer arena lends page-aligned buffers; on io_uring
// reads into them are fixed-buffer reads (IORING_OP_READ_FIXED), which
// spare the kernel pinning the pages for every request.
func ExampleEngine_Buffer() {
	f, cleanup := exampleFile("registered buffers")
	defer cleanup()
	e, err := aio.New(aio.WithBufferArena(1 << 20))
	if err != nil {
		panic(err)
	}
	defer e.Close()
	buf, err := e.Buffer(4096)
	if err != nil {
		panic(err)
	}
	defer e.ReleaseBuffer(buf)
	r := &aio.Request{Fd: int(f.Fd()), Buf: buf}
	if err := e.Read(r); err != nil {
		panic(err)
	}
	if err := e.Suspend(context.Background(), []*aio.Request{r}, aio.NoTimeout); err != nil {
		panic(err)
	}
	n, err := r.Return()
	fmt.Printf("%d bytes: %q, %v\n", n, buf[:n], err)
	// Output: 18 bytes: "registered buffers", <nil>
}
