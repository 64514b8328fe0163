package aio

// An Engine queues requests and hands them to a backend (io_uring or a
// thread pool). The methods are being written; see AIO_BACKEND.md.
type Engine struct {
	bk backend
}

// A listGroup tracks the entries of one ListIO call.
type listGroup struct {
	remaining int32
}
