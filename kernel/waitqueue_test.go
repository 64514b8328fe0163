package kernel

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

// TestWaitQueue checks Wait's contract (the sleep under M1 and M3).
func TestWaitQueue(t *testing.T) {
	t.Run("M1/cond-already-true", func(t *testing.T) {
		var q WaitQueue
		if err := q.Wait(context.Background(), nil, func() bool { return true }); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("M1/cancelled-returns-ERESTARTSYS", func(t *testing.T) {
		var q WaitQueue
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := q.Wait(ctx, nil, func() bool { return false }); err != ERESTARTSYS {
			t.Fatalf("Wait = %v, want ERESTARTSYS", err)
		}
	})
	t.Run("M1/cond-wins-over-cancel", func(t *testing.T) {
		var q WaitQueue
		var mu sync.Mutex
		ready := false
		ctx, cancel := context.WithCancel(context.Background())
		started := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			mu.Lock()
			close(started)
			err := q.Wait(ctx, &mu, func() bool { return ready })
			mu.Unlock()
			done <- err
		}()
		<-started
		// The waiter holds mu until it sleeps, so this Lock returns once
		// it is registered and asleep.
		mu.Lock()
		ready = true
		cancel()
		mu.Unlock()
		if err := <-done; err != nil {
			t.Fatalf("Wait = %v, want nil: a true condition wins", err)
		}
	})
	t.Run("M1/nil-cond-waits-for-wakeup", func(t *testing.T) {
		var q WaitQueue
		var mu sync.Mutex
		started := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			mu.Lock()
			close(started)
			err := q.Wait(context.Background(), &mu, nil)
			mu.Unlock()
			done <- err
		}()
		<-started
		mu.Lock() // the waiter is registered and asleep
		q.WakeUp()
		mu.Unlock()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// TestWaitQueueNoLostWakeup hammers a producer/consumer pair through Wait
// with and without a lock: any lost wake-up hangs the test (SPEC M1).
func TestWaitQueueNoLostWakeup(t *testing.T) {
	const rounds = 20000
	t.Run("M1/with-lock", func(t *testing.T) {
		var q WaitQueue
		var mu sync.Mutex
		n := 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			for want := 1; want <= rounds; want++ {
				mu.Lock()
				if err := q.Wait(context.Background(), &mu, func() bool { return n >= want }); err != nil {
					panic(err)
				}
				mu.Unlock()
			}
		}()
		for i := 0; i < rounds; i++ {
			mu.Lock()
			n++
			mu.Unlock()
			q.WakeUp()
		}
		<-done
	})
	t.Run("M1/without-lock", func(t *testing.T) {
		var q WaitQueue
		var n atomic.Int64
		done := make(chan struct{})
		go func() {
			defer close(done)
			for want := int64(1); want <= rounds; want++ {
				if err := q.Wait(context.Background(), nil, func() bool { return n.Load() >= want }); err != nil {
					panic(err)
				}
			}
		}()
		for i := 0; i < rounds; i++ {
			n.Add(1)
			q.WakeUp()
		}
		<-done
	})
}

// TestPollTable checks registration, firing, de-duplication and Free (M3).
func TestPollTable(t *testing.T) {
	var q1, q2 WaitQueue
	var fired atomic.Int32
	pt := NewPollTable(func() { fired.Add(1) })
	pt.Wait(&q1)
	pt.Wait(&q1) // twice on one queue counts once
	pt.Wait(&q2)
	q1.WakeUp()
	if fired.Load() != 1 {
		t.Fatalf("M3: WakeUp fired the table %d times, want 1", fired.Load())
	}
	q2.WakeUp()
	if fired.Load() != 2 {
		t.Fatalf("M3: second queue's WakeUp: fired %d, want 2", fired.Load())
	}
	pt.Free()
	pt.Free() // idempotent
	q1.WakeUp()
	q2.WakeUp()
	if fired.Load() != 2 {
		t.Fatal("M3: a freed table fired")
	}
	if len(q1.polls)+len(q2.polls) != 0 {
		t.Fatal("Free left the table registered")
	}
	pt.Wait(&q1) // after Free: ignored
	if len(q1.polls) != 0 {
		t.Fatal("Wait after Free registered the table")
	}
	var nilTable *PollTable
	nilTable.Wait(&q1) // drivers pass on a nil table
	nilTable.Free()
	NewPollTable(nil).Wait(nil)
}
