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
