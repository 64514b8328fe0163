package uring_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/fasync-go/fasync/internal/uring"
)

// Available says whether io_uring can be used here, and if not, why.
func ExampleAvailable() {
	if err := uring.Available(); err != nil {
		fmt.Println("no io_uring:", err) // e.g. "... kernel.io_uring_disabled=2 ..."
		return
	}
	fmt.Println("io_uring available")
}

// A raw Ring: prepare SQEs, submit them with one io_uring_enter, reap.
func ExampleSetup() {
	if uring.Available() != nil {
		fmt.Println("3 NOPs done") // nothing to show without io_uring
		return
	}
	r, err := uring.Setup(uring.Config{Entries: 4})
	if err != nil {
		panic(err)
	}
	defer r.Close()
	for i := range 3 {
		r.NextSQE().PrepNop(uint64(i))
	}
	if _, err := r.SubmitAndWait(3); err != nil {
		panic(err)
	}
	var cqes [4]uring.CQE
	fmt.Println(r.Reap(cqes[:]), "NOPs done")
	// Output: 3 NOPs done
}

// A Loop reads a file: Submit from any goroutine, completions arrive at
// the Handler on the loop's own goroutine.
func ExampleNewLoop() {
	name := filepath.Join(os.TempDir(), "uring-example.txt")
	os.WriteFile(name, []byte("hello, io_uring"), 0o600)
	defer os.Remove(name)
	f, _ := os.Open(name)
	defer f.Close()
	if uring.Available() != nil {
		fmt.Println("read 8 bytes: io_uring") // nothing to show without io_uring
		return
	}

	buf := make([]byte, 64) // kept alive, and unmoved, until its completion
	done := make(chan int32, 1)
	l, err := uring.NewLoop(uring.LoopConfig{Entries: 8}, func(userData uint64, res int32, flags uint32) {
		done <- res
	})
	if err != nil {
		panic(err)
	}
	defer l.Close()
	var sqe [1]uring.SQE
	sqe[0].PrepRead(int(f.Fd()), buf, 7, 1)
	if _, err := l.Submit(sqe[:]); err != nil {
		panic(err)
	}
	n := <-done
	fmt.Printf("read %d bytes: %s\n", n, buf[:n])
	// Output: read 8 bytes: io_uring
}
