package fuseraw

import "syscall"

// GetxattrIn is struct fuse_getxattr_in, the argument of GETXATTR (the
// attribute's name follows it, in Request.Name) and LISTXATTR: Size is the
// caller's buffer, 0 to ask only how large the answer is.
type GetxattrIn struct {
	Size uint32
	_    uint32
}

// getxattrOut is struct fuse_getxattr_out: the size of the value (or of
// the name list) when the caller's Size was 0.
type getxattrOut struct {
	Size uint32
	_    uint32
}

// ReplyXattr answers a GETXATTR with an attribute's value or a LISTXATTR
// with the NUL-terminated names: the size alone when the request's Size is
// 0, ERANGE when value does not fit in Size, else value itself.
func (r *Request) ReplyXattr(value []byte) error {
	switch {
	case r.Getxattr.Size == 0:
		return replyValue(r, &getxattrOut{Size: uint32(len(value))})
	case int(r.Getxattr.Size) < len(value):
		return r.ReplyErr(syscall.ERANGE)
	}
	return r.ReplyData(value)
}

// cstring returns b up to its first NUL.
func cstring(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}
