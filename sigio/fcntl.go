package sigio

import (
	"errors"
	"fmt"
	"golang.org/x/sys/unix"

	"github.com/fasync-go/fasync/internal/linux"
)

// A fileID names an open file independently of its descriptor number, so a
// descriptor closed and reused for another file is not mistaken for the one
// that was armed.
type fileID struct{ dev, ino uint64 }

func identify(fd int) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fileID{}, err
	}
	return fileID{st.Dev, st.Ino}, nil
}

// An armed descriptor remembers what arming changed, so disarm can put it back.
type armed struct {
	fd    int
	id    fileID
	sig   int            // F_GETSIG before arming
	owner linux.FOwnerEx // F_GETOWN_EX before arming
}

// arm makes fd signal-driven: signal sig (0 = plain SIGIO) to owner.
//
// The order is F_SETSIG, the owner, then O_ASYNC, so that no notification
// is ever sent before both signal and owner are final. This is also the
// order that is safe for ttys: a tty's fasync method, when O_ASYNC goes on
// and the file has no owner yet, makes the terminal's foreground process
// group (or the caller's process) the owner. Set O_ASYNC first and a key
// pressed before the owner is changed sends the signal to every process of
// that group, where a real-time signal's default action kills them. With an
// owner already set, the tty keeps it (its claim is not forced), as
// TestTTYOwnerClaim shows. F_SETFL accepts O_ASYNC on a file without a
// fasync method and silently drops it, so F_GETFL is checked afterwards
// (SPEC R2), except on a device exported by devfs, whose bridge sends the
// signals (SPEC F7, bridged.go). On any failure the descriptor is left as
// it was.
func arm(fd, sig int, owner linux.FOwnerEx) (*armed, error) {
	if fd < 0 {
		return nil, unix.EBADF
	}
	id, err := identify(fd)
	if err != nil {
		return nil, err
	}
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return nil, err
	}
	if flags&unix.O_ASYNC != 0 {
		return nil, ErrAsyncBusy
	}
	// A devfs export's file never shows O_ASYNC: an owner already set is
	// its sign of a subscriber (bridged.go).
	viaBridge := bridged(fd)
	if viaBridge {
		if o, err := linux.GetOwnEx(fd); err == nil && o.Pid != 0 {
			return nil, ErrAsyncBusy
		}
	}
	a := &armed{fd: fd, id: id}
	if a.sig, err = unix.FcntlInt(uintptr(fd), unix.F_GETSIG, 0); err != nil {
		return nil, err
	}
	if a.owner, err = linux.GetOwnEx(fd); err != nil {
		return nil, err
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETSIG, sig); err != nil {
		return nil, fmt.Errorf("F_SETSIG %d: %w", sig, err)
	}
	if err := linux.SetOwnEx(fd, owner); err != nil {
		a.restoreSig()
		return nil, fmt.Errorf("F_SETOWN_EX: %w", err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags|unix.O_ASYNC); err != nil {
		a.restoreOwner()
		a.restoreSig()
		return nil, fmt.Errorf("F_SETFL O_ASYNC: %w", err)
	}
	got, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err == nil && got&unix.O_ASYNC == 0 && !viaBridge {
		err = ErrCannotSignal
	}
	if err != nil {
		a.restoreOwner()
		a.restoreSig()
		return nil, err
	}
	return a, nil
}

// disarm undoes arm: O_ASYNC off first, so no signal is raised while the
// owner and signal are being put back, then the owner, then F_SETSIG. Only
// the O_ASYNC bit is changed, so flags the caller set meanwhile (O_NONBLOCK,
// O_APPEND) survive. If the descriptor no longer names the armed file, it is
// left alone and ErrStale is returned.
func (a *armed) disarm() error {
	if !a.sameFile() {
		return ErrStale
	}
	flags, err := unix.FcntlInt(uintptr(a.fd), unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	if _, err := unix.FcntlInt(uintptr(a.fd), unix.F_SETFL, flags&^unix.O_ASYNC); err != nil {
		return fmt.Errorf("F_SETFL: %w", err)
	}
	if err := a.restoreOwner(); err != nil {
		return err
	}
	return a.restoreSig()
}

func (a *armed) restoreOwner() error {
	err := linux.SetOwnEx(a.fd, a.owner)
	if errors.Is(err, unix.ESRCH) {
		// The previous owner has exited; no owner is the nearest state.
		err = linux.SetOwnEx(a.fd, linux.FOwnerEx{Type: a.owner.Type})
	}
	if err != nil {
		return fmt.Errorf("F_SETOWN_EX: %w", err)
	}
	return nil
}

func (a *armed) restoreSig() error {
	if _, err := unix.FcntlInt(uintptr(a.fd), unix.F_SETSIG, a.sig); err != nil {
		return fmt.Errorf("F_SETSIG: %w", err)
	}
	return nil
}

// sameFile reports whether a.fd still names the file that was armed.
func (a *armed) sameFile() bool {
	id, err := identify(a.fd)
	return err == nil && id == a.id
}

// readiness polls fd once without waiting and returns one event per kind of
// readiness found, each with the band a signal for it would carry. It stands
// in for the signals nobody sent: data already waiting when a descriptor is
// armed raises none, and after a queue overflow the signals were lost.
func readiness(fd int) []Event {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: POLLIN | POLLPRI | POLLOUT}}
	for {
		_, err := unix.Poll(pfd, 0)
		if err != unix.EINTR {
			break
		}
	}
	rev := uint32(uint16(pfd[0].Revents))
	var evs []Event
	for _, c := range [...]struct {
		bit  uint32
		band Band
	}{{POLLIN, POLL_IN}, {POLLOUT, POLL_OUT}, {POLLPRI, POLL_PRI}, {POLLERR, POLL_ERR}, {POLLHUP, POLL_HUP}} {
		if rev&c.bit != 0 {
			evs = append(evs, Event{Fd: fd, Band: c.band, Mask: rev, Polled: true})
		}
	}
	return evs
}
