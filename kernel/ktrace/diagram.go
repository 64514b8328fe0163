package ktrace

import (
	"fmt"
	"time"
)

// The diagram's model: lifelines and rows, built from a Trace before any
// geometry is decided (svg.go draws them).

// lifeKind orders and colours lifelines.
type lifeKind int

const (
	lifeTask   lifeKind = iota // a task (thread)
	lifeFcntl                  // the fcntl part of the kernel
	lifeDriver                 // a device's driver
	lifeWait                   // wait queues and poll tables
	lifeEpoll                  // epoll instances
	lifeFasync                 // fasync lists
	lifeSignal                 // signal generation and delivery
	lifeKernel                 // anything else of the kernel
)

// A lifeline is one column of the diagram.
type lifeline struct {
	key   string // identity: "task 3/3", "driver scullpipe0", "part fcntl"
	kind  lifeKind
	title string // first line of its head
	sub   string // second line
	first int    // index of the first row that uses it (ordering)
}

// A row is one arrow (from != to), one note on a lifeline (from == to),
// or a band saying that the rows above repeat.
type row struct {
	from, to int
	label    string // drawn, shortened to maxLabel
	title    string // tooltip: the events' full lines
	time     time.Duration
	class    string // CSS class: sys, ret, fasync, signal, intr, wake, kiocb, note
	dashed   bool
	band     string // non-empty: a band row with this text
}

// diagram is a trace laid out as lifelines and rows.
type diagram struct {
	lines []*lifeline
	index map[string]int
	rows  []row
}

// Part lifelines, in their column order after the tasks.
var partKinds = map[string]lifeKind{
	"fcntl": lifeFcntl, "wait queue": lifeWait, "epoll": lifeEpoll, "fasync list": lifeFasync,
	"signal": lifeSignal, "kernel": lifeKernel,
}

// line returns the index of the lifeline with key, making it if new.
func (d *diagram) line(key string, kind lifeKind, title, sub string) int {
	if i, ok := d.index[key]; ok {
		return i
	}
	d.index[key] = len(d.lines)
	d.lines = append(d.lines, &lifeline{key: key, kind: kind, title: title, sub: sub, first: len(d.rows)})
	return len(d.lines) - 1
}

// task returns the lifeline of e's task (the kernel's when it has none).
func (d *diagram) task(e *Event) int {
	if e.Comm == "" {
		return d.part("kernel")
	}
	return d.taskLine(e.Comm, e.Pid, e.Tid)
}

// taskLine returns the lifeline of thread tid of process pid.
func (d *diagram) taskLine(comm string, pid, tid int) int {
	sub := fmt.Sprintf("pid %d", pid)
	if tid != pid && tid != 0 {
		sub = fmt.Sprintf("pid %d tid %d", pid, tid)
	}
	return d.line(fmt.Sprintf("task %d/%d", pid, tid), lifeTask, comm, sub)
}

// part returns the lifeline of a kernel part.
func (d *diagram) part(name string) int {
	sub := "kernel"
	return d.line("part "+name, partKinds[name], name, sub)
}

// driver returns the lifeline of the driver of device file ("" : the
// kernel part "kernel").
func (d *diagram) driver(file string) int {
	if file == "" {
		return d.part("kernel")
	}
	return d.line("driver "+file, lifeDriver, file, "driver")
}

// build lays the trace's events out as rows.
func build(tr *Trace) *diagram {
	d := &diagram{index: make(map[string]int)}
	evs := tr.Events
	drawn := make([]bool, len(evs)) // sys_exits drawn with their sys_enter
	for i := range evs {
		if drawn[i] {
			continue
		}
		e := &evs[i]
		if e.Name == "sys_enter" {
			if j := matchingExit(evs, i); j > 0 {
				drawn[j] = true
				r := d.sysRow(e, &evs[j])
				r.title = e.Line() + "\n" + evs[j].Line()
				d.add(e, r)
				continue
			}
		}
		d.add(e, d.eventRow(e))
	}
	return d
}

// add appends r for event e.
func (d *diagram) add(e *Event, r row) {
	r.time = e.Time
	if r.title == "" {
		r.title = e.Line()
	}
	d.rows = append(d.rows, r)
}

// matchingExit returns the index of the sys_exit that ends the call
// begun at i when no other task's event comes in between (the call did
// not wait for anyone), else -1.
func matchingExit(evs []Event, i int) int {
	e := &evs[i]
	for j := i + 1; j < len(evs); j++ {
		x := &evs[j]
		if x.Tid != e.Tid || x.Pid != e.Pid || x.Comm != e.Comm {
			return -1
		}
		switch x.Name {
		case "sys_exit":
			if x.Get("call") == e.Get("call") {
				return j
			}
			return -1
		case "sys_enter":
			return -1 // a handler's call nested in this one
		}
	}
	return -1
}
