package kernel

import (
	"testing"
	"time"
)

// What a tracepoint costs when tracing is off (SPEC X1), beside the same
// call without tracepoints in the same run. The untraced baselines are
// the traced functions' bodies with their tracepoint lines taken out,
// nothing else changed; docs/PERFORMANCE.md has the figures.
//
//	go test -run '^$' -bench BenchmarkTracepoint -benchmem ./kernel

// fcntlUntraced is Task.Fcntl without its sys_enter/sys_exit tracepoint
// (and calling setsigUntraced).
func (t *Task) fcntlUntraced(fd, cmd, arg int) (ret int, err error) {
	defer t.safePoint()
	e, err := t.getEntry(fd)
	if err != nil {
		return -1, err
	}
	f := e.file
	defer f.put()
	argi := int(int32(arg)) // do_fcntl's argi
	switch uint32(cmd) {
	case F_DUPFD, F_DUPFD_CLOEXEC:
		return t.dupfd(f, uint32(argi), uint32(cmd) == F_DUPFD_CLOEXEC)
	case F_DUPFD_QUERY:
		other, err := t.File(argi)
		if err != nil {
			return -1, err
		}
		if other == f {
			return 1, nil
		}
		return 0, nil
	case F_CREATED_QUERY:
		return 0, nil
	case F_GETFD, F_SETFD:
		return t.fdflags(e, uint32(cmd), argi)
	case F_GETFL:
		return f.Flags(), nil
	case F_SETFL:
		return errValue(f.setfl(fd, argi, &t.cred))
	case F_SETOWN:
		return errValue(f.setown(t, argi))
	case F_GETOWN:
		return f.getown(), nil
	case F_SETSIG:
		return errValue(f.setsigUntraced(argi))
	case F_GETSIG:
		return f.owner().sig, nil
	case F_SETPIPE_SZ, F_GETPIPE_SZ:
		return t.driverFcntl(e, int(uint32(cmd)), argi)
	}
	return -1, EINVAL
}

// setsigUntraced is File.setsig without its fcntl_setsig tracepoint.
func (f *File) setsigUntraced(sig int) error {
	if sig < 0 || sig >= NSIG {
		return EINVAL
	}
	f.mu.Lock()
	o := f.owner()
	o.sig = sig
	f.own.Store(&o)
	f.mu.Unlock()
	return nil
}

// killUntraced is FasyncList.Kill without its kill_fasync tracepoint,
// calling notifyUntraced.
func (l *FasyncList) killUntraced(sig, band int) error {
	if l.snap.Load() != nil {
		mask := bandMask(band)
		if mask == 0 || sig < 1 || sig >= NSIG {
			return EINVAL
		}
		p := l.snap.Load()
		if p == nil {
			return nil
		}
		for _, e := range *p {
			e.notifyUntraced(sig, band, mask)
		}
	}
	return nil
}

// notifyUntraced is fasyncEntry.notify calling sendSigioUntraced.
func (e *fasyncEntry) notifyUntraced(sig, band int, mask int16) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.file != nil {
		e.file.notifyHook(band)
		e.file.sendSigioUntraced(e.fd, sig, band, mask)
	}
}

// sendSigioUntraced is File.sendSigio, for a file without an owner (the
// benchmark's), without its send_sigio tracepoint.
func (f *File) sendSigioUntraced(fd, sig, band int, mask int16) {
	o := f.own.Load()
	if o == nil || o.id == 0 || (sig == SIGURG && o.sig == 0) {
		return
	}
	f.sendSigio(fd, sig, band, mask)
}

// wakeUpUntraced is WaitQueue.WakeUp (wakeUp with mask 0) without its
// wake_up tracepoint.
func (q *WaitQueue) wakeUpUntraced() {
	var buf, xbuf [8]*PollTable
	pts, xpts := buf[:0], xbuf[:0]
	q.mu.Lock()
	ch := q.ch
	q.ch = nil
	for i := len(q.polls) - 1; i >= 0; i-- {
		pts = append(pts, q.polls[i])
	}
	xpts = append(xpts, q.excl...)
	q.mu.Unlock()
	if ch != nil {
		close(ch)
	}
	for _, pt := range pts {
		pt.fire(0)
	}
	for _, pt := range xpts {
		if pt.fire(0) {
			break
		}
	}
}

// BenchmarkTracepoint runs each traced call beside its untraced copy
// with tracing off, alternating blocks of calls of the two so that the
// machine's drift hits both alike (untraced-ns/op, off-ns/op and their
// ratio); then the traced call while another kernel is traced (the gate
// is open, this kernel records nothing) and while this kernel records
// into a ring.
func BenchmarkTracepoint(b *testing.B) {
	k := newKernel(b, Config{})
	d := newPipe(b, k, "dev")
	task := k.NewTask("bench", Cred{})
	fd := mustOpen(b, task, "dev", O_RDWR|O_NONBLOCK)
	mustFcntl(b, task, fd, F_SETFL, O_NONBLOCK|FASYNC) // on d's list, no owner: the notification stops at send_sigio
	f, _ := task.File(fd)
	var q WaitQueue
	cases := []struct {
		name            string
		untraced, trace func()
	}{
		{"fcntl_getfl", func() { _, _ = task.fcntlUntraced(fd, F_GETFL, 0) }, func() { _, _ = task.Fcntl(fd, F_GETFL, 0) }},
		{"setsig", func() { _ = f.setsigUntraced(SIGIO) }, func() { _ = f.setsig(SIGIO) }},
		{"kill_fasync", func() { _ = d.async.killUntraced(SIGIO, POLL_IN) }, func() { _ = d.async.Kill(SIGIO, POLL_IN) }},
		{"wake_up", q.wakeUpUntraced, q.WakeUp},
	}
	for _, c := range cases {
		b.Run(c.name+"/off", func(b *testing.B) { benchPair(b, c.untraced, c.trace) })
	}
	run := func(name string, fn func()) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				fn()
			}
		})
	}
	other := New(Config{})
	defer other.Close()
	other.Trace(NewTracer(0))
	for _, c := range cases {
		run(c.name+"/other", c.trace)
	}
	other.Trace(nil)
	k.Trace(NewTracer(1 << 12))
	defer k.Trace(nil)
	for _, c := range cases[:3] { // a wake-up outside any traced call records nothing
		run(c.name+"/on", c.trace)
	}
}

// benchPair times blocks of calls of untraced and traced in turn, the
// order swapped every block, and reports each one's time per call, the
// ratio, and the allocations of both together per pair of calls.
func benchPair(b *testing.B, untraced, traced func()) {
	const block = 64
	var tu, tt time.Duration
	calls := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		first, second, d1, d2 := untraced, traced, &tu, &tt
		if i%2 == 1 {
			first, second, d1, d2 = traced, untraced, &tt, &tu
		}
		t0 := time.Now()
		for range block {
			first()
		}
		t1 := time.Now()
		for range block {
			second()
		}
		*d1 += t1.Sub(t0)
		*d2 += time.Since(t1)
		calls += block
	}
	b.ReportMetric(float64(tu.Nanoseconds())/float64(calls), "untraced-ns/call")
	b.ReportMetric(float64(tt.Nanoseconds())/float64(calls), "off-ns/call")
	b.ReportMetric(float64(tt)/float64(tu), "off/untraced")
}
