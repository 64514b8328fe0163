package kernel

import "testing"

// TestSignalfdSiginfoLayouts checks S9's records for every siginfo
// layout the model produces, field by field as Linux's
// signalfd_copyinfo fills them: SIL_KILL (kill, the kernel's own, plain
// SIGIO), SIL_RT (sigqueue, tgkill), SIL_CHLD (exit, death, stop,
// continue) and SIL_POLL (F_SETSIG'd notifications, SI_SIGIO for a
// signal with codes of its own); the other fields stay zero.
func TestSignalfdSiginfoLayouts(t *testing.T) {
	for _, tc := range []struct {
		name string
		info SigInfo
		want SignalfdSiginfo
	}{
		{"S9/kill", SigInfo{Signo: SIGUSR1, Code: SI_USER, Pid: 7, Uid: 1000, Fd: 3, Band: 1},
			SignalfdSiginfo{Signo: SIGUSR1, Code: SI_USER, Pid: 7, Uid: 1000}},
		{"S9/kernel", SigInfo{Signo: SIGIO, Code: SI_KERNEL},
			SignalfdSiginfo{Signo: SIGIO, Code: SI_KERNEL}},
		{"S9/kill-realtime", SigInfo{Signo: SIGRTMIN, Code: SI_USER, Pid: 7, Uid: 1000, Value: 5},
			SignalfdSiginfo{Signo: SIGRTMIN, Code: SI_USER, Pid: 7, Uid: 1000}},
		{"S9/sigqueue", SigInfo{Signo: SIGRTMIN, Code: SI_QUEUE, Pid: 7, Uid: 1000, Value: -2},
			// sival_int -2 fills the union's low half, the upper one
			// zero, as a C caller's sigqueue reads back on Linux 6.18
			// (pipe conformance S9/T5/signalfd-records-of-SIGCHLD-...).
			SignalfdSiginfo{Signo: SIGRTMIN, Code: SI_QUEUE, Pid: 7, Uid: 1000, Int: -2, Ptr: 0xfffffffe}},
		{"S9/sigqueue-not-int", SigInfo{Signo: SIGUSR2, Code: SI_QUEUE, Pid: 7, Value: "x"},
			SignalfdSiginfo{Signo: SIGUSR2, Code: SI_QUEUE, Pid: 7}},
		{"S9/tgkill", SigInfo{Signo: SIGUSR1, Code: SI_TKILL, Pid: 7, Uid: 1000},
			SignalfdSiginfo{Signo: SIGUSR1, Code: SI_TKILL, Pid: 7, Uid: 1000}},
		{"S9/chld-exited", SigInfo{Signo: SIGCHLD, Code: CLD_EXITED, Pid: 9, Uid: 1000, Status: 3},
			SignalfdSiginfo{Signo: SIGCHLD, Code: CLD_EXITED, Pid: 9, Uid: 1000, Status: 3}},
		{"S9/chld-killed", SigInfo{Signo: SIGCHLD, Code: CLD_KILLED, Pid: 9, Status: SIGKILL},
			SignalfdSiginfo{Signo: SIGCHLD, Code: CLD_KILLED, Pid: 9, Status: SIGKILL}},
		{"S9/chld-stopped", SigInfo{Signo: SIGCHLD, Code: CLD_STOPPED, Pid: 9, Status: SIGSTOP},
			SignalfdSiginfo{Signo: SIGCHLD, Code: CLD_STOPPED, Pid: 9, Status: SIGSTOP}},
		{"S9/chld-continued", SigInfo{Signo: SIGCHLD, Code: CLD_CONTINUED, Pid: 9, Status: SIGCONT},
			SignalfdSiginfo{Signo: SIGCHLD, Code: CLD_CONTINUED, Pid: 9, Status: SIGCONT}},
		{"S9/chld-by-kill", SigInfo{Signo: SIGCHLD, Code: SI_USER, Pid: 9, Uid: 1000},
			SignalfdSiginfo{Signo: SIGCHLD, Code: SI_USER, Pid: 9, Uid: 1000}},
		{"S9/poll", SigInfo{Signo: SIGRTMIN + 1, Code: POLL_OUT, Fd: 4, Band: POLLOUT | POLLWRNORM},
			SignalfdSiginfo{Signo: SIGRTMIN + 1, Code: POLL_OUT, Fd: 4, Band: POLLOUT | POLLWRNORM}},
		{"S9/poll-sigio", SigInfo{Signo: SIGIO, Code: POLL_HUP, Fd: 4, Band: POLLHUP},
			SignalfdSiginfo{Signo: SIGIO, Code: POLL_HUP, Fd: 4, Band: POLLHUP}},
		{"S9/si_sigio", SigInfo{Signo: SIGBUS, Code: SI_SIGIO, Fd: 4, Band: POLLIN},
			SignalfdSiginfo{Signo: SIGBUS, Code: SI_SIGIO, Fd: 4, Band: POLLIN}},
	} {
		if got := SignalfdSiginfoOf(tc.info); got != tc.want {
			t.Errorf("%s: %+v\n got %+v\nwant %+v", tc.name, tc.info, got, tc.want)
		}
		var b [SignalfdSiginfoSize]byte
		r := SignalfdSiginfoOf(tc.info)
		r.put(b[:])
		if back, err := ParseSignalfdSiginfo(b[:]); err != nil || back != r {
			t.Errorf("%s: the wire form reads back as %+v, %v", tc.name, back, err)
		}
	}
}
