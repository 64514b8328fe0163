package kernel

// O_CLOEXEC asks for FD_CLOEXEC on the descriptors a call makes (pipe2,
// InstallFiles).
const O_CLOEXEC = 0x80000

// installFlags are the flags InstallFiles accepts besides the access mode.
const installFlags = O_NONBLOCK | O_APPEND | O_DIRECT | O_CLOEXEC

// InstallFiles makes one open file description served by driver d for
// each entry of flags and gives each the lowest free descriptor, in
// order, as Linux's alloc_file_pseudo and fd_install do for files with
// no name in a directory (pipes, eventfds, epoll instances). The files
// are named name (File.Name) and are not in the device table: only the
// descriptors reach them. Each flags entry is an access mode with any of
// O_NONBLOCK, O_APPEND, O_DIRECT (kept in the file's status flags) and
// O_CLOEXEC (FD_CLOEXEC on its descriptor).
//
// The driver's Open is not called: the caller has set d up for these
// files already (a pipe counts its reader and writer when it is made).
// Its Release runs as usual when a file's last descriptor is closed. All
// descriptors are installed or none: EINVAL for a nil driver, access
// mode 3 or another flag, EMFILE when the table has no room for all of
// them (no file is then made, and nothing is released), ESRCH on a dead
// task.
func (t *Task) InstallFiles(name string, d Driver, flags ...int) ([]int, error) {
	defer t.safePoint()
	if d == nil {
		return nil, EINVAL
	}
	for _, fl := range flags {
		if fl&O_ACCMODE == O_ACCMODE || fl&^(O_ACCMODE|installFlags) != 0 {
			return nil, EINVAL
		}
	}
	if !t.Alive() {
		return nil, ESRCH
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dead {
		return nil, ESRCH
	}
	fds := make([]int, 0, len(flags))
	for _, fl := range flags {
		f := newFile(t.k, name, d, fl)
		if fl&O_DIRECT != 0 {
			f.flags.Store(f.flags.Load() | O_DIRECT)
		}
		fd, err := t.installLocked(f, 0)
		if err != nil {
			// Take back the descriptors already installed: their files
			// were never seen by anyone, so they go without Release.
			for _, fd := range fds {
				t.fds[fd] = nil
			}
			return nil, err
		}
		t.fds[fd].cloexec = fl&O_CLOEXEC != 0
		fds = append(fds, fd)
	}
	return fds, nil
}
