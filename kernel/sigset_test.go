package kernel

import "testing"

// TestSigset checks the set's bit layout (sigset_t: bit sig-1) and its
// operations (SPEC S5).
func TestSigset(t *testing.T) {
	s := SigsetOf(SIGINT, SIGIO, SIGRTMAX, 0, 65, -3)
	if want := Sigset(1<<1 | 1<<28 | 1<<63); s != want {
		t.Fatalf("SigsetOf = %#x, want %#x", uint64(s), uint64(want))
	}
	for _, tc := range []struct {
		sig  int
		want bool
	}{{SIGINT, true}, {SIGIO, true}, {SIGRTMAX, true}, {SIGHUP, false}, {0, false}, {65, false}} {
		if got := s.Has(tc.sig); got != tc.want {
			t.Errorf("Has(%d) = %v, want %v", tc.sig, got, tc.want)
		}
	}
	s.Del(SIGIO)
	s.Add(SIGUSR1)
	s.Add(NSIG) // ignored
	if s.Has(SIGIO) || !s.Has(SIGUSR1) || s != SigsetOf(SIGINT, SIGUSR1, SIGRTMAX) {
		t.Errorf("after Del(SIGIO), Add(SIGUSR1): %#x", uint64(s))
	}
	if SIG_BLOCK != 0 || SIG_UNBLOCK != 1 || SIG_SETMASK != 2 {
		t.Errorf("SIG_BLOCK/UNBLOCK/SETMASK = %d/%d/%d, want 0/1/2", SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK)
	}
}
