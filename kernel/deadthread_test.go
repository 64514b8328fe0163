package kernel

import (
	"context"
	"testing"
)

// TestDeadThreadTakesNothing checks S8 and T1: a thread that has exited
// takes no signal of its process's (Sigtimedwait finds nothing), so the
// live thread that waits for it still gets it.
func TestDeadThreadTakesNothing(t *testing.T) {
	k := newKernel(t, Config{})
	main := k.NewTask("main", Cred{})
	set := SigsetOf(SIGUSR1)
	mustMask(t, main, SIG_BLOCK, set)
	th := mustThread(t, main, "worker")
	th.ExitThread()
	if err := k.Kill(main.Pid(), SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if info, err := th.Sigtimedwait(context.Background(), set, 0); err != EAGAIN {
		t.Errorf("S8: an exited thread's Sigtimedwait = %+v, %v; want EAGAIN", info, err)
	}
	if info, err := main.Sigtimedwait(context.Background(), set, 0); err != nil || info.Signo != SIGUSR1 {
		t.Errorf("S8: the live thread's Sigtimedwait = %+v, %v; want SIGUSR1", info, err)
	}
}

// TestDeadThreadHasNoDescriptors checks T1 and T5: a thread that has
// exited uses none of its process's descriptors (EBADF), so a read
// through it takes no data from the device. The same holds for the
// threads of a process a fatal signal has ended, whose table is closed
// on a goroutine of its own.
func TestDeadThreadHasNoDescriptors(t *testing.T) {
	ctx := context.Background()
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	main := k.NewTask("main", Cred{})
	fd := mustOpen(t, main, "pipe", O_RDWR|O_NONBLOCK)
	if _, err := main.Write(ctx, fd, []byte("data")); err != nil {
		t.Fatal(err)
	}
	th := mustThread(t, main, "worker")
	th.ExitThread()
	if n, err := th.Read(ctx, fd, make([]byte, 4)); err != EBADF {
		t.Errorf("T1: an exited thread's Read = %d, %v; want EBADF", n, err)
	}
	if _, err := th.Fcntl(fd, F_GETFL, 0); err != EBADF {
		t.Errorf("T1: an exited thread's Fcntl = %v, want EBADF", err)
	}
	if n, err := main.Read(ctx, fd, make([]byte, 8)); n != 4 || err != nil {
		t.Errorf("T1: the live thread's Read = %d, %v; want the 4 bytes", n, err)
	}
}
