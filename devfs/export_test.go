package devfs

// EarlyInterrupts reports how many INTERRUPTs m's server keeps that
// found no request to cancel (yet), for tests that make an INTERRUPT
// overtake its request.
func EarlyInterrupts(m *Mount) int {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	return len(m.s.early)
}
