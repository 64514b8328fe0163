package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/fasync-go/fasync/internal/bench"
	"github.com/fasync-go/fasync/internal/cli"
)

// The --svg charts of bench aio and bench fuse.

// writeChart writes c to the file name.
func writeChart(name string, c *bench.Chart) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := c.WriteSVG(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// aioChart draws the --compare table: IOPS with each row's ours/x, and
// p50 and p99 latency. The engine's rows are blue, the baselines (plain
// goroutines, fio) grey.
func aioChart(rep *aioReport) *bench.Chart {
	iops := bench.Panel{Title: "IOPS, median of the rounds (higher is better)", Unit: "IOPS"}
	lat := bench.Panel{Title: "latency: each request's turnaround (lower is better)", Unit: "µs", Series: []string{"p50", "p99"}}
	for _, r := range append([]bench.Result{rep.Result}, rep.Compare...) {
		baseline := !strings.HasPrefix(r.Name, "fasync ")
		if r.Err != "" {
			note := r.Err
			if len(note) > 80 {
				note = note[:77] + "..."
			}
			iops.Bars = append(iops.Bars, bench.Bar{Label: r.Name, Note: note, Baseline: baseline})
			lat.Bars = append(lat.Bars, bench.Bar{Label: r.Name, Note: "no run", Baseline: baseline})
			continue
		}
		ratio := 1.0
		if r.Ratio != 0 {
			ratio = r.Ratio
		}
		iops.Bars = append(iops.Bars, bench.Bar{Label: r.Name, Values: []float64{r.IOPS},
			Note: fmt.Sprintf("ours/x %.2f", ratio), Baseline: baseline})
		lat.Bars = append(lat.Bars, bench.Bar{Label: r.Name, Values: []float64{float64(r.Clat.P50) / 1e3, float64(r.Clat.P99) / 1e3},
			Baseline: baseline})
	}
	return &bench.Chart{
		Title: fmt.Sprintf("fasync bench aio: %s %s, iodepth %d, %s file, direct=%t, %d CPUs", rep.RW, cli.HumanSize(rep.BS),
			rep.IODepth, cli.HumanSize(rep.Size), rep.Direct, rep.CPUs),
		Subtitle: "blue: the aio Engine; grey: baselines run in the same invocation (goroutines doing ReadAt/WriteAt, fio)",
		Panels:   []bench.Panel{iops, lat},
	}
}

func writeAIOChart(name string, rep *aioReport) error { return writeChart(name, aioChart(rep)) }

// fuseChart draws bench fuse's tables, a panel each: every case's median
// with its ratio to the table's first row. FIFOs are grey, exports blue.
func fuseChart(tables []*caseTable, p fuseParams) *bench.Chart {
	c := &bench.Chart{
		Title:    fmt.Sprintf("fasync bench fuse: %s transfers, %s per run, median of %d runs", cli.HumanSize(int64(p.bs)), cli.HumanSize(int64(p.total)), p.runs),
		Subtitle: "blue: scullpipe exported through FUSE; grey: kernel FIFOs, measured in the same rounds",
	}
	for _, t := range tables {
		if len(t.cases) == 0 {
			continue
		}
		panel := bench.Panel{Title: t.chartTitle, Unit: t.cases[0].Unit}
		for _, cs := range t.cases {
			panel.Bars = append(panel.Bars, bench.Bar{Label: cs.Name, Values: []float64{cs.Median},
				Note: fmt.Sprintf("vs FIFO %.2f", cs.Median/t.cases[0].Median), Baseline: cs.Baseline})
		}
		c.Panels = append(c.Panels, panel)
	}
	return c
}
