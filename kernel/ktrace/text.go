package ktrace

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// kernelComm is the task column of an event in kernel context.
const kernelComm = "<kernel>"

// WriteText writes the trace as ftrace does (SPEC X2): a header with the
// counts, then one line per event.
func (tr *Trace) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	n := uint64(len(tr.Events))
	fmt.Fprintf(bw, "# tracer: fasync model kernel\n#\n")
	fmt.Fprintf(bw, "# entries-in-buffer/entries-written: %d/%d   #P:1\n#\n", n, n+tr.Dropped)
	fmt.Fprintf(bw, "#           TASK-PID       TGID     CPU     TIMESTAMP  FUNCTION\n")
	fmt.Fprintf(bw, "#              | |           |       |         |         |\n")
	for i := range tr.Events {
		bw.WriteString(tr.Events[i].Line())
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// Line returns the event as one line of text, without a newline.
func (e *Event) Line() string {
	comm := e.Comm
	if comm == "" {
		comm = kernelComm
	}
	us := e.Time / time.Microsecond
	var b strings.Builder
	fmt.Fprintf(&b, "%16s-%-7d (%7d) [%03d] %6d.%06d: %s:", comm, e.Tid, e.Pid, e.CPU,
		us/1e6, us%1e6, e.Name)
	for _, f := range e.Fields {
		b.WriteByte(' ')
		b.WriteString(f.Key)
		b.WriteByte('=')
		b.WriteString(quote(f.Value))
	}
	return b.String()
}

// quote quotes a value that would not read back as one field.
func quote(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\n\"=\\") {
		return strconv.Quote(v)
	}
	return v
}

// lineRE matches an event line: task-tid (tgid) [cpu] sec.usec: name: fields.
var lineRE = regexp.MustCompile(`^\s*(.+)-(\d+)\s+\(\s*(\d+)\)\s+\[(\d+)\]\s+(\d+)\.(\d{6}): ([A-Za-z0-9_]+):(.*)$`)

// entriesRE matches the header line with the counts.
var entriesRE = regexp.MustCompile(`^# entries-in-buffer/entries-written: (\d+)/(\d+)`)

// Parse reads a trace written by WriteText. Lines starting with '#'
// other than the counts, and blank lines, are skipped; any other line
// that is not an event is an error naming its line number.
func Parse(r io.Reader) (*Trace, error) {
	tr := &Trace{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if m := entriesRE.FindStringSubmatch(line); m != nil {
			held, _ := strconv.ParseUint(m[1], 10, 64)
			written, _ := strconv.ParseUint(m[2], 10, 64)
			if written >= held {
				tr.Dropped = written - held
			}
			continue
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("ktrace: line %d: %w", n, err)
		}
		tr.Events = append(tr.Events, e)
	}
	return tr, sc.Err()
}

// parseLine parses one event line.
func parseLine(line string) (Event, error) {
	m := lineRE.FindStringSubmatch(line)
	if m == nil {
		return Event{}, fmt.Errorf("not an event: %q", line)
	}
	var e Event
	e.Comm = m[1]
	if e.Comm == kernelComm {
		e.Comm = ""
	}
	e.Tid, _ = strconv.Atoi(m[2])
	e.Pid, _ = strconv.Atoi(m[3])
	e.CPU, _ = strconv.Atoi(m[4])
	sec, err1 := strconv.ParseInt(m[5], 10, 64)
	usec, err2 := strconv.ParseInt(m[6], 10, 64)
	if err1 != nil || err2 != nil {
		return Event{}, fmt.Errorf("bad timestamp in %q", line)
	}
	e.Time = time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond
	e.Name = m[7]
	fields, err := parseFields(m[8])
	if err != nil {
		return Event{}, err
	}
	e.Fields = fields
	return e, nil
}

// parseFields splits " k=v k=\"quoted v\" ..." into fields.
func parseFields(s string) ([]Field, error) {
	var fields []Field
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return fields, nil
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("field without a key: %q", s)
		}
		key := s[:eq]
		s = s[eq+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", key, err)
			}
			val, _ = strconv.Unquote(q)
			s = s[len(q):]
		} else {
			end := strings.IndexByte(s, ' ')
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
		}
		fields = append(fields, Field{key, val})
	}
}

// itoa is strconv.Itoa.
func itoa(i int) string { return strconv.Itoa(i) }
