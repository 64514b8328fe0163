package ktrace

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Geometry of the diagram, in SVG user units (pixels).
const (
	charW    = 6.6 // advance of one character of the 11px monospace font
	rowH     = 26  // vertical distance between rows
	headH    = 40  // height of a lifeline's head box
	timeW    = 96  // the time column on the left
	margin   = 16
	minGap   = 130 // least distance between two lifelines
	maxLabel = 72  // longest label drawn; the tooltip has the whole event
)

// classColors is the stroke colour of each class of arrow.
var classColors = []struct{ class, color string }{
	{"sys", "#1f4e79"}, {"ret", "#5a5a5a"}, {"fasync", "#b35900"}, {"signal", "#a01010"},
	{"intr", "#d62728"}, {"wake", "#2a7d2a"}, {"kiocb", "#6a3d9a"},
}

// headFill is the fill of each kind of lifeline's head.
var headFill = map[lifeKind]string{
	lifeTask: "#dbe9f6", lifeFcntl: "#ececec", lifeDriver: "#fde3c8", lifeWait: "#dff0d8", lifeEpoll: "#dff0d8",
	lifeFasync: "#fff1c9", lifeSignal: "#f8d7da", lifeKernel: "#ececec",
}

// WriteSVG draws the trace as a sequence diagram (SPEC X2). The drawing
// depends on the trace alone: the same trace gives the same bytes.
func (tr *Trace) WriteSVG(w io.Writer) error {
	d := build(tr)
	rows := d.rows
	if len(rows) > MaxRows {
		rows = collapse(rows)
	}
	order := d.order()
	l := layout(d, order, rows)
	bw := bufio.NewWriter(w)
	l.write(bw, d, order, rows, tr)
	return bw.Flush()
}

// order returns the lifelines' column of each lifeline index: tasks
// first, then the kernel's parts and drivers in the order of the path,
// each kind by first appearance.
func (d *diagram) order() []int {
	idx := make([]int, len(d.lines))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		la, lb := d.lines[idx[a]], d.lines[idx[b]]
		if la.kind != lb.kind {
			return la.kind < lb.kind
		}
		return la.first < lb.first
	})
	col := make([]int, len(d.lines))
	for c, i := range idx {
		col[i] = c
	}
	return col
}

// geometry is where every column and row goes.
type geometry struct {
	x      []float64 // centre of each column
	headW  []float64
	width  float64
	height float64
	top    float64 // y of the first row
}

// textW is the drawn width of s.
func textW(s string) float64 { return float64(utf8.RuneCountInString(s)) * charW }

// short cuts s to maxLabel characters.
func short(s string) string {
	if utf8.RuneCountInString(s) <= maxLabel {
		return s
	}
	r := []rune(s)
	return string(r[:maxLabel-1]) + "…"
}

// layout spaces the columns so that every label fits between the
// lifelines its arrow joins, and every note beside its lifeline.
func layout(d *diagram, col []int, rows []row) *geometry {
	n := len(d.lines)
	g := &geometry{x: make([]float64, n), headW: make([]float64, n)}
	for i, ln := range d.lines {
		g.headW[col[i]] = max(textW(ln.title), textW(ln.sub)) + 20
	}
	gap := make([]float64, max(n-1, 0))
	for c := range gap {
		gap[c] = max(minGap, g.headW[c]/2+g.headW[c+1]/2+16)
	}
	rightNote := 0.0 // how far notes stick out right of the last column
	// Adjacent spans and notes first, then longer spans take what is
	// still missing, spread evenly over the gaps they cross.
	sorted := append([]row(nil), rows...)
	sort.SliceStable(sorted, func(a, b int) bool { return span(col, &sorted[a]) < span(col, &sorted[b]) })
	for _, r := range sorted {
		if r.band != "" {
			continue
		}
		need := textW(short(r.label)) + 24
		a, b := col[r.from], col[r.to]
		if a > b {
			a, b = b, a
		}
		if a == b {
			if a < len(gap) {
				gap[a] = max(gap[a], need+12)
			} else {
				rightNote = max(rightNote, need+12)
			}
			continue
		}
		have := 0.0
		for c := a; c < b; c++ {
			have += gap[c]
		}
		if have < need {
			for c := a; c < b; c++ {
				gap[c] += (need - have) / float64(b-a)
			}
		}
	}
	x := float64(timeW + margin)
	if n > 0 {
		x += g.headW[0] / 2
	}
	for c := range n {
		g.x[c] = x
		if c < len(gap) {
			x += gap[c]
		}
	}
	g.width = x + margin
	if n > 0 {
		g.width = max(x+g.headW[n-1]/2, x+rightNote) + margin
	}
	g.top = 30 + headH + 30
	g.height = g.top + float64(len(rows))*rowH + headH + 2*margin
	return g
}

// span is the number of columns an arrow crosses (0 for a note).
func span(col []int, r *row) int {
	if r.band != "" {
		return 0
	}
	s := col[r.to] - col[r.from]
	if s < 0 {
		s = -s
	}
	return s
}

// write emits the SVG document.
func (g *geometry) write(w *bufio.Writer, d *diagram, col []int, rows []row, tr *Trace) {
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="11">`+"\n",
		num(g.width), num(g.height), num(g.width), num(g.height))
	g.writeDefs(w)
	fmt.Fprintf(w, `<rect class="bg" x="0" y="0" width="%s" height="%s"/>`+"\n", num(g.width), num(g.height))
	title := fmt.Sprintf("fasync model kernel: %d events", len(tr.Events))
	if tr.Dropped > 0 {
		title += fmt.Sprintf(" (%d older ones dropped)", tr.Dropped)
	}
	if len(rows) < len(d.rows) {
		title += fmt.Sprintf(", %d rows drawn as %d", len(d.rows), len(rows))
	}
	fmt.Fprintf(w, `<text class="title" x="%d" y="20">%s</text>`+"\n", margin, esc(title))
	fmt.Fprintf(w, `<text class="axis" x="%d" y="%s">time ↓</text>`+"\n", margin, num(30+headH/2+4))
	bottom := g.top + float64(len(rows))*rowH
	for i, ln := range d.lines {
		c := col[i]
		fmt.Fprintf(w, `<line class="life" x1="%s" y1="%d" x2="%s" y2="%s"/>`+"\n", num(g.x[c]), 30+headH, num(g.x[c]), num(bottom))
		g.writeHead(w, ln, c, 30)
		g.writeHead(w, ln, c, bottom)
	}
	for k := range rows {
		g.writeRow(w, col, &rows[k], g.top+float64(k)*rowH+rowH/2)
	}
	fmt.Fprintln(w, "</svg>")
}

// writeDefs emits the style sheet and one arrowhead per class.
func (g *geometry) writeDefs(w *bufio.Writer) {
	fmt.Fprintln(w, "<defs>")
	for _, c := range classColors {
		fmt.Fprintf(w, `<marker id="head-%s" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker>`+"\n", c.class, c.color)
	}
	fmt.Fprintln(w, "<style>")
	fmt.Fprintln(w, `.bg{fill:#ffffff}.title{font-size:13px;font-weight:bold}.axis{fill:#777}`)
	fmt.Fprintln(w, `.life{stroke:#9a9a9a;stroke-dasharray:4 4}.head{stroke:#555}.headsub{fill:#555;font-size:10px}`)
	fmt.Fprintln(w, `.time{fill:#777;font-size:10px}.note{fill:#f7f7f7;stroke:#bbb}.band{fill:#fff3cd;stroke:#d9b44a}`)
	for _, c := range classColors {
		fmt.Fprintf(w, ".a-%s{stroke:%s;stroke-width:1.4;fill:none}.t-%s{fill:%s}\n", c.class, c.color, c.class, c.color)
	}
	fmt.Fprintln(w, `.dash{stroke-dasharray:5 3}.halo{fill:#fff;stroke:#fff;stroke-width:3px;stroke-linejoin:round}`)
	fmt.Fprintln(w, "</style>")
	fmt.Fprintln(w, "</defs>")
}

// writeHead draws a lifeline's head box with its top at y.
func (g *geometry) writeHead(w *bufio.Writer, ln *lifeline, c int, y float64) {
	x := g.x[c] - g.headW[c]/2
	fmt.Fprintf(w, `<rect class="head" x="%s" y="%s" width="%s" height="%d" rx="4" fill="%s"/>`+"\n",
		num(x), num(y), num(g.headW[c]), headH, headFill[ln.kind])
	fmt.Fprintf(w, `<text x="%s" y="%s" text-anchor="middle" font-weight="bold">%s</text>`+"\n", num(g.x[c]), num(y+17), esc(ln.title))
	fmt.Fprintf(w, `<text class="headsub" x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", num(g.x[c]), num(y+31), esc(ln.sub))
}

// writeRow draws one row centred on y.
func (g *geometry) writeRow(w *bufio.Writer, col []int, r *row, y float64) {
	fmt.Fprintf(w, `<g><title>%s</title>`, esc(r.title))
	fmt.Fprintf(w, `<text class="time" x="%d" y="%s">%s</text>`, margin, num(y+4), esc(msText(r.time)))
	label := esc(short(r.label))
	switch {
	case r.band != "":
		fmt.Fprintf(w, `<rect class="band" x="%d" y="%s" width="%s" height="18" rx="3"/>`, timeW, num(y-9), num(g.width-timeW-margin))
		fmt.Fprintf(w, `<text x="%s" y="%s" text-anchor="middle">%s</text>`, num((g.width+timeW)/2), num(y+4), esc(r.band))
	case r.from == r.to:
		x := g.x[col[r.from]] + 8
		fmt.Fprintf(w, `<rect class="note" x="%s" y="%s" width="%s" height="18" rx="3"/>`, num(x), num(y-9), num(textW(short(r.label))+12))
		fmt.Fprintf(w, `<text x="%s" y="%s">%s</text>`, num(x+6), num(y+4), label)
	default:
		x1, x2 := g.x[col[r.from]], g.x[col[r.to]]
		dash := ""
		if r.dashed {
			dash = " dash"
		}
		fmt.Fprintf(w, `<line class="a-%s%s" x1="%s" y1="%s" x2="%s" y2="%s" marker-end="url(#head-%s)"/>`,
			r.class, dash, num(x1), num(y+4), num(x2), num(y+4), r.class)
		// A white halo first, so lifelines crossing the label do not cut it.
		fmt.Fprintf(w, `<text class="halo" x="%s" y="%s">%s</text>`, num(min(x1, x2)+8), num(y-1), label)
		fmt.Fprintf(w, `<text class="t-%s" x="%s" y="%s">%s</text>`, r.class, num(min(x1, x2)+8), num(y-1), label)
	}
	fmt.Fprintln(w, "</g>")
}

// msText shows a time as milliseconds with microseconds: 1.234 ms.
func msText(t time.Duration) string {
	us := int64(t / time.Microsecond)
	return fmt.Sprintf("%d.%03d ms", us/1000, us%1000)
}

// num prints a coordinate with at most one decimal, the same way every
// time.
func num(v float64) string {
	tenths := int64(v*10 + 0.5)
	if tenths%10 == 0 {
		return fmt.Sprint(tenths / 10)
	}
	return fmt.Sprintf("%d.%d", tenths/10, tenths%10)
}

// esc escapes text for XML.
var esc = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace
