package devfs

// The bridge's permission rule (SPEC F4). Linux records the credentials
// of whoever calls F_SETOWN and lets a signal through only if they may
// signal the target (fs/fcntl.c sigio_perm). The server never sees the
// fcntl, so it judges what it can see, and refuses wherever it cannot
// tell:
//
//   - the target must hold the file itself: the owner's process for
//     F_OWNER_PID, the thread's process for F_OWNER_TID, and every member
//     of the group for F_OWNER_PGRP (this process, which is never
//     signalled, apart);
//   - and every process seen holding the file over its life (the opener,
//     with its ids and the open request's fsuid, and every holder the
//     bridge has found since, with the ids it had then) must be allowed to
//     signal the target, as kill(2) and sigio_perm allow: root with
//     CAP_KILL, or a uid or euid equal to the target's uid or saved uid.
//     A holder whose ids could not be read may signal nobody.

// mayKill is sigio_perm's rule (SPEC A10, F4), with root also needing
// CAP_KILL; an unknown cred, on either side, refuses.
func (from cred) mayKill(to cred) bool {
	if !from.known || !to.known {
		return false
	}
	return (from.euid == 0 && from.capKill) ||
		from.uid == to.uid || from.uid == to.suid ||
		from.euid == to.uid || from.euid == to.suid
}

// mayAllKill reports whether every cred of from may signal to.
func mayAllKill(from []cred, to cred) bool {
	if len(from) == 0 {
		return false
	}
	for _, c := range from {
		if !c.mayKill(to) {
			return false
		}
	}
	return true
}

// addCred adds c to the set creds, once.
func addCred(creds []cred, c cred) []cred {
	for _, have := range creds {
		if have == c {
			return creds
		}
	}
	return append(creds, c)
}

// holds reports whether process pid is among hs.
func holds(hs []holder, pid int) bool {
	for _, h := range hs {
		if h.pid == pid {
			return true
		}
	}
	return false
}
