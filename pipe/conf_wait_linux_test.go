package pipe_test

import "testing"

// TestConformanceSignalWaits runs the scenarios of signal masks,
// sigtimedwait and signalfd (SPEC S5, S8, S9) on both sides.
func TestConformanceSignalWaits(t *testing.T) { runScenarios(t, maskScenarios) }

// TestConformanceEpollSelect runs the epoll and select scenarios (SPEC
// E1, E2, E4, E5, E6) on both sides.
func TestConformanceEpollSelect(t *testing.T) { runScenarios(t, epollScenarios) }

// TestConformanceFIFO runs the FIFO scenarios (SPEC E7) on both sides.
func TestConformanceFIFO(t *testing.T) { runScenarios(t, fifoScenarios) }
