package bench

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
)

// A Chart is a comparison drawn as horizontal bars, one panel per
// quantity (throughput, latency), every row beside its baselines so a
// reader sees the comparison at a glance. WriteSVG draws it.
type Chart struct {
	Title    string
	Subtitle string // the job's parameters, the command
	Panels   []Panel
}

// A Panel is one quantity across the rows: a group of bars per row, one
// bar per series (a single series when Series is empty).
type Panel struct {
	Title  string   // what is measured and which way is better
	Unit   string   // written after each value
	Series []string // the names of each group's bars, e.g. p50 and p99
	Bars   []Bar
}

// A Bar is one row of a panel.
type Bar struct {
	Label    string
	Values   []float64 // one per series; a row without values is drawn as its Note alone
	Note     string    // written after the values: a ratio, an error
	Baseline bool      // a baseline row, drawn grey; the others blue
}

// The chart's geometry, in SVG user units (pixels).
const (
	chartWidth  = 980
	labelWidth  = 330 // the row labels, right-aligned at its edge
	barSpan     = 430 // the longest bar
	barHeight   = 16
	rowGap      = 8
	panelTitleH = 34
	axisH       = 22
)

var (
	oursFill     = []string{"#2f6db5", "#8fb3e0"} // by series: the first bar dark, the next light
	baselineFill = []string{"#7f7f7f", "#c4c4c4"}
)

// WriteSVG writes the chart as a standalone SVG document.
func (c *Chart) WriteSVG(w io.Writer) error {
	bw := bufio.NewWriter(w)
	height := 56
	if c.Subtitle != "" {
		height += 18
	}
	for _, p := range c.Panels {
		height += p.height()
	}
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">
<rect width="100%%" height="100%%" fill="white"/>
`, chartWidth, height, chartWidth, height)
	y := 28
	text(bw, 16, y, "start", 17, "bold", c.Title)
	if c.Subtitle != "" {
		y += 20
		text(bw, 16, y, "start", 12, "normal", c.Subtitle)
	}
	y += 24
	for _, p := range c.Panels {
		p.draw(bw, y)
		y += p.height()
	}
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
}

func (p *Panel) series() int { return max(1, len(p.Series)) }

func (p *Panel) rowHeight() int { return p.series()*barHeight + rowGap }

func (p *Panel) height() int { return panelTitleH + len(p.Bars)*p.rowHeight() + axisH + 16 }

// draw writes the panel with its top at y: the title and legend, the
// grid and axis, and the bars with their values.
func (p *Panel) draw(w io.Writer, y int) {
	text(w, 16, y+18, "start", 14, "bold", p.Title)
	if len(p.Series) > 1 {
		x := chartWidth - 16 - 90*len(p.Series)
		for i, s := range p.Series {
			fmt.Fprintf(w, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/>`+"\n", x+90*i, y+8, oursFill[i%len(oursFill)])
			text(w, x+90*i+16, y+18, "start", 12, "normal", s)
		}
	}
	top := y + panelTitleH
	bottom := top + len(p.Bars)*p.rowHeight()
	scale, ticks := axis(p.max())
	for _, t := range ticks {
		x := labelWidth + 10 + int(math.Round(t/scale*barSpan))
		fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#e3e3e3"/>`+"\n", x, top-4, x, bottom)
		text(w, x, bottom+14, "middle", 11, "normal", formatTick(t))
	}
	fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555"/>`+"\n", labelWidth+10, top-4, labelWidth+10, bottom)
	for i, b := range p.Bars {
		ry := top + i*p.rowHeight()
		text(w, labelWidth, ry+p.series()*barHeight/2+4, "end", 12, "normal", b.Label)
		fills := oursFill
		if b.Baseline {
			fills = baselineFill
		}
		end := labelWidth + 14
		for k, v := range b.Values {
			if k >= p.series() {
				break
			}
			width := 0
			if scale > 0 && v > 0 {
				width = max(1, int(math.Round(v/scale*barSpan)))
			}
			by := ry + k*barHeight
			fmt.Fprintf(w, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>`, labelWidth+10, by+1, width, barHeight-2, fills[k%len(fills)])
			xml.EscapeText(w, []byte(fmt.Sprintf("%s %s: %s %s", b.Label, p.seriesName(k), formatValue(v), p.Unit)))
			fmt.Fprintln(w, "</title></rect>")
			label := formatValue(v) + " " + p.Unit
			if k == 0 && b.Note != "" {
				label += " · " + b.Note
			}
			text(w, labelWidth+16+width, by+barHeight-4, "start", 11, "normal", label)
			end = labelWidth + 16 + width
		}
		if len(b.Values) == 0 && b.Note != "" {
			text(w, end, ry+barHeight-4, "start", 11, "italic", b.Note)
		}
	}
}

func (p *Panel) seriesName(k int) string {
	if k < len(p.Series) {
		return p.Series[k]
	}
	return ""
}

// max is the largest value the panel draws.
func (p *Panel) max() float64 {
	m := 0.0
	for _, b := range p.Bars {
		for _, v := range b.Values {
			if !math.IsInf(v, 0) && !math.IsNaN(v) {
				m = max(m, v)
			}
		}
	}
	return m
}

// axis picks a round full scale at or above m, and the ticks from zero
// to it in steps of 1, 2 or 5 times a power of ten.
func axis(m float64) (scale float64, ticks []float64) {
	if m <= 0 {
		return 1, []float64{0}
	}
	step := math.Pow(10, math.Floor(math.Log10(m)))
	for _, k := range []float64{0.1, 0.2, 0.5, 1} {
		if m/(step*k) <= 6 {
			step *= k
			break
		}
	}
	scale = math.Ceil(m/step) * step
	for t := 0.0; t <= scale*1.0001; t += step {
		ticks = append(ticks, t)
	}
	return scale, ticks
}

// formatValue writes v with three significant digits, and k or M for
// thousands and millions.
func formatValue(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', digits(v/1e6), 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', digits(v/1e3), 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', digits(v), 64)
}

// formatTick writes an axis value as short as it is exact.
func formatTick(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// digits is the decimals that give v three significant digits.
func digits(v float64) int {
	switch a := math.Abs(v); {
	case a == 0 || a >= 100:
		return 0
	case a >= 10:
		return 1
	case a >= 1:
		return 2
	}
	return 3
}

// text writes one escaped text element.
func text(w io.Writer, x, y int, anchor string, size int, weight, s string) {
	style := ""
	switch weight {
	case "bold":
		style = ` font-weight="bold"`
	case "italic":
		style = ` font-style="italic"`
	}
	fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="%s" font-size="%d"%s>`, x, y, anchor, size, style)
	xml.EscapeText(w, []byte(s))
	fmt.Fprintln(w, "</text>")
}
