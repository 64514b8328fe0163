package scull

// Hand-written FuzzOps inputs: each is a short story the fuzzer mutates,
// and plain `go test` runs them all. Bytes per operation: see step in
// fuzz_ops_test.go. Task, descriptor and owner arguments are indices
// (owner v: v%4 = 0 none, 1 pid, 2 -pgid, 3 nobody; task (v/4)%3).
var fuzzSeeds = [][]byte{
	// read, write, poll and close on one O_RDWR|O_NONBLOCK file (B2–B4, B7)
	{opOpen, 0, 0, 6, opWrite, 0, 0, 5, opRead, 0, 0, 3, opPoll, 0, 0x45, 0, opClose, 0, 0},
	// asynctest with F_SETSIG: the writer's data signals the reader (B5, A7)
	{opOpen, 0, 0, 4, opSetown, 0, 0, 1, opSetsig, 0, 0, 2, opSetfl, 0, 0, 3,
		opOpen, 1, 0, 1, opWrite, 1, 0, 7, opPause, 0, opRead, 0, 0, 15, opClose, 0, 0},
	// dup'd descriptors share one entry; FASYNC off with the last close (A3, A13)
	{opOpen, 1, 1, 2, opDup, 1, 0, opSetfl, 1, 0, 2, opSetfl, 1, 1, 2, opClose, 1, 0, opClose, 1, 1},
	// fill, EAGAIN, resize refused while holding data, drain, resize (B1, B2, B4)
	{opOpen, 2, 0, 6, opWrite, 2, 0, 15, opWrite, 2, 0, 15, opSetSize, 0, 5, opRead, 2, 0, 15,
		opSetSize, 0, 5, opWrite, 2, 0, 15},
	// a process group owns the file (S4, A9)
	{opSetpgid, 1, 1, opOpen, 0, 1, 4, opSetown, 0, 0, 2, opSetfl, 0, 0, 3,
		opOpen, 2, 1, 5, opWrite, 2, 0, 3, opPause, 1, opPause, 0},
	// the owner exits while its file is listed (A6, A13, B8)
	{opOpen, 1, 0, 4, opSetown, 1, 0, 5, opSetfl, 1, 0, 3, opExit, 1, opOpen, 0, 0, 5, opWrite, 0, 0, 4},
	// blocking read and poll on an empty device end at their deadlines (B3, M3)
	{opOpen, 0, 1, 0, opRead, 0, 0, 4, opPoll, 0, 1, 1},
	// a real-time signal without a handler kills its owner, whose files close (A7, B8)
	{opOpen, 2, 0, 4, opSetown, 2, 0, 9, opSetsig, 2, 0, 2, opSetfl, 2, 0, 3,
		opOpen, 1, 0, 5, opWrite, 1, 0, 3, opOpen, 2, 0, 4, opWrite, 1, 0, 3},
	// bad arguments everywhere (A14, B1)
	{opOpen, 0, 0, 2, opClose, 0, 255, opSetfl, 0, 250, 3, opSetownEx, 0, 0, 3, 1, opSetsig, 0, 0, 4,
		opOpen, 0, 2, 0, opOpen, 0, 0, 3, opSetSize, 1, 1, opKill, 0, 5, 3, opSetpgid, 2, 3},
	// F_SETOWN_EX with a process group, then a write (A9)
	{opOpen, 0, 0, 4, opSetownEx, 0, 0, 2, 1, opSetfl, 0, 0, 3, opOpen, 1, 0, 5, opWrite, 1, 0, 9, opPause, 0},
	// O_RDWR with FASYNC is on both lists: writes and reads signal it (B5, B6)
	{opOpen, 0, 1, 6, opSetown, 0, 0, 1, opSetfl, 0, 0, 3, opWrite, 0, 0, 6, opRead, 0, 0, 2,
		opPause, 0, opSetfl, 0, 0, 1, opClose, 0, 0},
	// a blocked real-time signal stays queued and is delivered once on unblock (S1, S5)
	{opSigmask, 0, 0, 0, 1, opSigqueue, 1, opSigqueue, 2, opSigqueue, 0, opSigmask, 0, 0, 1, 1, opPause, 0},
	// threads: one blocks the signal, the process still takes it (T1, T2, S5)
	{opThread, 0, 0, opThread, 0, 0, opSigmask, 0, 1, 0, 1, opSigqueue, 1, opThread, 0, 1, opSigqueue, 2},
	// fork shares the open file; exec and exit of the child (T3, T4, B8)
	{opOpen, 0, 0, 4, opSetown, 0, 0, 1, opSetfl, 0, 0, 3, opFork, 0, 0, opFork, 0, 2,
		opFork, 1, 0, opFork, 1, 0, opWrite, 0, 0, 3, opClose, 0, 0},
	// epoll over a scullpipe: level-triggered, then the file closed (E2, E4, E5)
	{opOpen, 0, 0, 6, opEpollCreate, 0, 0, opEpollCtl, 0, 1, 1, 0, 1, opWrite, 0, 0, 3,
		opEpollWait, 0, 1, 0, opEpollWait, 0, 1, 2, opClose, 0, 0, opEpollWait, 0, 1, 1},
	// a FIFO: non-blocking opens, epoll edge-triggered, partial read, writer gone (E7, E4)
	{opMkfifo, 0, 0, opOpen, 0, 3, 4, opOpen, 1, 3, 5, opWrite, 1, 0, 4, opEpollCreate, 0, 0,
		opEpollCtl, 0, 1, 1, 0, 5, opEpollWait, 0, 1, 1, opRead, 0, 0, 2, opEpollWait, 0, 1, 0,
		opClose, 1, 0, opEpollWait, 0, 1, 0},
}
