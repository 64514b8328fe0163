package kernel

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
)

// TestAsyncNotification checks SPEC M4(a) end to end, as LDD3's asynctest
// does it: the reader installs a SIGIO handler, makes itself the owner,
// sets FASYNC, and reads only when notified; a writer task's writes reach
// it as SIGIO, and everything written is read exactly once.
func TestAsyncNotification(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	d.size = 16
	reader := k.NewTask("asynctest", Cred{})
	writer := k.NewTask("writer", Cred{})
	ctx := context.Background()
	rfd := mustOpen(t, reader, "pipe", O_RDONLY|O_NONBLOCK)
	wfd := mustOpen(t, writer, "pipe", O_WRONLY)

	var got bytes.Buffer
	var notified atomic.Int32
	reader.Sigaction(SIGIO, Sigaction{Handler: func(tk *Task, info *SigInfo) {
		notified.Add(1)
		buf := make([]byte, 8)
		for { // drain: a notification may stand for several writes
			n, err := tk.Read(ctx, rfd, buf)
			if err != nil {
				return
			}
			got.Write(buf[:n])
		}
	}})
	mustFcntl(t, reader, rfd, F_SETOWN, reader.Pid())
	mustFcntl(t, reader, rfd, F_SETFL, mustFcntl(t, reader, rfd, F_GETFL, 0)|FASYNC)

	var want bytes.Buffer
	for i := 0; i < 200; i++ {
		msg := []byte{byte('a' + i%26), byte('0' + i%10)}
		want.Write(msg)
		done := goWrite(ctx, writer, wfd, msg)
		if err := reader.Pause(ctx); err != EINTR {
			t.Fatalf("M4(a): Pause = %v, want EINTR after SIGIO", err)
		}
		if res := await(t, done); res.err != nil || res.n != len(msg) {
			t.Fatalf("Write = %d, %v", res.n, res.err)
		}
	}
	reader.Poll(ctx, nil, 0) // a last safe point for a trailing SIGIO
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("M4(a): read %q, want %q", got.Bytes(), want.Bytes())
	}
	if notified.Load() == 0 {
		t.Fatal("M4(a): no SIGIO")
	}
}
