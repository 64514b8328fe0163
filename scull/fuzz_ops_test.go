package scull

import (
	"context"
	"fmt"
	"time"

	"github.com/fasync-go/fasync/kernel"
)

// step decodes and runs one operation and describes it for failure
// messages. Errors from the calls are expected (bad descriptors, EAGAIN,
// deadlines, dead tasks): the invariants, not the return values, are what
// FuzzOps checks.
func (h *fuzzHarness) step(op int, in *fuzzInput) string {
	switch op {
	case opOpen:
		t, dev, fl := h.task(in), in.next(), in.next()
		name := devName(dev)                                // scullpipe2 does not exist: ENOENT
		flags := fl%4 | (fl&4)<<9 | (fl&8)<<10 | (fl&16)<<6 // access mode (3 = EINVAL), O_NONBLOCK, FASYNC, O_APPEND
		ctx, cancel := blocking()
		defer cancel()
		fd, err := t.Open(ctx, name, flags)
		h.limit(t, fd, err)
		return fmt.Sprintf("open(%s, %s, %#x) = %d, %v", t.Name(), name, flags, fd, err)
	case opClose:
		t, n := h.task(in), fd(in)
		return fmt.Sprintf("close(%s, %d) = %v", t.Name(), n, t.Close(n))
	case opDup:
		t, n := h.task(in), fd(in)
		nfd, err := t.Dup(n)
		h.limit(t, nfd, err)
		return fmt.Sprintf("dup(%s, %d) = %d, %v", t.Name(), n, nfd, err)
	case opSetfl:
		t, n, fl := h.task(in), fd(in), in.next()
		arg := (fl&1)<<11 | (fl&2)<<12 | (fl&4)<<8 | (fl>>3)%4 // O_NONBLOCK, FASYNC, O_APPEND, access bits (ignored)
		_, err := t.Fcntl(n, kernel.F_SETFL, arg)
		return fmt.Sprintf("fcntl(%s, %d, F_SETFL, %#x) = %v", t.Name(), n, arg, err)
	case opSetown:
		t, n, o := h.task(in), fd(in), h.owner(in)
		_, err := t.Fcntl(n, kernel.F_SETOWN, o)
		return fmt.Sprintf("fcntl(%s, %d, F_SETOWN, %d) = %v", t.Name(), n, o, err)
	case opSetownEx:
		t, n, typ, o := h.task(in), fd(in), in.next()%4, h.owner(in) // type 3: EINVAL
		ex := kernel.FOwnerEx{Type: typ, Pid: max(o, -o)}
		err := t.FcntlOwnerEx(n, kernel.F_SETOWN_EX, &ex)
		return fmt.Sprintf("fcntl(%s, %d, F_SETOWN_EX, %+v) = %v", t.Name(), n, ex, err)
	case opSetsig:
		t, n, v := h.task(in), fd(in), in.next()
		sig := []int{0, kernel.SIGIO, kernel.SIGRTMIN + 1, kernel.SIGRTMIN + 2, 65, -1}[v%6]
		_, err := t.Fcntl(n, kernel.F_SETSIG, sig)
		return fmt.Sprintf("fcntl(%s, %d, F_SETSIG, %d) = %v", t.Name(), n, sig, err)
	case opRead:
		t, n, count := h.task(in), fd(in), in.next()%16
		ctx, cancel := blocking()
		defer cancel()
		got, err := t.Read(ctx, n, make([]byte, count))
		return fmt.Sprintf("read(%s, %d, %d) = %d, %v", t.Name(), n, count, got, err)
	case opWrite:
		t, n, count := h.task(in), fd(in), in.next()%16
		ctx, cancel := blocking()
		defer cancel()
		got, err := t.Write(ctx, n, make([]byte, count))
		return fmt.Sprintf("write(%s, %d, %d) = %d, %v", t.Name(), n, count, got, err)
	case opPoll:
		return h.poll(in)
	case opSetSize:
		dev, v := in.next()%fuzzDevices, in.next()
		size := v % 12 // 0 and 1: EINVAL
		if v >= 128 {
			return h.ioctlSize(dev, size) // the same change through SCULL_P_IOCTSIZE (I2)
		}
		return fmt.Sprintf("SetSize(%d, %d) = %v", dev, size, h.pipes.Pipe(dev).SetSize(size))
	case opSetpgid:
		t, v := h.task(in), in.next()
		pgid := []int{0, h.tasks[0].Pgid(), h.tasks[1].Pid(), 4242}[v%4] // 4242: EPERM (no such group)
		return fmt.Sprintf("setpgid(%s, %d) = %v", t.Name(), pgid, t.Setpgid(pgid))
	case opKill:
		t, o, v := h.task(in), h.owner(in), in.next()
		sig := []int{0, kernel.SIGIO, kernel.SIGRTMIN + 1, kernel.SIGUSR1}[v%4]
		return fmt.Sprintf("kill(%s, %d, %d) = %v", t.Name(), o, sig, t.Kill(o, sig))
	case opPause:
		t := h.task(in)
		ctx, cancel := blocking()
		defer cancel()
		return fmt.Sprintf("pause(%s) = %v", t.Name(), t.Pause(ctx))
	case opExit:
		i := in.next() % fuzzTasks
		h.tasks[i].Exit()
		// With threads the process's files close as its last thread
		// goes, maybe after Exit returns: check waits for them.
		h.more.exited = append(h.more.exited, h.tasks[i])
		h.spawn(i)
		return fmt.Sprintf("exit(task%d) and respawn", i)
	}
	return h.stepMore(op, in)
}

// ioctlSize resizes device dev with SCULL_P_IOCTSIZE on the first open
// descriptor of it a task holds (SetSize when none does), and checks
// that SCULL_P_IOCQSIZE then reports what Size does (I2, B1).
func (h *fuzzHarness) ioctlSize(dev, size int) string {
	for _, t := range h.tasks {
		for fd := range fuzzMaxFd {
			f, err := t.File(fd)
			if err != nil || f.Name() != DeviceName(dev) {
				continue
			}
			ctx, cancel := blocking()
			defer cancel()
			_, err = t.Ioctl(ctx, fd, SCULL_P_IOCTSIZE, kernel.IoctlArg{Value: uintptr(size)})
			q, qerr := t.Ioctl(ctx, fd, SCULL_P_IOCQSIZE, kernel.IoctlArg{})
			if qerr == nil && q != h.pipes.Pipe(dev).Size() {
				h.t.Errorf("I2: SCULL_P_IOCQSIZE = %d, Size() = %d", q, h.pipes.Pipe(dev).Size())
			}
			return fmt.Sprintf("ioctl(%s, %d, SCULL_P_IOCTSIZE, %d) = %v", t.Name(), fd, size, err)
		}
	}
	return fmt.Sprintf("SetSize(%d, %d) = %v", dev, size, h.pipes.Pipe(dev).SetSize(size))
}

// limit closes a descriptor the harness does not look at, so check sees
// every open file.
func (h *fuzzHarness) limit(t *kernel.Task, fd int, err error) {
	if err == nil && fd >= fuzzMaxFd {
		t.Close(fd)
	}
}

// poll polls every descriptor slot of a task, with timeout 0 or a short
// one.
func (h *fuzzHarness) poll(in *fuzzInput) string {
	t, ev, v := h.task(in), in.next(), in.next()
	fds := make([]kernel.PollFd, fuzzMaxFd)
	for i := range fds {
		fds[i] = kernel.PollFd{Fd: i, Events: int16(ev)}
	}
	timeout := time.Duration(0)
	if v%2 == 1 {
		timeout = fuzzBlockFor
	}
	n, err := t.Poll(context.Background(), fds, timeout)
	for _, p := range fds {
		if f, err := t.File(p.Fd); err != nil || !isScull(f) {
			continue // a FIFO or an epoll file may report them
		}
		if p.Revents&(kernel.POLLHUP|kernel.POLLERR) != 0 {
			h.t.Errorf("B7: poll reported %#x on fd %d", p.Revents, p.Fd)
		}
	}
	return fmt.Sprintf("poll(%s, events %#x, %v) = %d, %v", t.Name(), ev, timeout, n, err)
}

// devCounts is what the open files say a device's status should show.
type devCounts struct{ readers, writers, asyncReaders, asyncWriters int }

// check verifies the invariants (see FuzzOps). A task killed by a signal
// has its files closed on a goroutine of the kernel's, so while any task
// is dead the check is retried for a while before it counts as failed.
func (h *fuzzHarness) check() error {
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := h.checkOnce()
		if err == nil {
			h.noteClosed(h.open)
			h.more.exited = nil
		}
		if err == nil || time.Now().After(deadline) || !h.anyDead() {
			return err
		}
		time.Sleep(50 * time.Microsecond)
	}
}

func (h *fuzzHarness) anyDead() bool {
	if len(h.more.exited) > 0 {
		return true
	}
	for _, t := range h.processes() {
		if !t.Alive() {
			return true
		}
	}
	return false
}

func (h *fuzzHarness) checkOnce() error {
	want := map[string]*devCounts{}
	seen := map[*kernel.File]bool{}
	for _, t := range h.processes() {
		for fd := range fuzzMaxFd {
			f, err := t.File(fd)
			if err != nil || seen[f] {
				continue // dup'd descriptors share one file (A3)
			}
			seen[f] = true
			c := want[f.Name()]
			if c == nil {
				c = &devCounts{}
				want[f.Name()] = c
			}
			async := f.Flags()&kernel.FASYNC != 0
			if f.Readable() {
				c.readers++
				if async {
					c.asyncReaders++
				}
			}
			if f.Writable() {
				c.writers++
				if async {
					c.asyncWriters++
				}
			}
		}
	}
	h.open = seen
	readers, writers := map[string]int{}, map[string]int{}
	for name, c := range want {
		readers[name], writers[name] = c.readers, c.writers
	}
	if err := h.checkFIFOs(readers, writers); err != nil {
		return err
	}
	for _, s := range h.pipes.Status() {
		c := want[s.Name]
		if c == nil {
			c = &devCounts{}
		}
		got := devCounts{s.Readers, s.Writers, s.AsyncReaders, s.AsyncWriters}
		switch {
		case got.asyncReaders != c.asyncReaders || got.asyncWriters != c.asyncWriters:
			return fmt.Errorf("A4: %s lists %d/%d async readers/writers, open files with FASYNC: %d/%d",
				s.Name, got.asyncReaders, got.asyncWriters, c.asyncReaders, c.asyncWriters)
		case got.readers != c.readers || got.writers != c.writers:
			return fmt.Errorf("B8: %s counts %d/%d readers/writers, open files: %d/%d",
				s.Name, got.readers, got.writers, c.readers, c.writers)
		case s.Held > s.Size-1:
			return fmt.Errorf("B2: %s holds %d bytes in a %d-byte buffer", s.Name, s.Held, s.Size)
		case s.Allocated != (c.readers+c.writers > 0) || !s.Allocated && s.Held != 0:
			return fmt.Errorf("B8: %s allocated=%v held=%d with %d open files", s.Name, s.Allocated, s.Held, c.readers+c.writers)
		case s.BlockedReaders != 0 || s.BlockedWriters != 0:
			return fmt.Errorf("%s: %d/%d tasks still asleep with no call running", s.Name, s.BlockedReaders, s.BlockedWriters)
		}
	}
	return nil
}
