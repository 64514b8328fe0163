package kernel

import (
	"context"
	"testing"
)

// TestSigchldIgnoredNotSent checks T5 against Linux's do_notify_parent
// and do_notify_parent_cldstop: a parent whose SIGCHLD action is SIG_IGN
// is sent no SIGCHLD at all, so blocking it leaves nothing pending (a C
// program on Linux 6.18 sees sigpending empty after a child's exit and
// stop); SA_NOCLDWAIT with the default action still gets one.
func TestSigchldIgnoredNotSent(t *testing.T) {
	ctx := context.Background()
	k := newKernel(t, Config{})
	sh := k.NewTask("sh", Cred{})
	mustMask(t, sh, SIG_BLOCK, SigsetOf(SIGCHLD))
	sh.Sigaction(SIGCHLD, Sigaction{Ignore: true})
	c := mustFork(t, sh, "exits")
	c.ExitGroup(3)
	if _, _, err := sh.Wait4(ctx, -1, 0); err != ECHILD {
		t.Errorf("T5: Wait4 with SIGCHLD ignored = %v, want ECHILD", err)
	}
	if p := sh.Sigpending(); p.Has(SIGCHLD) {
		t.Error("T5: SIGCHLD pending after a child's exit with SIGCHLD ignored")
	}
	job := mustFork(t, sh, "stops")
	sh.Kill(job.Pid(), SIGSTOP)
	if p := sh.Sigpending(); p.Has(SIGCHLD) {
		t.Error("T5: SIGCHLD pending after a child's stop with SIGCHLD ignored")
	}
	sh.Kill(job.Pid(), SIGKILL)

	sh.Sigaction(SIGCHLD, Sigaction{Flags: SA_NOCLDWAIT})
	c = mustFork(t, sh, "exits")
	c.ExitGroup(3)
	if p := sh.Sigpending(); !p.Has(SIGCHLD) {
		t.Error("T5: no SIGCHLD pending after a child's exit with SA_NOCLDWAIT and SIG_DFL")
	}
}
