// Package ktrace renders the model kernel's traces (SPEC X2): the events
// a kernel.Tracer recorded become text in ftrace's style or an SVG
// sequence diagram of the notification path, drawn with the standard
// library only.
//
// A Trace is the renderers' input: FromTracer takes it from a tracer
// after a run, Parse reads it back from its text. Both renderings depend
// on the Trace alone, so the diagram drawn from a saved text trace is
// byte for byte the one drawn from the run that wrote it.
//
// The text is ftrace's, with record-tgid's column:
//
//	asynctest-3     (      3) [000]     0.000104: fcntl_setown: fd=3 file=scullpipe0 owner=pid:3
//
// task name, thread id, process id in parentheses, CPU (the model has
// one, 000), seconds since the trace started (microseconds), the event
// and its fields as key=value (a value with spaces is Go-quoted).
//
// The diagram has one lifeline per task, per driver (device) and per
// kernel part — fcntl, the fasync list, signal delivery, the wait queues
// — and one arrow per event, in order, time running downward. A
// system call that returns before anything else happens is one arrow
// with its result. Beyond MaxRows rows, repeated runs of events are
// collapsed into one copy and a count.
package ktrace
