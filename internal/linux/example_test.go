package linux_test

import (
	"fmt"

	"github.com/fasync-go/fasync/internal/linux"
)

// BandMask gives the si_band Linux sends with each si_code, and BandOf
// reads it back.
func ExampleBandMask() {
	fmt.Printf("%#x\n", linux.BandMask(linux.POLL_IN))
	b, ok := linux.BandOf(0x304)
	fmt.Println(b == linux.POLL_OUT, ok)
	// Output:
	// 0x41
	// true true
}
