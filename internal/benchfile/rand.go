package benchfile

// Rand is a xorshift64 generator: a random source for one goroutine,
// without locks or allocation. Its zero value is stuck at zero; seed it
// with NewRand.
type Rand uint64

// NewRand returns a generator for seed, spread by the golden-ratio
// constant so that seeds 1, 2, 3 ... start far apart. Any seed works,
// zero included.
func NewRand(seed uint64) Rand {
	r := Rand((seed + 1) * 0x9E3779B97F4A7C15)
	if r == 0 {
		r = 1
	}
	return r
}

// Next returns the next value.
func (r *Rand) Next() uint64 {
	x := uint64(*r)
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	*r = Rand(x)
	return x
}

// Block returns the offset of a uniformly random block of bs bytes in a
// file of size bytes (size at least bs).
func (r *Rand) Block(size, bs int64) int64 {
	return int64(r.Next()%uint64(size/bs)) * bs
}

// Fill writes random bytes into p.
func (r *Rand) Fill(p []byte) {
	for i := 0; i < len(p); i += 8 {
		v := r.Next()
		for k := 0; k < 8 && i+k < len(p); k++ {
			p[i+k] = byte(v >> (8 * k))
		}
	}
}
