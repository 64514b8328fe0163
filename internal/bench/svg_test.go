package bench

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// H5: the chart is well-formed XML (names escaped), labels every row of
// every panel, and draws a bar per row and series.
func TestChartSVG(t *testing.T) {
	c := &Chart{
		Title:    "a <title> & more",
		Subtitle: "blue: ours",
		Panels: []Panel{
			{Title: "IOPS", Unit: "IOPS", Bars: []Bar{
				{Label: "fasync aio (io_uring, 2 rings)", Values: []float64{1.2e6}, Note: "ours/x 1.00"},
				{Label: "goroutines x32 ReadAt", Values: []float64{9e5}, Note: "ours/x 1.33", Baseline: true},
				{Label: "fio <missing>", Note: "fio not installed", Baseline: true},
			}},
			{Title: "latency", Unit: "µs", Series: []string{"p50", "p99"}, Bars: []Bar{
				{Label: "fasync aio (io_uring, 2 rings)", Values: []float64{17, 34}},
				{Label: "goroutines x32 ReadAt", Values: []float64{0.9, 1.6}, Baseline: true},
			}},
		},
	}
	var buf bytes.Buffer
	if err := c.WriteSVG(&buf); err != nil {
		t.Fatal(err)
	}
	texts, rects := map[string]int{}, 0
	d := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	var in string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, buf.String())
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			in = tok.Name.Local
			if in == "rect" {
				rects++
			}
			if in == "svg" && tok.Name.Space != "http://www.w3.org/2000/svg" {
				t.Errorf("svg element in namespace %q", tok.Name.Space)
			}
		case xml.CharData:
			if in == "text" {
				texts[string(tok)]++
			}
		case xml.EndElement:
			in = ""
		}
	}
	for _, p := range c.Panels {
		for _, b := range p.Bars {
			if texts[b.Label] == 0 {
				t.Errorf("no label %q", b.Label)
			}
		}
	}
	if texts["a <title> & more"] != 1 {
		t.Errorf("title missing or badly escaped: %v", texts)
	}
	if !containsText(texts, "fio not installed") || !containsText(texts, "1.20M IOPS · ours/x 1.00") || !containsText(texts, "0.900 µs") {
		t.Errorf("values and notes missing: %v", texts)
	}
	// The background, 3 bars of the first panel but one without values
	// (2), 2×2 of the second, and the legend's 2 swatches.
	if want := 1 + 2 + 4 + 2; rects != want {
		t.Errorf("%d rects, want %d", rects, want)
	}
}

func containsText(texts map[string]int, s string) bool {
	for k := range texts {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// H5: the axis ends on a round number at or above the largest value, in
// steps of 1, 2 or 5 times a power of ten.
func TestChartAxis(t *testing.T) {
	for _, c := range []struct {
		max, scale float64
		ticks      int
	}{{2336, 2500, 6}, {54.5, 60, 7}, {1e6, 1e6, 6}, {0.88, 0.9, 10}, {0, 1, 1}} {
		scale, ticks := axis(c.max)
		if scale != c.scale || len(ticks) != c.ticks {
			t.Errorf("axis(%v) = %v, %d ticks; want %v, %d", c.max, scale, len(ticks), c.scale, c.ticks)
		}
	}
}
