package aio_test

import (
	"fmt"
	"os"
	"sync"

	"github.com/fasync-go/fasync/aio"
)

// ExampleFile reads a file from eight goroutines at once through a File:
// each ReadAt blocks only its goroutine, and the reads that arrive
// together reach the kernel together (SPEC C15, C16).
func ExampleFile() {
	osf, err := os.CreateTemp("", "aio-example-file")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(osf.Name())
	osf.WriteString("0123456789abcdef")
	f, err := aio.NewFile(osf) // the default engine; Close closes osf
	if err != nil {
		osf.Close()
		fmt.Println(err)
		return
	}
	defer f.Close()

	parts := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() {
			parts[i] = make([]byte, 2)
			if _, err := f.ReadAt(parts[i], int64(2*i)); err != nil {
				fmt.Println(err)
			}
		})
	}
	wg.Wait()
	fmt.Printf("%s\n", parts)

	// At the end of the file, ReadAt says so as io.ReaderAt does.
	p := make([]byte, 4)
	n, err := f.ReadAt(p, 14)
	fmt.Println(n, err)
	// Output:
	// [01 23 45 67 89 ab cd ef]
	// 2 EOF
}
