package aio

import (
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// C11, C19: a SIGEV_INLINE callback that submits its request again keeps
// it in flight without keeping the first submitter's goroutine: on native
// AIO a page-cache hit completes inside io_submit, and the submitter
// takes one batch of such completions, never every batch its callbacks
// go on making, so the first Read returns while the request runs on.
func TestLinuxAIOInlineResubmitReturns(t *testing.T) {
	e, _ := newLinuxAIO(t)
	f, _ := tempFile(t, 1<<20, os.O_RDONLY)
	var stop atomic.Bool
	var done atomic.Int64
	finished := make(chan struct{})
	req := &Request{Fd: int(f.Fd()), Buf: make([]byte, 4096)}
	req.Notify = Sigevent{Notify: SIGEV_INLINE, Func: func(r *Request) {
		if _, err := r.Return(); err != nil {
			t.Errorf("C11: Return: %v", err)
		}
		if done.Add(1) > 100 && stop.Load() {
			close(finished)
			return
		}
		r.Offset = (r.Offset + 4096) % (1 << 20)
		if err := e.Read(r); err != nil {
			t.Errorf("C11: Read from the callback: %v", err)
			close(finished)
		}
	}}
	first := make(chan error, 1)
	go func() { first <- e.Read(req) }()
	select {
	case err := <-first:
		if err != nil {
			t.Fatalf("C11: Read: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("C19: the first Read has not returned after 20 s; %d completions ran on the submitter", done.Load())
	}
	stop.Store(true)
	select {
	case <-finished:
	case <-time.After(20 * time.Second):
		t.Fatalf("C19: the request stopped completing after %d completions", done.Load())
	}
}
