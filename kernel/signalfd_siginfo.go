package kernel

import "encoding/binary"

// SignalfdSiginfo is struct signalfd_siginfo, one record of a signalfd's
// read, with the field names of golang.org/x/sys/unix. Its wire form is
// SignalfdSiginfoSize bytes in the machine's (little-endian) byte order.
type SignalfdSiginfo struct {
	Signo     uint32 // ssi_signo
	Errno     int32  // ssi_errno
	Code      int32  // ssi_code
	Pid       uint32 // ssi_pid
	Uid       uint32 // ssi_uid
	Fd        int32  // ssi_fd (POLL layout)
	Tid       uint32 // ssi_tid (timers)
	Band      uint32 // ssi_band (POLL layout)
	Overrun   uint32 // ssi_overrun (timers)
	Trapno    uint32 // ssi_trapno
	Status    int32  // ssi_status (SIGCHLD)
	Int       int32  // ssi_int (sigqueue's value)
	Ptr       uint64 // ssi_ptr (sigqueue's value)
	Utime     uint64 // ssi_utime (SIGCHLD)
	Stime     uint64 // ssi_stime (SIGCHLD)
	Addr      uint64 // ssi_addr (faults)
	Addr_lsb  uint16 // ssi_addr_lsb
	Syscall   int32  // ssi_syscall
	Call_addr uint64 // ssi_call_addr
	Arch      uint32 // ssi_arch
}

// SignalfdSiginfoOf returns the record a signalfd gives for info, filled
// as Linux's signalfd_copyinfo does by the siginfo's layout: pid and uid
// for kill, tgkill, sigqueue (with the value, when it is an integer: one
// that fits a C int is sival_int, its ssi_ptr the union's 64 bits with
// the upper half zero; a larger one is sival_ptr) and
// SIGCHLD (with the status); fd and band for a fasync notification with
// a band (si_code POLL_IN.. or SI_SIGIO).
func SignalfdSiginfoOf(info SigInfo) SignalfdSiginfo {
	r := SignalfdSiginfo{Signo: uint32(info.Signo), Code: int32(info.Code)}
	switch siginfoLayout(info.Signo, info.Code) {
	case silPoll:
		r.Fd, r.Band = int32(info.Fd), uint32(info.Band)
	case silChld:
		r.Pid, r.Uid, r.Status = uint32(info.Pid), uint32(info.Uid), int32(info.Status)
	case silRT:
		r.Pid, r.Uid = uint32(info.Pid), uint32(info.Uid)
		if v, ok := info.Value.(int); ok {
			r.Int, r.Ptr = int32(v), uint64(v)
			if v == int(int32(v)) {
				// An int a sival_int holds: it fills the union's low
				// half, the rest zero, as a C caller's zeroed union
				// sigval with sival_int set reads back in ssi_ptr.
				r.Ptr = uint64(uint32(v))
			}
		}
	default:
		r.Pid, r.Uid = uint32(info.Pid), uint32(info.Uid)
	}
	return r
}

// siginfo layouts the model produces (Linux's enum siginfo_layout).
const (
	silKill = iota
	silPoll
	silChld
	silRT
)

// siginfoLayout is Linux's siginfo_layout for the codes the model sends.
func siginfoLayout(sig, code int) int {
	switch {
	case code > SI_USER && code < SI_KERNEL:
		if sig == SIGCHLD {
			return silChld
		}
		if sigSpecificCodes(sig) {
			return silKill // a fault's codes: the model sends none
		}
		if code <= POLL_HUP {
			return silPoll
		}
		return silKill
	case code == SI_SIGIO:
		return silPoll
	case code < 0:
		return silRT
	}
	return silKill
}

// put writes r's wire form into b, which holds at least
// SignalfdSiginfoSize bytes.
func (r *SignalfdSiginfo) put(b []byte) {
	b = b[:SignalfdSiginfoSize]
	clear(b)
	le := binary.LittleEndian
	le.PutUint32(b[0:], r.Signo)
	le.PutUint32(b[4:], uint32(r.Errno))
	le.PutUint32(b[8:], uint32(r.Code))
	le.PutUint32(b[12:], r.Pid)
	le.PutUint32(b[16:], r.Uid)
	le.PutUint32(b[20:], uint32(r.Fd))
	le.PutUint32(b[24:], r.Tid)
	le.PutUint32(b[28:], r.Band)
	le.PutUint32(b[32:], r.Overrun)
	le.PutUint32(b[36:], r.Trapno)
	le.PutUint32(b[40:], uint32(r.Status))
	le.PutUint32(b[44:], uint32(r.Int))
	le.PutUint64(b[48:], r.Ptr)
	le.PutUint64(b[56:], r.Utime)
	le.PutUint64(b[64:], r.Stime)
	le.PutUint64(b[72:], r.Addr)
	le.PutUint16(b[80:], r.Addr_lsb)
	le.PutUint32(b[84:], uint32(r.Syscall))
	le.PutUint64(b[88:], r.Call_addr)
	le.PutUint32(b[96:], r.Arch)
}

// ParseSignalfdSiginfo decodes one record of a signalfd's read: b must
// hold exactly SignalfdSiginfoSize bytes (EINVAL otherwise).
func ParseSignalfdSiginfo(b []byte) (SignalfdSiginfo, error) {
	if len(b) != SignalfdSiginfoSize {
		return SignalfdSiginfo{}, EINVAL
	}
	le := binary.LittleEndian
	return SignalfdSiginfo{
		Signo:     le.Uint32(b[0:]),
		Errno:     int32(le.Uint32(b[4:])),
		Code:      int32(le.Uint32(b[8:])),
		Pid:       le.Uint32(b[12:]),
		Uid:       le.Uint32(b[16:]),
		Fd:        int32(le.Uint32(b[20:])),
		Tid:       le.Uint32(b[24:]),
		Band:      le.Uint32(b[28:]),
		Overrun:   le.Uint32(b[32:]),
		Trapno:    le.Uint32(b[36:]),
		Status:    int32(le.Uint32(b[40:])),
		Int:       int32(le.Uint32(b[44:])),
		Ptr:       le.Uint64(b[48:]),
		Utime:     le.Uint64(b[56:]),
		Stime:     le.Uint64(b[64:]),
		Addr:      le.Uint64(b[72:]),
		Addr_lsb:  le.Uint16(b[80:]),
		Syscall:   int32(le.Uint32(b[84:])),
		Call_addr: le.Uint64(b[88:]),
		Arch:      le.Uint32(b[96:]),
	}, nil
}
