// Package linuxaio is Linux's native asynchronous I/O interface in pure
// Go (fs/aio.c, include/uapi/linux/aio_abi.h): struct iocb and struct
// io_event with the kernel's layout, and io_setup, io_destroy, io_submit,
// io_getevents and io_cancel as raw system calls through
// golang.org/x/sys/unix. Package aio's "linuxaio" backend (SPEC C19) is
// built on it; names and values are Linux's.
package linuxaio
