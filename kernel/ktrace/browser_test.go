package ktrace

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSVGInChromium opens the README's diagram in headless Chromium, as
// a reader would (X2): the browser parses it without an error, renders
// it at the size the SVG declares, and the picture is not blank. It
// skips when no chromium is installed (scripts/test installs Debian's
// package).
func TestSVGInChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (Debian package chromium): cannot render the SVG in a browser")
	}
	svg, err := os.ReadFile(asynctestSVG)
	if err != nil {
		t.Fatal(err)
	}
	w, h := svgSize(t, svg)
	if w < 600 || w > 4000 || h < 400 || h > 8000 {
		t.Fatalf("the diagram declares %dx%d: not a sane size for a page", w, h)
	}
	dir := t.TempDir()
	page := "file://" + mustAbs(t, asynctestSVG)
	run := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
			"--user-data-dir=" + filepath.Join(dir, "profile"), "--no-first-run"}
		cmd := exec.CommandContext(ctx, browser, append(base, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
		}
		return out
	}
	dom := string(run("--dump-dom", page))
	if strings.Contains(dom, "parsererror") || strings.Contains(dom, "This page contains the following errors") {
		t.Fatalf("chromium could not parse the SVG:\n%.2000s", dom)
	}
	if !strings.Contains(dom, "kill_fasync(SIGIO, POLL_IN)") {
		t.Errorf("the rendered document lacks the kill_fasync arrow:\n%.2000s", dom)
	}
	shot := filepath.Join(dir, "asynctest.png")
	run("--screenshot="+shot, "--window-size="+itoa(w)+","+itoa(h), page)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("screenshot is %dx%d, want the SVG's %dx%d", b.Dx(), b.Dy(), w, h)
	}
	if ink := inked(img); ink < 0.01 || ink > 0.5 {
		t.Errorf("%.1f%% of the screenshot is drawn: want a picture, neither blank nor filled", 100*ink)
	}
}

// svgSize reads the width and height the SVG's root element declares.
func svgSize(t *testing.T, svg []byte) (w, h int) {
	t.Helper()
	s := string(svg)
	i := strings.Index(s, "<svg ")
	if i < 0 {
		t.Fatal("no <svg> element")
	}
	attr := func(name string) int {
		j := strings.Index(s[i:], name+`="`)
		if j < 0 {
			t.Fatalf("<svg> has no %s", name)
		}
		v := s[i+j+len(name)+2:]
		v = v[:strings.IndexByte(v, '"')]
		n := 0
		for _, c := range v {
			if c == '.' {
				return n + 1 // round a fraction up: the page must hold it
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	return attr("width"), attr("height")
}

// inked returns the fraction of img's pixels that are not white.
func inked(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

// mustAbs is filepath.Abs or a failed test.
func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
