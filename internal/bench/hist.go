package bench

import "math/bits"

// Hist is a log-linear latency histogram in nanoseconds: 16 buckets per
// power of two, so a percentile is within about 3% of the true value.
// Its zero value is empty and ready.
type Hist struct {
	counts [60 * 16]uint64
	n      uint64
	sum    float64
}

func histBucket(v int64) int {
	if v < 16 {
		return int(max(v, 0))
	}
	e := bits.Len64(uint64(v)) - 1 // 4 or more
	return (e-3)*16 + int(v>>(e-4)&15)
}

// histValue is the middle of bucket b.
func histValue(b int) int64 {
	if b < 16 {
		return int64(b)
	}
	e, sub := b/16+3, int64(b%16)
	width := int64(1) << (e - 4)
	return (16+sub)*width + width/2
}

// Add counts one sample of v nanoseconds.
func (h *Hist) Add(v int64) {
	h.counts[min(histBucket(v), len(h.counts)-1)]++
	h.n++
	h.sum += float64(v)
}

// Merge adds o's samples to h.
func (h *Hist) Merge(o *Hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
}

// Count reports the number of samples.
func (h *Hist) Count() int64 { return int64(h.n) }

// Percentile reports the p-quantile (p in 0..1), 0 for an empty histogram.
func (h *Hist) Percentile(p float64) int64 {
	if h.n == 0 {
		return 0
	}
	want := uint64(p*float64(h.n-1)) + 1
	var seen uint64
	for b, c := range h.counts {
		seen += c
		if seen >= want {
			return histValue(b)
		}
	}
	return histValue(len(h.counts) - 1)
}

// Mean reports the mean sample, 0 for an empty histogram.
func (h *Hist) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// Latency sums h up.
func (h *Hist) Latency() Latency {
	return Latency{P50: h.Percentile(0.50), P99: h.Percentile(0.99), Mean: h.Mean()}
}
