package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fasync-go/fasync/scull"
)

// TestDemoSignals checks the signal scenes of the demo: the race-free
// asynctest, the signalfd and sigwaitinfo consumer and the threaded
// owner show what their SPEC IDs promise.
func TestDemoSignals(t *testing.T) {
	var out bytes.Buffer
	if err := demo(&out, scull.Config{Devices: 4, Size: 4000}); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []struct{ id, line string }{
		{"S5/blocked-pending", "asynctest2  sigpending() has SIGIO: the notification waits, blocked"},
		{"S7/sigsuspend-at-once", "sigsuspend(mask without SIGIO) returned EINTR at once, after the handler"},
		{"S7/reads-it", `asynctest2  read fd 0: "between the look and the sleep" (then EAGAIN)`},
		{"S7/sigsuspend-sleeps", "asynctest2  sigsuspend slept and returned EINTR after"},
		{"S9/records", "read(signalfd, room for 4) = 256 bytes: 2 signalfd_siginfo records"},
		{"S9/ssi_fd-band", "ssi_signo SIGRTMIN+3 ssi_code POLL_IN ssi_fd 1 (scullpipe3) ssi_band 0x041"},
		{"S9/pipe", "ssi_fd 2 (the pipe) ssi_band 0x041"},
		{"S8/sigwaitinfo", "sfd-reader  sigwaitinfo: SIGRTMIN+3 band POLL_IN on fd 1 (poll mask POLLIN|POLLRDNORM = 0x041)"},
		{"T2/owner-tid", "sigio-thr   got SIGIO band POLL_IN on fd 0 (poll mask POLLIN|POLLRDNORM = 0x041) on thread"},
		{"T2/main-undisturbed", "main thread's read of the pipe returned 4 bytes, undisturbed"},
	} {
		if !strings.Contains(text, want.line) {
			t.Errorf("%s: trace lacks %q", want.id, want.line)
		}
	}
	if t.Failed() {
		t.Logf("trace:\n%s", text)
	}
}
