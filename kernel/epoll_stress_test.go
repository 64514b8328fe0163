package kernel

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestEpollStress checks SPEC E3 and E5 under concurrency: waiters,
// writers, EpollCtl of every op, dups and closes, and nested sets at
// once, under the race detector, must neither deadlock nor report a file
// after its last close has returned.
func TestEpollStress(t *testing.T) {
	const files, rounds = 8, 300
	k := newKernel(t, Config{})
	task := k.NewTask("stress", Cred{})
	writer := k.NewTask("writer", Cred{})
	ctx := context.Background()
	ep, _ := task.EpollCreate1(0)
	outer, _ := task.EpollCreate1(0)
	if err := task.EpollCtl(outer, EPOLL_CTL_ADD, ep, &EpollEvent{Events: EPOLLIN | EPOLLET}); err != nil {
		t.Fatal(err)
	}
	wfds := make([]int, files)
	for i := range files {
		name := fmt.Sprintf("s%d", i)
		newPipe(t, k, name)
		wfds[i] = mustOpen(t, writer, name, O_WRONLY|O_NONBLOCK)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, set := range []int{ep, ep, outer} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs := make([]EpollEvent, 4)
			for {
				select {
				case <-stop:
					return
				default:
				}
				task.EpollWait(ctx, set, evs, 0)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := []byte{1}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			writer.Write(ctx, wfds[i%files], buf)
		}
	}()
	for r := range rounds {
		i := r % files
		fd, err := task.Open(ctx, fmt.Sprintf("s%d", i), O_RDONLY|O_NONBLOCK)
		if err != nil {
			t.Fatal(err)
		}
		ev := &EpollEvent{Events: EPOLLIN | uint32(r%3)<<30, Data: uint64(r)} // LT, ONESHOT, ET
		if err := task.EpollCtl(ep, EPOLL_CTL_ADD, fd, ev); err != nil {
			t.Fatalf("ADD: %v", err)
		}
		task.Read(ctx, fd, make([]byte, 8))
		task.EpollCtl(ep, EPOLL_CTL_MOD, fd, &EpollEvent{Events: EPOLLIN, Data: uint64(r)})
		dup, _ := task.Dup(fd)
		task.Close(fd)
		if r%2 == 0 {
			task.EpollCtl(ep, EPOLL_CTL_DEL, dup, nil) // ENOENT: the key is the old fd
		}
		f, _ := task.File(dup)
		task.Close(dup)
		if f.epolls.first() != nil {
			t.Fatalf("E5: round %d: a closed file is still registered", r)
		}
	}
	close(stop)
	wg.Wait()
	epf, _ := task.File(ep)
	if items := len(epf.drv.(*eventpoll).items); items != 0 {
		t.Errorf("E5: %d registrations left after every file closed", items)
	}
}
