package devfs

import (
	"context"
	"syscall"

	"github.com/fasync-go/fasync/internal/fuseraw"
	"github.com/fasync-go/fasync/kernel"
)

// ioctl passes an ioctl(2) on a device to the model (SPEC I3): the
// client's command goes to Task.Ioctl on the handle's task and
// descriptor, and the result and output come back. The kernel forwards
// a regular file's ioctls restricted: the request carries exactly the
// input the command's _IOC size and direction say (nothing for _IO
// commands, whose argument is the value in Ioctl.Arg), and copies back
// at most Ioctl.OutSize bytes, so the argument's memory is a buffer of
// the larger of the two sizes, holding the input. A driver's Ioctl may
// sleep: the call runs on a goroutine of its own, and an INTERRUPT
// cancels it (the client sees EINTR). The status file and the directory
// have no commands: ENOTTY.
func (s *server) ioctl(r *fuseraw.Request) {
	h, ok := s.getHandle(r.Ioctl.Fh).(*handle)
	if !ok || r.Ioctl.Flags&fuseraw.FUSE_IOCTL_UNRESTRICTED != 0 {
		r.ReplyErr(syscall.ENOTTY)
		return
	}
	in := r.Ioctl
	mem := make([]byte, max(in.InSize, in.OutSize))
	copy(mem, r.Data) // Data lives in the transport's buffer, which the answer reuses
	arg := kernel.IoctlArg{Value: uintptr(in.Arg), Mem: mem}
	s.deferCall(r, func(ctx context.Context) {
		n, err := h.ref.task.Ioctl(ctx, h.fd, uint(in.Cmd), arg)
		if err != nil {
			r.ReplyErr(errno(err))
			return
		}
		r.ReplyIoctl(int32(n), mem[:in.OutSize])
	})
}
