package kernel

import "testing"

// F1, B5: a file's sigio hook hears every kill that reaches it on a
// notification list, with the band, before (and besides) its owner; a
// removed hook hears nothing; a file off the list hears nothing.
func TestSigioHook(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDWR)
	f, _ := task.File(fd)
	var l FasyncList
	var bands []int
	f.SetSigioHook(func(band int) { bands = append(bands, band) })
	if _, err := l.Helper(fd, f, true); err != nil {
		t.Fatal(err)
	}
	l.Kill(SIGIO, POLL_IN)
	l.Kill(SIGIO, POLL_OUT)
	f.SetSigioHook(nil)
	l.Kill(SIGIO, POLL_IN)
	f.SetSigioHook(func(band int) { bands = append(bands, -band) })
	l.Helper(fd, f, false)
	l.Kill(SIGIO, POLL_IN)
	if len(bands) != 2 || bands[0] != POLL_IN || bands[1] != POLL_OUT {
		t.Fatalf("hook heard %v, want [POLL_IN POLL_OUT]", bands)
	}
}
