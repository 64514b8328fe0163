package kernel

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/fasync-go/fasync/internal/testutil"
)

func TestRegister(t *testing.T) {
	k := newKernel(t, Config{})
	cases := []struct {
		name string
		drv  Driver
		want error
	}{
		{"pipe", &pipeDev{}, nil},
		{"pipe", &pipeDev{}, EEXIST},
		{"", &pipeDev{}, EINVAL},
		{"nil", nil, EINVAL},
		{"a/b", &pipeDev{}, EINVAL},
		{"..", &pipeDev{}, EINVAL},
		{"bare", bareDev{}, nil},
	}
	for _, c := range cases {
		if err := k.Register(c.name, c.drv); err != c.want {
			t.Errorf("Register(%q) = %v, want %v", c.name, err, c.want)
		}
	}
	if got, want := k.Devices(), []string{"bare", "pipe"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Devices() = %v, want %v", got, want)
	}
	if err := k.Unregister("nope"); err != ENOENT {
		t.Errorf("Unregister(nope) = %v, want ENOENT", err)
	}
	if d, ok := k.Device("bare"); !ok || d != (bareDev{}) {
		t.Errorf("Device(bare) = %v, %t", d, ok)
	}
	if _, ok := k.Device("nope"); ok {
		t.Error("Device(nope) found a driver")
	}
	// The sorted list follows every change, and a caller's copy is its own.
	names := k.Devices()
	names[0] = "scribbled"
	if got := k.Devices(); got[0] != "bare" {
		t.Errorf("Devices() after a caller changed its copy = %v", got)
	}
	if err := k.Register("a", bareDev{}); err != nil {
		t.Fatal(err)
	}
	if err := k.Unregister("pipe"); err != nil {
		t.Fatal(err)
	}
	if got, want := k.Devices(), []string{"a", "bare"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Devices() after Register(a), Unregister(pipe) = %v, want %v", got, want)
	}
}

func TestUnregisterKeepsOpenFiles(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDWR)
	if err := k.Unregister("pipe"); err != nil {
		t.Fatal(err)
	}
	if _, err := task.Open(context.Background(), "pipe", O_RDWR); err != ENOENT {
		t.Errorf("Open after Unregister = %v, want ENOENT", err)
	}
	ctx := context.Background()
	if n, err := task.Write(ctx, fd, []byte("abc")); n != 3 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	buf := make([]byte, 8)
	if n, err := task.Read(ctx, fd, buf); n != 3 || err != nil {
		t.Fatalf("Read = %d, %v", n, err)
	}
	if err := task.Close(fd); err != nil {
		t.Fatal(err)
	}
	if got := d.events(); !reflect.DeepEqual(got, []string{"open", "release"}) {
		t.Errorf("driver calls %v", got)
	}
}

func TestOpenErrors(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	ctx := context.Background()
	if _, err := task.Open(ctx, "missing", O_RDONLY); err != ENOENT {
		t.Errorf("unknown device: %v, want ENOENT", err)
	}
	if _, err := task.Open(ctx, "pipe", O_ACCMODE); err != EINVAL {
		t.Errorf("access mode 3: %v, want EINVAL", err)
	}
	d.openErr = EAGAIN
	if _, err := task.Open(ctx, "pipe", O_RDONLY); err != EAGAIN {
		t.Errorf("driver Open error: %v, want EAGAIN", err)
	}
	if got := d.events(); !reflect.DeepEqual(got, []string{"open"}) {
		t.Errorf("a failed Open must not Release: driver calls %v", got)
	}
	if got, _ := task.Open(ctx, "pipe", O_RDONLY|FASYNC); got >= 0 {
		t.Errorf("open succeeded with fd %d after the driver failed", got)
	}
}

func TestDescriptors(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	a := mustOpen(t, task, "pipe", O_RDWR)
	b := mustOpen(t, task, "pipe", O_RDWR)
	if a != 0 || b != 1 {
		t.Fatalf("fds %d, %d; want 0, 1 (lowest free)", a, b)
	}
	if err := task.Close(a); err != nil {
		t.Fatal(err)
	}
	if err := task.Close(a); err != EBADF {
		t.Errorf("double close: %v, want EBADF", err)
	}
	c, err := task.Dup(b)
	if err != nil || c != 0 {
		t.Fatalf("Dup = %d, %v; want 0 (lowest free)", c, err)
	}
	fb, _ := task.File(b)
	fc, _ := task.File(c)
	if fb != fc {
		t.Error("A3: a dup'd descriptor must share the open file description")
	}
	if _, err := task.Dup(99); err != EBADF {
		t.Errorf("Dup(99) = %v, want EBADF", err)
	}
	if _, err := task.File(-1); err != EBADF {
		t.Errorf("File(-1) = %v, want EBADF", err)
	}
	for i := 0; ; i++ {
		if _, err := task.Dup(b); err != nil {
			if err != EMFILE || i+2 != maxFiles {
				t.Fatalf("Dup #%d: %v, want EMFILE after %d descriptors", i, err, maxFiles)
			}
			break
		}
	}
}

func TestAccessMode(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	k.Register("bare", bareDev{})
	task := k.NewTask("t", Cred{})
	ctx := context.Background()
	ro := mustOpen(t, task, "pipe", O_RDONLY)
	wo := mustOpen(t, task, "pipe", O_WRONLY)
	bare := mustOpen(t, task, "bare", O_RDWR)
	buf := make([]byte, 4)
	cases := []struct {
		name string
		op   func() (int, error)
		want error
	}{
		{"write on O_RDONLY", func() (int, error) { return task.Write(ctx, ro, buf) }, EBADF},
		{"read on O_WRONLY", func() (int, error) { return task.Read(ctx, wo, buf) }, EBADF},
		{"read without Reader", func() (int, error) { return task.Read(ctx, bare, buf) }, EINVAL},
		{"write without Writer", func() (int, error) { return task.Write(ctx, bare, buf) }, EINVAL},
		{"read bad fd", func() (int, error) { return task.Read(ctx, 42, buf) }, EBADF},
		{"write bad fd", func() (int, error) { return task.Write(ctx, -1, buf) }, EBADF},
	}
	for _, c := range cases {
		if _, err := c.op(); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// TestBlockingIO checks SPEC M1: a read on an empty device sleeps until a
// write makes progress possible, and a write on a full one until a read.
func TestBlockingIO(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	d.size = 4
	r := k.NewTask("reader", Cred{})
	w := k.NewTask("writer", Cred{})
	rfd := mustOpen(t, r, "pipe", O_RDONLY)
	wfd := mustOpen(t, w, "pipe", O_WRONLY)
	ctx := context.Background()

	t.Run("M1/read-sleeps-until-write", func(t *testing.T) {
		buf := make([]byte, 8)
		ch := goRead(ctx, r, rfd, buf)
		waitBlocked(t, r, 1)
		if n, err := w.Write(ctx, wfd, []byte("hi")); n != 2 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
		if res := await(t, ch); res.err != nil || string(buf[:res.n]) != "hi" {
			t.Fatalf("Read = %q, %v", buf[:res.n], res.err)
		}
	})
	t.Run("M1/write-sleeps-until-read", func(t *testing.T) {
		if n, err := w.Write(ctx, wfd, []byte("full")); n != 4 || err != nil {
			t.Fatalf("filling Write = %d, %v", n, err)
		}
		ch := goWrite(ctx, w, wfd, []byte("more"))
		waitBlocked(t, w, 1)
		buf := make([]byte, 4)
		if n, err := r.Read(ctx, rfd, buf); n != 4 || err != nil {
			t.Fatalf("Read = %d, %v", n, err)
		}
		if res := await(t, ch); res.err != nil || res.n != 4 {
			t.Fatalf("blocked Write = %d, %v", res.n, res.err)
		}
	})
}

// TestNonblockingIO checks SPEC M2: with O_NONBLOCK (at open or through
// F_SETFL) the driver returns EAGAIN instead of sleeping.
func TestNonblockingIO(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	d.size = 2
	task := k.NewTask("t", Cred{})
	ctx := context.Background()
	rfd := mustOpen(t, task, "pipe", O_RDONLY|O_NONBLOCK)
	wfd := mustOpen(t, task, "pipe", O_WRONLY)
	buf := make([]byte, 4)
	if _, err := task.Read(ctx, rfd, buf); !errors.Is(err, EAGAIN) {
		t.Errorf("M2: read on empty with O_NONBLOCK: %v, want EAGAIN", err)
	}
	mustFcntl(t, task, wfd, F_SETFL, O_NONBLOCK)
	if fl := mustFcntl(t, task, wfd, F_GETFL, 0); fl != O_WRONLY|O_NONBLOCK {
		t.Errorf("F_GETFL = %#x, want O_WRONLY|O_NONBLOCK", fl)
	}
	if n, err := task.Write(ctx, wfd, []byte("ab")); n != 2 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if _, err := task.Write(ctx, wfd, []byte("c")); !errors.Is(err, EAGAIN) {
		t.Errorf("M2: write on full with F_SETFL O_NONBLOCK: %v, want EAGAIN", err)
	}
	mustFcntl(t, task, rfd, F_SETFL, 0)
	if n, err := task.Read(ctx, rfd, buf); n != 2 || err != nil {
		t.Errorf("Read after clearing O_NONBLOCK = %d, %v", n, err)
	}
}

// TestCloseWakesBlockedCall checks that closing the descriptor a call is
// blocked on wakes it with EBADF, and that the file is released only when
// the call has let go of it.
func TestCloseWakesBlockedCall(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDWR)
	other := mustOpen(t, task, "pipe", O_RDWR)
	ctx := context.Background()
	blocked := goRead(ctx, task, fd, make([]byte, 4))
	untouched := goRead(ctx, task, other, make([]byte, 4))
	waitBlocked(t, task, 2)
	if err := task.Close(fd); err != nil {
		t.Fatal(err)
	}
	if res := await(t, blocked); res.err != EBADF {
		t.Fatalf("blocked Read after Close = %d, %v; want EBADF", res.n, res.err)
	}
	testutil.WaitFor(t, "release of the closed file", func() bool {
		return len(d.events()) == 3 // open, open, release
	})
	if inFlight(task) != 1 {
		t.Fatal("a call on another descriptor was disturbed")
	}
	if n, err := task.Write(ctx, other, []byte("x")); n != 1 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if res := await(t, untouched); res.err != nil || res.n != 1 {
		t.Fatalf("Read on the other descriptor = %d, %v", res.n, res.err)
	}
}

// TestReadContext checks that the caller's own context ending returns its
// error (errors.Is context.Canceled), never ERESTARTSYS.
func TestReadContext(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDWR)
	ctx, cancel := context.WithCancel(context.Background())
	ch := goRead(ctx, task, fd, make([]byte, 4))
	waitBlocked(t, task, 1)
	cancel()
	if res := await(t, ch); !errors.Is(res.err, context.Canceled) {
		t.Fatalf("Read after cancel: %v, want context.Canceled", res.err)
	}
}
