package kernel

import (
	"context"
	"math"
	"testing"
	"time"
)

// TestPollBadInput checks SPEC E1, E2 and E7 with A14: select, epoll and
// mknod answer nonsense with Linux's errno and never panic.
func TestPollBadInput(t *testing.T) {
	k := newKernel(t, Config{})
	task := k.NewTask("t", Cred{})
	ctx := context.Background()
	ep, _ := task.EpollCreate1(0)
	zero := time.Duration(0)
	//lint:ignore SA1012 a nil ctx is the bad input under test
	if _, err := task.Select(nil, 1, nil, nil, nil, &zero); err != EINVAL {
		t.Errorf("E1: Select(nil ctx) = %v, want EINVAL", err)
	}
	if n, err := task.Select(ctx, math.MaxInt, nil, nil, nil, &zero); n != 0 || err != nil {
		t.Errorf("E1: Select(MaxInt, no sets) = %d, %v", n, err)
	}
	for _, fd := range []int{-1, math.MinInt, math.MaxInt, 1 << 40} {
		if err := task.EpollCtl(ep, EPOLL_CTL_ADD, fd, &EpollEvent{Events: EPOLLIN}); err != EBADF {
			t.Errorf("E2: EpollCtl(fd %d) = %v, want EBADF", fd, err)
		}
		if err := task.EpollCtl(fd, EPOLL_CTL_DEL, ep, nil); err != EBADF {
			t.Errorf("E2: EpollCtl(epfd %d) = %v, want EBADF", fd, err)
		}
		if _, err := task.EpollWait(ctx, fd, make([]EpollEvent, 1), 0); err != EBADF {
			t.Errorf("E2: EpollWait(epfd %d) = %v, want EBADF", fd, err)
		}
	}
	for _, op := range []int{math.MinInt, -1, 0, 4, math.MaxInt} {
		if err := task.EpollCtl(ep, op, ep, nil); err != EFAULT {
			t.Errorf("E2: EpollCtl(op %d, nil event) = %v, want EFAULT", op, err)
		}
	}
	if err := task.EpollCtl(ep, EPOLL_CTL_ADD, ep, &EpollEvent{Events: math.MaxUint32}); err != EINVAL {
		t.Errorf("E2: EpollCtl(all bits, itself) = %v, want EINVAL", err)
	}
	for _, flags := range []int{-1, math.MinInt, math.MaxInt, EPOLL_CLOEXEC | 1} {
		if _, err := task.EpollCreate1(flags); err != EINVAL {
			t.Errorf("E2: EpollCreate1(%#x) = %v, want EINVAL", flags, err)
		}
	}
	//lint:ignore SA1012 a nil ctx is the bad input under test
	if _, err := task.EpollWait(nil, ep, make([]EpollEvent, 1), 0); err != EINVAL {
		t.Errorf("E2: EpollWait(nil ctx) = %v, want EINVAL", err)
	}
	//lint:ignore SA1012 a nil ctx is the bad input under test
	if _, err := task.EpollPwait(nil, ep, make([]EpollEvent, 1), 0, new(Sigset)); err != EINVAL {
		t.Errorf("E2: EpollPwait(nil ctx) = %v, want EINVAL", err)
	}
	if _, err := task.EpollWait(ctx, ep, []EpollEvent{}, 0); err != EINVAL {
		t.Errorf("E2: EpollWait(no room) = %v, want EINVAL", err)
	}
	for _, path := range []string{"", "/", "a/b", "x\x00y"} {
		if err := task.Mkfifo(path, math.MaxUint32); err != ENOENT {
			t.Errorf("E7: Mkfifo(%q) = %v, want ENOENT", path, err)
		}
	}
	if err := task.Mknod("f", math.MaxUint32, -1); err != EINVAL {
		t.Errorf("E7: Mknod(all mode bits) = %v, want EINVAL", err)
	}
	if err := task.Mkfifo("f", 0o600); err != EPERM {
		t.Errorf("E7: Mkfifo without Config.FIFO = %v, want EPERM", err)
	}
	task.Exit()
	if _, err := task.EpollCreate1(0); err == nil {
		t.Error("EpollCreate1 on a dead task succeeded")
	}
	if _, err := task.Select(ctx, 0, nil, nil, nil, nil); err == nil {
		t.Error("Select on a dead task succeeded")
	}
}
