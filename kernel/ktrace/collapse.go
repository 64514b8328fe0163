package ktrace

import (
	"fmt"
	"strings"
)

// MaxRows is the number of rows a diagram draws before it summarises:
// beyond it, runs of rows that repeat (the same arrows between the same
// lifelines, whatever their numbers) are drawn once with a count.
const MaxRows = 100

// maxPeriod is the longest run of rows that collapse looks for.
const maxPeriod = 24

// collapse replaces each repeated run of rows by its first copy and a
// band saying how many times it repeats.
func collapse(rows []row) []row {
	keys := make([]string, len(rows))
	for i := range rows {
		keys[i] = rowKey(&rows[i])
	}
	var out []row
	for i := 0; i < len(rows); {
		p, reps := bestRepeat(keys, i)
		if reps < 2 {
			out = append(out, rows[i])
			i++
			continue
		}
		out = append(out, rows[i:i+p]...)
		last := rows[i+p*reps-1]
		out = append(out, row{
			band:  fmt.Sprintf("↑ %s repeated %d more times", plural(itoa(p), "row", "rows"), reps-1),
			time:  last.time,
			title: fmt.Sprintf("%d rows (%d to %d) collapsed; the last one:\n%s", p*(reps-1), i+p+1, i+p*reps, last.title),
		})
		i += p * reps
	}
	return out
}

// bestRepeat returns the period p and number of copies reps (>= 2) of
// the run starting at i that saves the most rows, or reps < 2 when no
// run repeats.
func bestRepeat(keys []string, i int) (p, reps int) {
	best := 0
	for q := 1; q <= maxPeriod && i+2*q <= len(keys); q++ {
		r := 1
		for i+(r+1)*q <= len(keys) && equalRun(keys, i, i+r*q, q) {
			r++
		}
		if saved := (r-1)*q - 1; r >= 2 && saved > best {
			best, p, reps = saved, q, r
		}
	}
	return p, reps
}

// equalRun reports whether keys[a:a+n] and keys[b:b+n] are equal.
func equalRun(keys []string, a, b, n int) bool {
	for k := range n {
		if keys[a+k] != keys[b+k] {
			return false
		}
	}
	return true
}

// rowKey is what makes two rows repeats of one another: the same
// lifelines, class and label but for its digits.
func rowKey(r *row) string {
	label := strings.Map(func(c rune) rune {
		if c >= '0' && c <= '9' {
			return '#'
		}
		return c
	}, r.label)
	return fmt.Sprintf("%d>%d %s %s", r.from, r.to, r.class, label)
}
