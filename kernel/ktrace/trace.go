package ktrace

import (
	"time"

	"github.com/fasync-go/fasync/kernel"
)

// A Trace is a recorded sequence of events, with the number of events
// the tracer's ring overwrote before it was read.
type Trace struct {
	Events  []Event
	Dropped uint64
}

// An Event is one line of a trace: kernel.TraceEvent in text form.
type Event struct {
	Comm string        // task name; "" in kernel context
	Tid  int           // thread id (0 in kernel context)
	Pid  int           // process id (thread-group id)
	CPU  int           // always 0: the model has no CPUs
	Time time.Duration // since the trace started, whole microseconds
	Name string        // tracepoint: sys_enter, kill_fasync ...
	// Fields are the event's fields in order: fd and file first when the
	// event has them, then its own.
	Fields []Field
}

// A Field is one key=value of an event.
type Field struct{ Key, Value string }

// Get returns the value of the field named key, or "".
func (e *Event) Get(key string) string {
	for _, f := range e.Fields {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

// Has reports whether the event has a field named key.
func (e *Event) Has(key string) bool {
	for _, f := range e.Fields {
		if f.Key == key {
			return true
		}
	}
	return false
}

// FromTracer returns the events tr holds, oldest first, and its dropped
// count; an empty trace for a nil tracer (Kernel.Tracer of a kernel not
// traced).
func FromTracer(tr *kernel.Tracer) *Trace {
	if tr == nil {
		return &Trace{}
	}
	return &Trace{Events: FromEvents(tr.Events()), Dropped: tr.Dropped()}
}

// FromEvents converts kernel events to a trace's events. Times are
// truncated to microseconds, the text's resolution.
func FromEvents(evs []kernel.TraceEvent) []Event {
	out := make([]Event, 0, len(evs))
	for i := range evs {
		ev := &evs[i]
		e := Event{
			Comm: ev.Task.Comm, Tid: ev.Task.Tid, Pid: ev.Task.Pid,
			Time: ev.Time.Truncate(time.Microsecond), Name: ev.Name,
		}
		if ev.Fd >= 0 {
			e.Fields = append(e.Fields, Field{"fd", itoa(ev.Fd)})
		}
		if ev.File != "" {
			e.Fields = append(e.Fields, Field{"file", ev.File})
		}
		for _, a := range ev.Args() {
			e.Fields = append(e.Fields, Field{a.Key, a.Value()})
		}
		out = append(out, e)
	}
	return out
}
