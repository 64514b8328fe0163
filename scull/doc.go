// Package scull is scullpipe, the blocking FIFO device of LDD3 chapter 6
// (scull/pipe.c), written in Go against the model kernel's driver
// interfaces (package kernel) and nothing else. It is the example a driver
// author copies: every method is the kernel's file operation of the same
// name, every lock and wake-up carries a comment saying why it is there.
//
// Register puts scullpipe0 .. scullpipeN-1 in a kernel's device table; tasks
// then open them by name and use read, write, poll and fcntl (F_SETOWN,
// F_SETSIG, F_SETFL|FASYNC) and ioctl (LDD3's SCULL_P_IOCTSIZE and
// SCULL_P_IOCQSIZE, and FIONREAD) on them, exactly as a C program would
// use /dev/scullpipe0. Reads also have an asynchronous form (AioRead, the
// kernel.AioReader the aio engine uses, SPEC C13): on an empty device the
// request is queued, holding no goroutine, and the next write completes it.
//
// The behaviours are specified in SPEC.md sections B (B1–B11) and I (I2),
// and every test here names the ID it checks. Where fasync deliberately
// differs from LDD3 the SPEC says so, and so do the comments:
//
//   - two notification lists instead of one: readers hear POLL_IN after a
//     write, writers hear POLL_OUT after a read frees space (B5, B6), as Linux
//     pipes do;
//   - open does not discard data that is still held (B9);
//   - the buffer size belongs to each device and can be changed, by
//     SetSize or SCULL_P_IOCTSIZE, while the device holds no data (B1, I2);
//   - the status view (B10) is both a value (Status) and text shaped like
//     /proc/scullpipe (Pipes.WriteStatus).
//
// Like LDD3's scullpipe there is no end-of-file: a reader of an empty device
// sleeps even when no writer has it open (B3).
package scull
