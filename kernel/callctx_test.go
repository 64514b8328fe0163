package kernel

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/fasync-go/fasync/internal/testutil"
)

// ctxDev is a driver whose Read sleeps on its context in one of several
// ways a driver might, then reports what it saw: the cause context.Cause
// gave and the context itself (kept to check it after the call).
type ctxDev struct {
	mode string // "wait", "done", "derived", "afterfunc"
	q    WaitQueue

	mu     sync.Mutex
	causes []error
	ctxs   []context.Context
}

func (d *ctxDev) Read(ctx context.Context, f *File, p []byte) (int, error) {
	var err error
	switch d.mode {
	case "wait": // the kernel's fast path: Wait never makes a Done channel
		err = d.q.Wait(ctx, nil, func() bool { return false })
	case "done": // a driver selecting on Done itself
		<-ctx.Done()
		err = ctx.Err()
	case "derived": // a context derived from the call's
		dctx, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		<-dctx.Done()
		err = dctx.Err()
	case "afterfunc":
		fired := make(chan struct{})
		context.AfterFunc(ctx, func() { close(fired) })
		<-fired
		err = ctx.Err()
	}
	d.mu.Lock()
	d.causes = append(d.causes, context.Cause(ctx))
	d.ctxs = append(d.ctxs, ctx)
	d.mu.Unlock()
	return 0, err
}

// seen returns what the driver recorded.
func (d *ctxDev) seen() ([]error, []context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]error(nil), d.causes...), append([]context.Context(nil), d.ctxs...)
}

// errCaller is the cause the caller cancels its own context with.
var errCaller = errors.New("caller gave up")

// TestCallContext checks that a driver's context behaves as a
// context.WithCancelCause child of the caller's that the kernel cancels,
// however the driver sleeps on it (WaitQueue.Wait's fast path, Done, a
// derived context, context.AfterFunc): each interruption ends the call
// with the error the contract gives (S3: EINTR; a closed descriptor or an
// exiting task: EBADF; the caller's ctx: its error), context.Cause tells
// the driver why, and once the call has returned its context is done.
func TestCallContext(t *testing.T) {
	interruptions := []struct {
		name      string
		interrupt func(k *Kernel, task *Task, fd int, cancel context.CancelCauseFunc)
		want      error // what Read returns
		cause     error // what context.Cause told the driver
	}{
		{"S3/signal", func(k *Kernel, task *Task, _ int, _ context.CancelCauseFunc) { k.Kill(task.Pid(), SIGUSR1) }, EINTR, errSignal},
		{"close", func(_ *Kernel, task *Task, fd int, _ context.CancelCauseFunc) { task.Close(fd) }, EBADF, EBADF},
		{"exit", func(_ *Kernel, task *Task, _ int, _ context.CancelCauseFunc) { task.Exit() }, EBADF, EBADF},
		{"kernel-close", func(k *Kernel, _ *Task, _ int, _ context.CancelCauseFunc) { k.Close() }, EBADF, EBADF},
		{"caller-ctx", func(_ *Kernel, _ *Task, _ int, cancel context.CancelCauseFunc) { cancel(errCaller) }, context.Canceled, errCaller},
	}
	for _, mode := range []string{"wait", "done", "derived", "afterfunc"} {
		for _, in := range interruptions {
			t.Run(in.name+"/"+mode, func(t *testing.T) {
				k := newKernel(t, Config{})
				d := &ctxDev{mode: mode}
				k.Register("ctx", d)
				task := k.NewTask("t", Cred{})
				var log sigLog
				log.handle(t, task, SIGUSR1, 0)
				fd := mustOpen(t, task, "ctx", O_RDONLY)
				ctx, cancel := context.WithCancelCause(context.Background())
				defer cancel(nil)
				ch := goRead(ctx, task, fd, make([]byte, 1))
				waitBlocked(t, task, 1)
				in.interrupt(k, task, fd, cancel)
				if res := await(t, ch); !errors.Is(res.err, in.want) {
					t.Fatalf("Read = %v, want %v", res.err, in.want)
				}
				causes, ctxs := d.seen()
				if len(causes) != 1 || causes[0] != in.cause {
					t.Fatalf("the driver's context.Cause = %v, want [%v]", causes, in.cause)
				}
				// The driver asked for Cause, so its context is a real one
				// that the kernel never reuses: done for good.
				select {
				case <-ctxs[0].Done():
				default:
					t.Fatal("the call's context is not done after the call")
				}
				if ctxs[0].Err() == nil {
					t.Fatal("the call's context has no error after the call")
				}
			})
		}
	}
}

// TestCallContextReuse checks the per-call records a task recycles: calls
// made after an interrupted one start uninterrupted, a context a driver
// made real (Done) stays done while later calls run, and a record the
// kernel reuses serves each call with that call's own caller context
// (S3, M1).
func TestCallContextReuse(t *testing.T) {
	k := newKernel(t, Config{})
	d := &ctxDev{mode: "done"}
	k.Register("ctx", d)
	k.Register("nop", nopDev{})
	task := k.NewTask("t", Cred{})
	var log sigLog
	log.handle(t, task, SIGUSR1, 0)
	fd := mustOpen(t, task, "ctx", O_RDONLY)
	nop := mustOpen(t, task, "nop", O_RDWR)
	ch := goRead(context.Background(), task, fd, make([]byte, 1))
	waitBlocked(t, task, 1)
	k.Kill(task.Pid(), SIGUSR1)
	if res := await(t, ch); res.err != EINTR {
		t.Fatalf("S3: Read = %v, want EINTR", res.err)
	}
	_, ctxs := d.seen()
	for i := 0; i < 2*maxFreeCalls; i++ {
		if n, err := task.Read(context.Background(), nop, make([]byte, 3)); n != 3 || err != nil {
			t.Fatalf("M1: Read after an interrupted call = %d, %v", n, err)
		}
	}
	if err := ctxs[0].Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("the interrupted call's context after later calls: Err = %v", err)
	}
	if cause := context.Cause(ctxs[0]); cause != errSignal {
		t.Fatalf("the interrupted call's context after later calls: Cause = %v", cause)
	}
	// A reused record carries the new caller's context, not an old one.
	e := &errDev{}
	k.Register("err", e)
	efd := mustOpen(t, task, "err", O_RDONLY)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := task.Read(done, efd, make([]byte, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read with a cancelled ctx = %v, want context.Canceled", err)
	}
	if n, err := task.Read(context.Background(), efd, make([]byte, 1)); n != 1 || err != nil {
		t.Fatalf("Read with a live ctx after one with a cancelled ctx = %d, %v", n, err)
	}
}

// TestCloseInterruptsOnlyItsCalls checks that closing one descriptor
// ends the calls blocked on it with EBADF and leaves the task's other
// blocked calls asleep (the call registry keeps each call's descriptor).
func TestCloseInterruptsOnlyItsCalls(t *testing.T) {
	k := newKernel(t, Config{})
	a := newPipe(t, k, "a")
	newPipe(t, k, "b")
	task := k.NewTask("t", Cred{})
	ctx := context.Background()
	fa := mustOpen(t, task, "a", O_RDONLY)
	fb := mustOpen(t, task, "b", O_RDONLY)
	onA := []<-chan result{goRead(ctx, task, fa, make([]byte, 1)), goRead(ctx, task, fa, make([]byte, 1))}
	onB := []<-chan result{goRead(ctx, task, fb, make([]byte, 1)), goRead(ctx, task, fb, make([]byte, 1))}
	waitBlocked(t, task, 4)
	if err := task.Close(fb); err != nil {
		t.Fatal(err)
	}
	for _, ch := range onB {
		if res := await(t, ch); res.err != EBADF {
			t.Fatalf("Read on the closed descriptor = %v, want EBADF", res.err)
		}
	}
	testutil.WaitFor(t, "the closed descriptor's calls to leave", func() bool { return inFlight(task) == 2 })
	a.mu.Lock()
	a.buf = append(a.buf, "xy"...)
	a.mu.Unlock()
	a.readQ.WakeUp()
	for _, ch := range onA {
		if res := await(t, ch); res.err != nil || res.n != 1 {
			t.Fatalf("Read on the open descriptor = %d, %v; want 1 byte", res.n, res.err)
		}
	}
}

// TestCallAllocs checks that a read or write the driver completes at once
// allocates nothing in the kernel's call layer (M1, M2: the per-call
// bookkeeping that lets S3 interrupt a call is recycled, not allocated).
func TestCallAllocs(t *testing.T) {
	k := newKernel(t, Config{})
	k.Register("nop", nopDev{})
	k.Register("err", errDev{})
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "nop", O_RDWR)
	efd := mustOpen(t, task, "err", O_RDONLY)
	buf := make([]byte, 16)
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cases := []struct {
		name string
		op   func()
	}{
		{"M1/read", func() { task.Read(context.Background(), fd, buf) }},
		{"M1/write", func() { task.Write(context.Background(), fd, buf) }},
		{"M1/read-cancellable-ctx", func() { task.Read(cctx, fd, buf) }},
		{"M1/driver-reads-Err", func() { task.Read(cctx, efd, buf) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := testing.AllocsPerRun(1000, c.op); got != 0 {
				t.Fatalf("%v allocations per call, want 0", got)
			}
		})
	}
}

// TestRecycledCallsUnderSignals races interruptions against calls that
// begin, sleep, end and recycle their records: two reader goroutines of
// one task read a pipe while a writer task fills it and a third
// goroutine keeps signalling the readers' task and closing and reopening
// a descriptor the readers do not use. As many bytes arrive as were sent,
// every failed read is EINTR (S3), and nothing hangs (no interruption or
// wake-up lost to a reused record).
func TestRecycledCallsUnderSignals(t *testing.T) {
	const total = 4000
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	d.size = 16
	newPipe(t, k, "other")
	readers := k.NewTask("readers", Cred{})
	writer := k.NewTask("writer", Cred{})
	var signaller sync.WaitGroup
	readers.Sigaction(SIGUSR1, Sigaction{Handler: func(*Task, *SigInfo) {}})
	rfd := mustOpen(t, readers, "pipe", O_RDONLY)
	wfd := mustOpen(t, writer, "pipe", O_WRONLY)
	ctx := context.Background()

	var mu sync.Mutex
	got := 0
	done := make(chan error, 2)
	for range 2 {
		go func() {
			buf := make([]byte, 3)
			for {
				mu.Lock()
				finished := got >= total
				mu.Unlock()
				if finished {
					done <- nil
					return
				}
				n, err := readers.Read(ctx, rfd, buf)
				if err != nil && err != EINTR {
					done <- err
					return
				}
				mu.Lock()
				got += n
				mu.Unlock()
				// A reader still asleep once the other has read the last
				// byte is woken by the signaller's next SIGUSR1.
			}
		}()
	}
	stop := make(chan struct{})
	signaller.Add(1)
	go func() { // interruptions at arbitrary moments
		defer signaller.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			k.Kill(readers.Pid(), SIGUSR1)
			if fd, err := readers.Open(ctx, "other", O_RDONLY); err == nil {
				readers.Close(fd)
			}
		}
	}()
	wrote := make(chan error, 1)
	go func() {
		for sent := 0; sent < total; {
			n, err := writer.Write(ctx, wfd, []byte("abcde")[:min(5, total-sent)])
			if err != nil {
				wrote <- err
				return
			}
			sent += n
		}
		wrote <- nil
	}()
	if res := await(t, func() <-chan result {
		ch := make(chan result, 1)
		go func() { ch <- result{0, <-wrote} }()
		return ch
	}()); res.err != nil {
		t.Fatalf("writer: %v", res.err)
	}
	for range 2 {
		res := await(t, func() <-chan result {
			ch := make(chan result, 1)
			go func() { ch <- result{0, <-done} }()
			return ch
		}())
		if res.err != nil {
			t.Fatalf("S3: reader: %v, want only EINTR", res.err)
		}
	}
	close(stop)
	signaller.Wait()
	mu.Lock()
	defer mu.Unlock()
	if got != total {
		t.Fatalf("read %d bytes, want %d", got, total)
	}
}
