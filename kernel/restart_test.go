package kernel

import (
	"context"
	"errors"
	"testing"

	"github.com/fasync-go/fasync/internal/testutil"
)

// TestInterruptedCalls checks SPEC S3 for each blocking call: a signal
// with a handler interrupts it; without SA_RESTART it returns EINTR after
// the handler ran, with SA_RESTART it restarts transparently; the driver
// sees its context cancelled (ERESTARTSYS from Wait).
func TestInterruptedCalls(t *testing.T) {
	type call struct {
		name  string
		start func(ctx context.Context, task *Task, d *pipeDev, fd int) <-chan result
		// finish makes a restarted call complete.
		finish func(t *testing.T, k *Kernel, d *pipeDev)
	}
	write := func(t *testing.T, k *Kernel, d *pipeDev) {
		d.mu.Lock()
		d.buf = append(d.buf, "data"...)
		d.mu.Unlock()
		d.readQ.WakeUp()
	}
	drain := func(t *testing.T, k *Kernel, d *pipeDev) {
		d.mu.Lock()
		d.buf = nil
		d.mu.Unlock()
		d.writeQ.WakeUp()
	}
	calls := []call{
		{"read", func(ctx context.Context, task *Task, d *pipeDev, fd int) <-chan result {
			return goRead(ctx, task, fd, make([]byte, 8))
		}, write},
		{"write", func(ctx context.Context, task *Task, d *pipeDev, fd int) <-chan result {
			d.mu.Lock()
			d.buf = make([]byte, d.capacity())
			d.mu.Unlock()
			return goWrite(ctx, task, fd, []byte("x"))
		}, drain},
	}
	for _, c := range calls {
		for _, restart := range []bool{false, true} {
			name := "S3/" + c.name + "/EINTR"
			if restart {
				name = "S3/" + c.name + "/SA_RESTART"
			}
			t.Run(name, func(t *testing.T) {
				k := newKernel(t, Config{})
				d := newPipe(t, k, "pipe")
				task := k.NewTask("t", Cred{})
				fd := mustOpen(t, task, "pipe", O_RDWR)
				var log sigLog
				flags := 0
				if restart {
					flags = SA_RESTART
				}
				log.handle(t, task, SIGUSR1, flags)
				ch := c.start(context.Background(), task, d, fd)
				waitBlocked(t, task, 1)
				if err := k.Kill(task.Pid(), SIGUSR1); err != nil {
					t.Fatal(err)
				}
				if !restart {
					res := await(t, ch)
					if res.err != EINTR {
						t.Fatalf("%s after signal = %d, %v; want EINTR", c.name, res.n, res.err)
					}
					if len(log.got()) != 1 {
						t.Fatal("the handler had not run when the call returned EINTR")
					}
					return
				}
				testutil.WaitFor(t, "the handler", func() bool { return len(log.got()) == 1 })
				waitBlocked(t, task, 1) // restarted
				c.finish(t, k, d)
				if res := await(t, ch); res.err != nil || res.n == 0 {
					t.Fatalf("restarted %s = %d, %v", c.name, res.n, res.err)
				}
				if len(log.got()) != 1 {
					t.Fatalf("handler ran %d times, want 1", len(log.got()))
				}
			})
		}
	}
}

// TestDriverSeesERESTARTSYS checks that the driver's Wait returns
// ERESTARTSYS on a signal and that the caller never sees it (S3).
func TestDriverSeesERESTARTSYS(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDONLY)
	var log sigLog
	log.handle(t, task, SIGUSR1, 0)
	ch := goRead(context.Background(), task, fd, make([]byte, 4))
	waitBlocked(t, task, 1)
	k.Kill(task.Pid(), SIGUSR1)
	if res := await(t, ch); res.err != EINTR || errors.Is(res.err, ERESTARTSYS) {
		t.Fatalf("S3: Read = %v, want EINTR", res.err)
	}
	if errs := d.waitErrors(); len(errs) != 1 || errs[0] != ERESTARTSYS {
		t.Fatalf("S3: the driver's Wait returned %v, want [ERESTARTSYS]", errs)
	}
}

// TestOpenInterrupted checks S3 for a driver Open that sleeps: EINTR, and
// the half-opened file is discarded without Release.
func TestOpenInterrupted(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	d.openBlocks = true
	task := k.NewTask("t", Cred{})
	var log sigLog
	log.handle(t, task, SIGUSR1, 0)
	ch := make(chan result, 1)
	go func() {
		fd, err := task.Open(context.Background(), "pipe", O_RDONLY)
		ch <- result{fd, err}
	}()
	waitBlocked(t, task, 1)
	k.Kill(task.Pid(), SIGUSR1)
	if res := await(t, ch); res.err != EINTR || res.n != -1 {
		t.Fatalf("S3: Open = %d, %v; want -1, EINTR", res.n, res.err)
	}
	for _, ev := range d.events() {
		if ev == "release" {
			t.Fatal("a file whose Open failed was released")
		}
	}
}

// TestSignalBeforeCall checks that a signal pending when a call starts
// interrupts it at once (the call registers, then checks: S3 without a
// lost interruption), and that an ignored signal interrupts nothing.
func TestSignalBeforeCall(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDONLY)
	var log sigLog
	log.handle(t, task, SIGUSR1, 0)
	k.Kill(task.Pid(), SIGUSR1) // pending: no goroutine of task at a safe point
	if _, err := task.Read(context.Background(), fd, make([]byte, 4)); err != EINTR {
		t.Fatalf("S3: Read with a signal already pending = %v, want EINTR", err)
	}
	// SIGURG and SIGWINCH are ignored by default (S10): they must not
	// disturb a sleeper.
	ctx, cancel := context.WithCancel(context.Background())
	ch := goRead(ctx, task, fd, make([]byte, 4))
	waitBlocked(t, task, 1)
	k.Kill(task.Pid(), SIGURG)
	k.Kill(task.Pid(), SIGWINCH)
	cancel()
	if res := await(t, ch); !errors.Is(res.err, context.Canceled) {
		t.Fatalf("S2/S3: an ignored signal interrupted a Read: %v", res.err)
	}
}

// TestPause checks pause(2): EINTR once a handler ran, the context's
// error when it ends, EBADF when the task exits (S3).
func TestPause(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("t", Cred{})
	var log sigLog
	log.handle(t, task, SIGUSR1, SA_RESTART)

	t.Run("S3/handler-ends-pause", func(t *testing.T) {
		ch := make(chan error, 1)
		go func() { ch <- task.Pause(context.Background()) }()
		waitBlocked(t, task, 1)
		k.Kill(task.Pid(), SIGUSR1)
		if err := (<-ch); err != EINTR {
			t.Fatalf("Pause = %v, want EINTR (even with SA_RESTART)", err)
		}
		if len(log.got()) != 1 {
			t.Fatal("Pause returned before the handler ran")
		}
	})
	t.Run("S3/pending-before-pause", func(t *testing.T) {
		k.Kill(task.Pid(), SIGUSR1)
		if err := task.Pause(context.Background()); err != EINTR {
			t.Fatalf("Pause = %v, want EINTR", err)
		}
	})
	t.Run("S3/context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := task.Pause(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Pause = %v, want context.Canceled", err)
		}
	})
	t.Run("S3/exit", func(t *testing.T) {
		ch := make(chan error, 1)
		go func() { ch <- task.Pause(context.Background()) }()
		waitBlocked(t, task, 1)
		task.Exit()
		if err := (<-ch); err != EBADF {
			t.Fatalf("Pause after Exit = %v, want EBADF", err)
		}
	})
}

// TestSeveralGoroutines checks a task with two goroutines blocked: one
// signal runs its handler once, on one of them (which returns EINTR); the
// other restarts undisturbed (S3 for a multi-threaded process).
func TestSeveralGoroutines(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDONLY)
	var log sigLog
	log.handle(t, task, SIGUSR1, 0)
	ctx := context.Background()
	a := goRead(ctx, task, fd, make([]byte, 1))
	b := goRead(ctx, task, fd, make([]byte, 1))
	waitBlocked(t, task, 2)
	k.Kill(task.Pid(), SIGUSR1)
	first := await(t, func() <-chan result {
		ch := make(chan result, 1)
		go func() {
			select {
			case r := <-a:
				a = nil
				ch <- r
			case r := <-b:
				b = nil
				ch <- r
			}
		}()
		return ch
	}())
	if first.err != EINTR {
		t.Fatalf("first to return: %v, want EINTR", first.err)
	}
	rest := a
	if rest == nil {
		rest = b
	}
	waitBlocked(t, task, 1)
	d.mu.Lock()
	d.buf = append(d.buf, 'x')
	d.mu.Unlock()
	d.readQ.WakeUp()
	if res := await(t, rest); res.err != nil || res.n != 1 {
		t.Fatalf("the other goroutine = %d, %v; want 1 byte", res.n, res.err)
	}
	if n := len(log.got()); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
}

// TestHandlerCallsTask checks that a handler may call its task's methods
// (asynctest reads in its SIGIO handler) and that another signal, which
// the handler's mask leaves unblocked, is delivered at the handler's next
// safe point: handlers nest, as in Linux (SPEC S6).
func TestHandlerCallsTask(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDWR|O_NONBLOCK)
	var order []string
	var inHandler bool
	task.Sigaction(SIGUSR1, Sigaction{Handler: func(tk *Task, _ *SigInfo) {
		inHandler = true
		order = append(order, "usr1-start")
		if _, err := tk.Read(context.Background(), fd, make([]byte, 4)); err != EAGAIN {
			t.Errorf("Read in handler = %v, want EAGAIN", err)
		}
		// Raise another signal: its handler nests in this one.
		tk.Kill(tk.Pid(), SIGUSR2)
		order = append(order, "usr1-end")
		inHandler = false
	}})
	task.Sigaction(SIGUSR2, Sigaction{Handler: func(*Task, *SigInfo) {
		if !inHandler {
			t.Error("S6: SIGUSR2's handler did not nest in SIGUSR1's")
		}
		order = append(order, "usr2")
	}})
	if err := task.Kill(task.Pid(), SIGUSR1); err != nil {
		t.Fatal(err)
	}
	want := []string{"usr1-start", "usr2", "usr1-end"}
	if len(order) != 3 || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] {
		t.Fatalf("order %v, want %v", order, want)
	}
}
