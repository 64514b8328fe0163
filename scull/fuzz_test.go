package scull

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/pipe"
)

// FuzzOps decodes its input into a sequence of system calls by three
// tasks on two small scullpipe devices — open, close, dup, fcntl (F_SETFL
// with FASYNC/O_NONBLOCK/O_APPEND, F_SETOWN, F_SETOWN_EX, F_SETSIG), read,
// write, poll, buffer resizes (SetSize or SCULL_P_IOCTSIZE), process
// groups, signals, task exits — and checks after every step that:
//
//   - A4: FASYNC is set on an open file exactly while it is on one of the
//     device's notification lists (each device's async reader and writer
//     counts equal the open readable/writable files with FASYNC set);
//   - B2: a device holds at most size-1 bytes;
//   - B8: a buffer exists exactly while some file has the device open, and
//     the reader and writer counts match the open files;
//   - nothing panics and nothing deadlocks: blocking calls carry a short
//     deadline, and a watchdog fails the run if one step takes too long;
//   - the invariants of masks, threads, fork, exec, epoll and FIFOs that
//     fuzz_more_test.go lists (S1, S5, E5, E7, no goroutine leak).
//
// Run it with: go test -fuzz=FuzzOps ./scull/
func FuzzOps(f *testing.F) {
	for _, seed := range fuzzSeeds {
		f.Add(seed)
	}
	// FUZZOPS_TRACE=1 go test -run FuzzOps/NAME -v logs every step, to
	// read what a failing input did.
	trace := os.Getenv("FUZZOPS_TRACE") != ""
	f.Fuzz(func(t *testing.T, data []byte) {
		goroutines := runtime.NumGoroutine()
		h := newFuzzHarness(t)
		defer func() {
			watchdog := time.AfterFunc(fuzzStepLimit, func() {
				panic(fmt.Sprintf("FuzzOps: kernel Close did not return within %v: deadlock", fuzzStepLimit))
			})
			h.finish(goroutines)
			watchdog.Stop()
		}()
		in := &fuzzInput{data: data}
		for step := 0; step < fuzzMaxSteps && !in.done(); step++ {
			op := in.next() % opCount
			watchdog := time.AfterFunc(fuzzStepLimit, func() {
				panic(fmt.Sprintf("FuzzOps: step %d (op %d) did not return within %v: deadlock", step, op, fuzzStepLimit))
			})
			desc := h.step(op, in)
			watchdog.Stop()
			if trace {
				t.Logf("step %d: %s", step, desc)
			}
			if err := h.check(); err != nil {
				t.Fatalf("after step %d %s: %v", step, desc, err)
			}
		}
	})
}

const (
	fuzzTasks     = 3
	fuzzDevices   = 2
	fuzzMaxFd     = 8 // descriptors looked at per task; opens beyond fail with EMFILE or are never used
	fuzzMaxSteps  = 300
	fuzzStepLimit = 10 * time.Second
	fuzzBlockFor  = 200 * time.Microsecond // deadline of a blocking read, write, poll or pause
)

// fuzzInput hands out the input a byte at a time; past the end it yields 0.
type fuzzInput struct {
	data []byte
	pos  int
}

func (in *fuzzInput) done() bool { return in.pos >= len(in.data) }

func (in *fuzzInput) next() int {
	if in.done() {
		return 0
	}
	in.pos++
	return int(in.data[in.pos-1])
}

// The operations the input chooses among, one byte each, followed by
// argument bytes.
const (
	opOpen        = iota // task, device, flags
	opClose              // task, fd
	opDup                // task, fd
	opSetfl              // task, fd, flags
	opSetown             // task, fd, owner choice
	opSetownEx           // task, fd, type, owner choice
	opSetsig             // task, fd, signal
	opRead               // task, fd, count
	opWrite              // task, fd, count
	opPoll               // task, events
	opSetSize            // device, size
	opSetpgid            // task, group choice
	opKill               // task, target choice, signal
	opPause              // task
	opExit               // task (a fresh task takes its place)
	opSigmask            // thread, how, signal bits (fuzz_more_test.go)
	opSigqueue           // task (sends sigTracked to slot 0's process)
	opThread             // slot, create or end
	opFork               // task, fork / exec a child / end a child
	opEpollCreate        // task, flags
	opEpollCtl           // task, epfd, op, fd, event bits
	opEpollWait          // task, epfd, room and timeout
	opMkfifo             // task, name
	opCount
)

// fuzzHarness is one kernel with the devices and tasks an input drives.
type fuzzHarness struct {
	t     *testing.T
	k     *kernel.Kernel
	pipes *Pipes
	tasks [fuzzTasks]*kernel.Task
	more  *fuzzMore
	// open is the set of files the last successful check saw open.
	open map[*kernel.File]bool
}

func newFuzzHarness(t *testing.T) *fuzzHarness {
	h := &fuzzHarness{t: t, k: kernel.New(kernel.Config{SigPendingMax: 4, FIFO: pipe.NewFIFO}), more: newFuzzMore()}
	ps, err := Register(h.k, Config{Devices: fuzzDevices, Size: 8})
	if err != nil {
		t.Fatal(err)
	}
	h.pipes = ps
	for i := range h.tasks {
		h.spawn(i)
	}
	return h
}

// spawn creates task i. Task 0 handles SIGIO and one real-time signal,
// task 1 only SIGIO, task 2 nothing: a real-time fasync signal aimed at
// task 1 or 2, or a plain SIGIO aimed at task 2, takes the default action
// (SPEC S10) and kills it, closing its files.
func (h *fuzzHarness) spawn(i int) {
	t := h.k.NewTask(fmt.Sprintf("task%d", i), kernel.Cred{UID: i, EUID: i, SUID: i})
	nop := kernel.Sigaction{Handler: func(*kernel.Task, *kernel.SigInfo) {}}
	if i <= 1 {
		t.Sigaction(kernel.SIGIO, nop)
	}
	if i == 0 {
		nop.Flags = kernel.SA_RESTART
		t.Sigaction(kernel.SIGRTMIN+1, nop)
		t.Sigaction(sigTracked, kernel.Sigaction{Handler: h.rtHandler})
		h.more.rtMu.Lock()
		h.more.rtOwner = t
		h.more.sent = map[int]bool{}
		h.more.rtMu.Unlock()
	}
	h.tasks[i] = t
	h.more.threads[i] = nil
}

// task picks a task by the next input byte.
func (h *fuzzHarness) task(in *fuzzInput) *kernel.Task { return h.tasks[in.next()%fuzzTasks] }

// fd picks a descriptor number, usually a small valid-looking one and
// sometimes one out of range.
func fd(in *fuzzInput) int {
	v := in.next()
	if v >= 250 {
		return v - 252 // -2 .. 3 with negatives: EBADF
	}
	return v % fuzzMaxFd
}

// owner picks an F_SETOWN argument: none, a task, a group, or nobody.
func (h *fuzzHarness) owner(in *fuzzInput) int {
	v := in.next()
	t := h.tasks[(v/4)%fuzzTasks]
	switch v % 4 {
	case 0:
		return 0
	case 1:
		return t.Pid()
	case 2:
		return -t.Pgid()
	}
	return 1000 + v // no such process: ESRCH
}

// blocking returns a context for a call that may sleep.
func blocking() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), fuzzBlockFor)
}
