package cli

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
)

// units are the suffixes ParseSize takes, largest first: powers of 1024,
// as fio and dd count.
var units = []struct {
	suffix string // as typed: "k"
	name   string // as written in messages: "KiB"
	mult   int64
}{
	{"t", "TiB", 1 << 40},
	{"g", "GiB", 1 << 30},
	{"m", "MiB", 1 << 20},
	{"k", "KiB", 1 << 10},
}

// ParseSize reads a byte count: a decimal number, optionally followed by
// k, m, g or t (powers of 1024) and then optionally by "b" or "ib", in any
// case: "4000", "64k", "64KiB", "1g", "2kb". It reports an error for
// anything else, a negative number, or a count beyond 2^62 bytes.
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "ib"), "b")
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v < 0 || v > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size (a byte count, with k, m or g for KiB, MiB, GiB)", s)
	}
	return v * mult, nil
}

// FormatSize writes n as ParseSize reads it, in the largest unit that
// divides it exactly: 4096 is "4k", 4000 is "4000".
func FormatSize(n int64) string {
	for _, u := range units {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// HumanSize writes n for people, in the largest unit that divides it
// exactly: "64 MiB", "4000 B".
func HumanSize(n int64) string {
	for _, u := range units {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + " " + u.name
		}
	}
	return strconv.FormatInt(n, 10) + " B"
}

// A Size is a flag.Value holding a byte count that ParseSize reads and
// that must lie within [Min, Max]; its error for anything else names
// both limits.
type Size struct {
	N        int64
	Min, Max int64
}

// SizeFlag defines a size flag on fs with default def and limits
// [min, max], and returns where the parsed count is stored. The usage
// text gets the limits appended.
func SizeFlag(fs *flag.FlagSet, name string, def, min, max int64, usage string) *int64 {
	s := &Size{N: def, Min: min, Max: max}
	fs.Var(s, name, fmt.Sprintf("%s: `BYTES` from %s to %s (k, m, g: KiB, MiB, GiB)", usage, HumanSize(min), HumanSize(max)))
	return &s.N
}

// Set parses v into s.N, or reports an error naming s's limits.
func (s *Size) Set(v string) error {
	n, err := ParseSize(v)
	if err != nil {
		return err
	}
	if n < s.Min || n > s.Max {
		return fmt.Errorf("%s is outside %s to %s", HumanSize(n), HumanSize(s.Min), HumanSize(s.Max))
	}
	s.N = n
	return nil
}

// String writes the count as ParseSize reads it.
func (s *Size) String() string {
	if s == nil {
		return "0"
	}
	return FormatSize(s.N)
}
