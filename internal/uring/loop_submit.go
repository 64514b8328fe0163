package uring

import (
	"fmt"
	"syscall"
)

// Submission to a Loop: SQEs reserved in the ring under the Loop's lock,
// filled in place and handed to the loop goroutine.

// Submit copies sqes into the ring for the loop goroutine to hand to the
// kernel. It reports how many it queued: all of them, or fewer with
// ErrRingFull when the Loop already holds LoopConfig.Entries requests
// (sqes[n:] were not queued), or none with ErrClosed after Close. The
// Handler receives each queued request's completion exactly once.
//
// Buffers the SQEs point at must stay valid (and pinned, if Go memory)
// until their completions reach the Handler.
func (l *Loop) Submit(sqes []SQE) (int, error) {
	b, err := l.Reserve(len(sqes))
	for i := 0; i < b.Len(); i++ {
		*b.SQE(i) = sqes[i]
	}
	if cerr := b.Commit(); cerr != nil {
		return 0, cerr
	}
	return b.Len(), err
}

// A Batch is SQEs reserved in a Loop's ring, filled in place (no copy)
// and handed to the loop goroutine by Commit. From Reserve to Commit the
// Loop's submission lock is held: fill the SQEs and do nothing else.
type Batch struct {
	l     *Loop
	start uint32 // ring index of the first reserved SQE
	n     int
}

// Reserve locks the Loop's submission side and reserves up to n SQEs: all
// of them, or fewer with ErrRingFull when the Loop already holds
// LoopConfig.Entries requests, or none with ErrClosed after Close. The
// Batch must be committed whatever Reserve returned: Commit releases the
// lock.
func (l *Loop) Reserve(n int) (Batch, error) {
	l.mu.Lock()
	if l.closed {
		return Batch{l: l}, ErrClosed
	}
	// inflight may exceed limit by internal ops (opReserve): no room then.
	got := max(0, min(n, int(l.limit-l.inflight.Load())))
	b := Batch{l: l, start: l.ring.sqeTail, n: got}
	l.ring.sqeTail += uint32(got) // room is certain: SQ entries >= limit+opReserve
	if got < n {
		return b, ErrRingFull
	}
	return b, nil
}

// Len reports how many SQEs b holds.
func (b *Batch) Len() int { return b.n }

// SQE returns the i-th SQE of b, to be filled with one of the Prep methods.
func (b *Batch) SQE(i int) *SQE {
	r := b.l.ring
	return &r.sqes[(b.start+uint32(i))&r.sqMask]
}

// Commit hands b's SQEs to the loop goroutine and releases the Loop's
// submission lock. A user_data with bit 63 set (reserved for the Loop's
// own operations) makes it drop the whole batch with EINVAL.
func (b *Batch) Commit() error {
	l := b.l
	for i := 0; i < b.n; i++ {
		if ud := b.SQE(i).UserData; ud&internalTag != 0 {
			l.ring.sqeTail -= uint32(b.n)
			l.mu.Unlock()
			return fmt.Errorf("uring: user_data %#x has bit 63 set (reserved): %w", ud, syscall.EINVAL)
		}
	}
	if b.n == 0 {
		l.mu.Unlock()
		return nil
	}
	l.inflight.Add(int32(b.n))
	l.ring.Flush()
	l.mu.Unlock()
	l.wake()
	return nil
}
