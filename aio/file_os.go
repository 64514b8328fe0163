package aio

import (
	"io/fs"
	"os"
	"syscall"
)

// What a File shares with os.File beyond reading and writing, following
// os.File's conventions: the same results, the same errors, and after
// Close the same os.ErrClosed.

// Stat returns the FileInfo describing the file, as (*os.File).Stat
// does: with it a File serves zip.NewReader(f, info.Size()) and the like.
func (f *File) Stat() (fs.FileInfo, error) {
	if f.closing() {
		return nil, &os.PathError{Op: "stat", Path: f.name, Err: os.ErrClosed}
	}
	return f.f.Stat()
}

// Fd returns the file's descriptor, as (*os.File).Fd does: valid until
// Close, after which Fd returns ^uintptr(0). The File owns it: closing
// it, or replacing it with dup2, breaks the File's calls in flight.
func (f *File) Fd() uintptr {
	if f.closing() {
		return ^uintptr(0)
	}
	return uintptr(f.fd)
}

// SyscallConn returns a raw connection to the file, as
// (*os.File).SyscallConn does, for system calls the File does not make
// (ioctl, fallocate, fadvise); its Control, Read and Write run their
// function while the descriptor is valid.
func (f *File) SyscallConn() (syscall.RawConn, error) {
	if f.closing() {
		return nil, &os.PathError{Op: "SyscallConn", Path: f.name, Err: os.ErrClosed}
	}
	return f.f.SyscallConn()
}
