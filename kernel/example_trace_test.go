package kernel_test

import (
	"context"
	"fmt"

	"github.com/fasync-go/fasync/kernel"
)

// echoDev tells its asynchronous readers about every write.
type echoDev struct{ async kernel.FasyncList }

func (d *echoDev) Write(ctx context.Context, f *kernel.File, p []byte) (int, error) {
	_ = d.async.Kill(kernel.SIGIO, kernel.POLL_IN)
	return len(p), nil
}

func (d *echoDev) Fasync(fd int, f *kernel.File, on bool) error {
	_, err := d.async.Helper(fd, f, on)
	return err
}

// A driver author traces the notification path of a driver in a test:
// attach a Tracer, run the scenario, read the events (package ktrace
// renders them as text or as a sequence diagram).
func ExampleKernel_Trace() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	tr := kernel.NewTracer(0)
	k.Trace(tr)
	_ = k.Register("echo", &echoDev{})

	t := k.NewTask("reader", kernel.Cred{})
	_, _ = t.Sigaction(kernel.SIGIO, kernel.Sigaction{Handler: func(*kernel.Task, *kernel.SigInfo) {}})
	fd, _ := t.Open(context.Background(), "echo", kernel.O_RDWR)
	_, _ = t.Fcntl(fd, kernel.F_SETOWN, t.Pid())
	_, _ = t.Fcntl(fd, kernel.F_SETFL, kernel.O_RDWR|kernel.FASYNC)
	_, _ = t.Write(context.Background(), fd, []byte("hi"))

	for _, ev := range tr.Events() {
		switch ev.Name {
		case "sys_enter", "sys_exit":
			continue
		}
		fmt.Printf("%s: %s\n", ev.Name, ev.String())
	}
	// Output:
	// fcntl_setown: fd=0 file=echo owner=pid:1
	// fcntl_setfl: fd=0 file=echo old=O_RDWR flags=O_RDWR|FASYNC
	// fasync: fd=0 file=echo on=1 via=fcntl
	// fasync_helper: fd=0 file=echo on=1 result=added entries=1
	// kill_fasync: fd=0 file=echo sig=SIGIO band=POLL_IN entries=1
	// send_sigio: fd=0 file=echo owner=pid:1 comm=reader pid=1 tid=1 sig=SIGIO code=SI_KERNEL band=0 verdict=allowed
	// signal_generate: sig=SIGIO code=SI_KERNEL comm=reader pid=1 tid=1 group=1 result=queued
	// signal_interrupt: file=echo sig=SIGIO comm=reader pid=1 tid=1
	// signal_deliver: sig=SIGIO code=SI_KERNEL action=handler sa_flags=0x0
}
