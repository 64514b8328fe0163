package aio_test

import (
	"fmt"
	"log"

	"github.com/fasync-go/fasync/aio"
)

// An engine says which backend automatic selection chose and why it
// passed over the ones it prefers: in a container whose seccomp profile
// refuses io_uring this prints "linuxaio (uring refused: EPERM)".
func ExampleEngine_BackendReason() {
	e, err := aio.New()
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	if why := e.BackendReason(); why != "" {
		fmt.Printf("%s (%s)\n", e.Backend(), why)
	} else {
		fmt.Println(e.Backend())
	}
}

// WithBackend("linuxaio") forces Linux's native AIO, as automatic
// selection chooses it where io_uring is refused.
func ExampleWithBackend() {
	e, err := aio.New(aio.WithBackend("linuxaio"))
	if err != nil {
		log.Fatal(err) // e.g. io_setup refused by a seccomp filter
	}
	defer e.Close()
	fmt.Println(e.Backend())
	// On a kernel with native AIO this prints "linuxaio".
}
