package sigio_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/fasync-go/fasync/sigio"
	"golang.org/x/sys/unix"
)

// A pipe made signal-driven: each write arrives as an event carrying the
// read end's descriptor and POLL_IN.
func ExampleWatcher() {
	w, err := sigio.New(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()

	r, wr, err := os.Pipe()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	defer wr.Close()
	fd, _ := sigio.FdOf(r)
	if err := w.Watch(fd); err != nil {
		fmt.Println(err)
		return
	}
	wr.Write([]byte("hello"))
	e := <-w.Events()
	fmt.Println(e.Fd == fd, e.Band, e.Resync)
	// Output: true POLL_IN false
}

// With a Handler, events are handled on the owner thread as they are read.
func ExampleOptions_handler() {
	got := make(chan sigio.Band, 1)
	w, err := sigio.New(&sigio.Options{Handler: func(e sigio.Event) { got <- e.Band }})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	p := make([]int, 2)
	unix.Pipe2(p, unix.O_NONBLOCK|unix.O_CLOEXEC)
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	w.Watch(p[0])
	unix.Write(p[1], []byte("x"))
	fmt.Println(<-got)
	// Output: POLL_IN
}

// Regular files have no fasync method: Watch says so instead of arming a
// descriptor that would never signal (SPEC R2).
func ExampleWatcher_Watch_regularFile() {
	w, err := sigio.New(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	f, err := os.CreateTemp("", "sigio-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	fd, _ := sigio.FdOf(f)
	err = w.Watch(fd)
	fmt.Println(err != nil, errors.Is(err, sigio.ErrCannotSignal), errors.Is(err, unix.EINVAL))
	// Output: true true true
}

// The seeds' mode: plain SIGIO to the process, no descriptor information.
func ExampleClassic() {
	c := sigio.NewClassic()
	defer c.Close()
	p := make([]int, 2)
	unix.Pipe2(p, unix.O_NONBLOCK|unix.O_CLOEXEC)
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	c.Watch(p[0])
	unix.Write(p[1], []byte("x"))
	fmt.Println(<-c.C)
	// Output: I/O possible
}
