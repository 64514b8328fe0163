package kernel

import (
	"context"
	"math/rand"
	"sync"
	"testing"
	"time"
)

// TestConcurrentOps drives random open/close/dup/fcntl/read/write/poll/
// kill sequences from several goroutines of several tasks at once, then
// checks the invariants: nothing panicked or hung, FASYNC is set exactly
// on the files that are on the notification list (A4), only the man
// page's errors came back (A14), and once every task has exited every
// opened file was released exactly once and the list is empty (A13).
func TestConcurrentOps(t *testing.T) {
	k := newKernel(t, Config{SigPendingMax: 8})
	d := newPipe(t, k, "pipe")
	d.size = 8
	tasks := []*Task{k.NewTask("a", Cred{}), k.NewTask("b", Cred{UID: 1, EUID: 1, SUID: 1})}
	for _, task := range tasks {
		for _, sig := range []int{SIGIO, SIGUSR1, SIGRTMIN} {
			task.Sigaction(sig, Sigaction{Handler: func(*Task, *SigInfo) {}, Flags: SA_RESTART})
		}
	}
	allowed := map[error]bool{nil: true, EBADF: true, EINVAL: true, EAGAIN: true, ESRCH: true,
		EPERM: true, EMFILE: true, EINTR: true, context.DeadlineExceeded: true}
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed))
			task := tasks[seed%2]
			for i := 0; i < 3000; i++ {
				if err := randomOp(rng, k, task, tasks); !allowed[err] {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		}(int64(g))
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatalf("A14: unexpected error %v", err)
	}
	listed := map[*File]bool{}
	for _, e := range d.async.entries() {
		listed[e.file] = true
	}
	for _, task := range tasks {
		task.mu.Lock()
		for _, e := range task.fds {
			if e != nil && (e.file.Flags()&FASYNC != 0) != listed[e.file] {
				t.Errorf("A4: FASYNC %#x on a file listed=%v", e.file.Flags()&FASYNC, listed[e.file])
			}
		}
		task.mu.Unlock()
	}
	for _, task := range tasks {
		task.Exit()
	}
	opens, releases := 0, 0
	for _, ev := range d.events() {
		switch ev {
		case "open":
			opens++
		case "release":
			releases++
		}
	}
	if opens != releases || d.async.Len() != 0 {
		t.Fatalf("A13: %d opens, %d releases, %d still listed", opens, releases, d.async.Len())
	}
}

// randomOp performs one random system call on task.
func randomOp(rng *rand.Rand, k *Kernel, task *Task, tasks []*Task) error {
	fd := rng.Intn(6) - 1
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	buf := make([]byte, rng.Intn(6))
	switch rng.Intn(12) {
	case 0:
		_, err := task.Open(ctx, "pipe", rng.Intn(3)|rng.Intn(2)*O_NONBLOCK)
		return err
	case 1:
		return task.Close(fd)
	case 2:
		_, err := task.Dup(fd)
		return err
	case 3:
		_, err := task.Fcntl(fd, F_SETFL, rng.Intn(2)*FASYNC|rng.Intn(2)*O_NONBLOCK)
		return err
	case 4:
		_, err := task.Fcntl(fd, F_SETOWN, tasks[rng.Intn(2)].Pid()*(1-2*rng.Intn(2)))
		return err
	case 5:
		_, err := task.Fcntl(fd, F_SETSIG, []int{0, SIGRTMIN, SIGUSR1}[rng.Intn(3)])
		return err
	case 6, 7:
		_, err := task.Read(ctx, fd, buf)
		return err
	case 8, 9:
		_, err := task.Write(ctx, fd, buf)
		return err
	case 10:
		_, err := task.Poll(ctx, []PollFd{{Fd: fd, Events: POLLIN | POLLOUT}}, time.Duration(rng.Intn(2))*time.Millisecond)
		return err
	default:
		return task.Kill(tasks[rng.Intn(2)].Pid(), []int{0, SIGUSR1, SIGRTMIN, SIGIO}[rng.Intn(4)])
	}
}
