package kernel

import (
	"context"
	"testing"
)

// ownerFixture is a process with SIGIO blocked, a second thread, and a
// pipe on which the process asks for SIGIO; another task writes to it.
type ownerFixture struct {
	main, worker *Task
	fd           int
	write        func()
}

func newOwnerFixture(t *testing.T) *ownerFixture {
	t.Helper()
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	main := k.NewTask("server", Cred{})
	mustMask(t, main, SIG_BLOCK, SigsetOf(SIGIO))
	worker := mustThread(t, main, "worker")
	fd := mustOpen(t, main, "pipe", O_RDWR|O_NONBLOCK)
	mustFcntl(t, main, fd, F_SETFL, O_RDWR|O_NONBLOCK|FASYNC)
	writer := k.NewTask("writer", Cred{})
	wfd := mustOpen(t, writer, "pipe", O_WRONLY)
	return &ownerFixture{main: main, worker: worker, fd: fd, write: func() {
		t.Helper()
		if _, err := writer.Write(context.Background(), wfd, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}}
}

// sigioPending reports whether SIGIO is pending for th or its process.
func sigioPending(th *Task) bool { return th.Sigpending().Has(SIGIO) }

// TestOwnerPidNamingThread checks A9 and T2 as Linux's f_getown and
// send_sigio treat F_SETOWN with a thread's id that is not the process's
// (checked with a C program on Linux 6.18): F_GETOWN and F_GETOWN_EX
// report 0, since the id is no process's; notifications go to the
// process while the thread lives, and stop once it has exited.
func TestOwnerPidNamingThread(t *testing.T) {
	fx := newOwnerFixture(t)
	mustFcntl(t, fx.main, fx.fd, F_SETOWN, fx.worker.Tid())
	if got := mustFcntl(t, fx.main, fx.fd, F_GETOWN, 0); got != 0 {
		t.Errorf("A9: F_GETOWN after F_SETOWN(a thread's id) = %d, want 0", got)
	}
	var o FOwnerEx
	if err := fx.main.FcntlOwnerEx(fx.fd, F_GETOWN_EX, &o); err != nil || o != (FOwnerEx{F_OWNER_PID, 0}) {
		t.Errorf("A9: F_GETOWN_EX = %+v, %v; want {F_OWNER_PID 0}", o, err)
	}
	fx.write()
	if !sigioPending(fx.main) {
		t.Fatal("T2: no SIGIO for the process while the named thread lives")
	}
	if _, err := fx.main.Sigtimedwait(context.Background(), SigsetOf(SIGIO), 0); err != nil {
		t.Fatal(err)
	}
	fx.worker.ExitThread()
	fx.write()
	if sigioPending(fx.main) {
		t.Error("T2: SIGIO sent for an owner id whose thread has exited")
	}
}

// TestOwnerAfterExecFromThread checks T2 and T4: a thread other than the
// main one that execs takes the process's id (de_thread), so an
// F_OWNER_TID owner naming the process's id now names it, and one naming
// its old id names no thread.
func TestOwnerAfterExecFromThread(t *testing.T) {
	for _, tc := range []struct {
		name   string
		byPid  bool // the owner names the process's id, else the worker's old id
		wantTo bool // the exec'd thread gets the notification
	}{
		{"pid", true, true},
		{"old-tid", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newOwnerFixture(t)
			id := fx.worker.Tid()
			if tc.byPid {
				id = fx.main.Pid()
			}
			if err := fx.main.FcntlOwnerEx(fx.fd, F_SETOWN_EX, &FOwnerEx{Type: F_OWNER_TID, Pid: id}); err != nil {
				t.Fatal(err)
			}
			if err := fx.worker.Exec("prog"); err != nil {
				t.Fatal(err)
			}
			var o FOwnerEx
			if err := fx.worker.FcntlOwnerEx(fx.fd, F_GETOWN_EX, &o); err != nil {
				t.Fatal(err)
			}
			want := FOwnerEx{F_OWNER_TID, 0}
			if tc.wantTo {
				want.Pid = id
			}
			if o != want {
				t.Errorf("T2: F_GETOWN_EX after the exec = %+v, want %+v", o, want)
			}
			fx.write()
			if got := sigioPending(fx.worker); got != tc.wantTo {
				t.Errorf("T4: SIGIO pending for the exec'd thread = %v, want %v", got, tc.wantTo)
			}
		})
	}
}

// TestOwnerTidExitedMainThread checks T2 as Linux treats an F_OWNER_TID
// owner naming a main thread that has exited while its process lives
// (checked with a C program on Linux 6.18): the thread still exists
// until the process ends, so F_GETOWN_EX and F_GETOWN report its id, but
// no notification reaches the process.
func TestOwnerTidExitedMainThread(t *testing.T) {
	fx := newOwnerFixture(t)
	if err := fx.main.FcntlOwnerEx(fx.fd, F_SETOWN_EX, &FOwnerEx{Type: F_OWNER_TID, Pid: fx.main.Pid()}); err != nil {
		t.Fatal(err)
	}
	fx.main.ExitThread()
	var o FOwnerEx
	if err := fx.worker.FcntlOwnerEx(fx.fd, F_GETOWN_EX, &o); err != nil || o != (FOwnerEx{F_OWNER_TID, fx.main.Pid()}) {
		t.Errorf("T2: F_GETOWN_EX = %+v, %v; want {F_OWNER_TID %d}", o, err, fx.main.Pid())
	}
	if got := mustFcntl(t, fx.worker, fx.fd, F_GETOWN, 0); got != fx.main.Pid() {
		t.Errorf("T2: F_GETOWN = %d, want %d", got, fx.main.Pid())
	}
	fx.write()
	if sigioPending(fx.worker) {
		t.Error("T2: SIGIO reached the process through its exited main thread")
	}
}
