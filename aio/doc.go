// Package aio is POSIX asynchronous I/O (aio_read, aio_write, aio_fsync,
// aio_error, aio_return, aio_suspend, aio_cancel, lio_listio) for Go, on real
// files and descriptors, implementing SPEC section C (C1–C13).
package aio
