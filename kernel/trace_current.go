package kernel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Linux's current, for tracepoints. A driver calls FasyncList.Kill or
// WaitQueue.WakeUp without saying on whose behalf; Linux knows (current),
// Go has no goroutine-local state. While tracing is on, each traced
// system call (sys_enter) records its task, descriptor and file against
// its goroutine's id, and sys_exit puts back what was there before, so a
// tracepoint hit inside the call finds them. With tracing off nothing is
// recorded and nothing is looked up.

// A sysCall is one traced system call in progress: what a tracepoint on
// its goroutine reports as current.
type sysCall struct {
	task *Task
	who  TraceTask // task as events show it, taken at sys_enter
	name string    // the call: read, write, fcntl ...
	fd   int
	file *File
	g    uint64 // the goroutine it runs on
	// getfl marks fcntl(F_GETFL), whose result sys_exit shows as flags.
	getfl bool
	prev  *sysCall // the call this one interrupted on g (a handler's), or nil
}

var (
	// stackBufs holds goid's buffers: runtime.Stack's buffer escapes,
	// and a tracepoint reused often should not allocate each time.
	stackBufs = sync.Pool{New: func() any { return new([32]byte) }}

	// inCalls counts the entries of current, so that a tracepoint with
	// no traced call anywhere (another kernel is traced, idle) skips the
	// goroutine's id.
	inCalls atomic.Int32

	currentMu sync.Mutex
	// current maps a goroutine id to its innermost traced call. Entries
	// live only between sys_enter and sys_exit.
	current = make(map[uint64]*sysCall)
)

// goid returns the calling goroutine's id, read from the first line of
// its stack trace ("goroutine 18 [running]:"). It costs a short stack
// walk, paid only while tracing is on.
func goid() uint64 {
	bp := stackBufs.Get().(*[32]byte)
	defer stackBufs.Put(bp)
	b := bp[:runtime.Stack(bp[:], false)]
	const prefix = len("goroutine ")
	var id uint64
	for i := prefix; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		id = id*10 + uint64(b[i]-'0')
	}
	return id
}

// enterCurrent makes c the calling goroutine's current call.
func enterCurrent(c *sysCall) {
	c.g = goid()
	currentMu.Lock()
	c.prev = current[c.g]
	current[c.g] = c
	if c.prev == nil {
		inCalls.Add(1)
	}
	currentMu.Unlock()
}

// exitCurrent restores the call c interrupted as current.
func exitCurrent(c *sysCall) {
	currentMu.Lock()
	if c.prev != nil {
		current[c.g] = c.prev
	} else {
		delete(current, c.g)
		inCalls.Add(-1)
	}
	currentMu.Unlock()
}

// currentCall returns the calling goroutine's current traced call, or
// nil in kernel context (a goroutine in no traced call: a timer, a
// kiocb's completion from elsewhere, a test calling a driver directly).
func currentCall() *sysCall {
	if inCalls.Load() == 0 {
		return nil
	}
	g := goid()
	currentMu.Lock()
	c := current[g]
	currentMu.Unlock()
	return c
}
