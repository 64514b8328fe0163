package devfs

import (
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/fasync-go/fasync/internal/linux"
)

// The bridge's permission rule (SPEC F4) is Linux's own. F_SETOWN records
// the real and effective user ids of its caller in the file's owner, and
// fs/fcntl.c's sigio_perm lets a signal reach a target only if the
// recorded euid is root's or either recorded id equals the target's real
// or saved uid. The server never sees the fcntl, but the kernel shows the
// recorded ids to anyone holding the file: F_GETOWNER_UIDS on the
// bridge's duplicate reads them, beside the owner and F_SETSIG, so every
// signal is judged by the ids of whoever set the owner it goes to, as
// Linux judges it, whoever holds the file and whatever it did since.

// A fown is what the bridge reads of a file's owner (Linux's struct
// fown_struct) from its duplicate.
type fown struct {
	own linux.FOwnerEx
	sig int // F_SETSIG; 0 is plain SIGIO
	// uid and euid are the ids of the process that set the owner, as
	// F_SETOWN recorded them (F_GETOWNER_UIDS).
	uid, euid int
}

// mayKill is sigio_perm (SPEC A10, F4): the ids that set the owner may
// signal a target of credentials to if the effective one is root's or
// either equals to's real or saved uid. A target whose ids are unknown
// is refused. Outside the initial user namespace, where the ids read are
// this namespace's view, root counts as no one and an id the namespace
// does not map (read as the overflow uid) as unknown.
func (f fown) mayKill(to cred) bool {
	if !to.known {
		return false
	}
	ns := userNS()
	if !ns.initial && (ns.unmapped(f.uid) || ns.unmapped(f.euid) || ns.unmapped(to.uid) || ns.unmapped(to.suid)) {
		return false
	}
	return (f.euid == 0 && ns.initial) ||
		f.euid == to.uid || f.euid == to.suid ||
		f.uid == to.uid || f.uid == to.suid
}

// A userNamespace is what the permission rule needs to know of this
// process's user namespace.
type userNamespace struct {
	initial  bool // the initial namespace: ids read are the kernel's own
	overflow int  // the id an unmapped uid reads as
}

func (ns userNamespace) unmapped(id int) bool { return id == ns.overflow }

// userNS reads this process's user namespace once: it is the initial one
// when /proc/self/uid_map maps every id to itself. An unreadable map
// counts as another namespace, the stricter rule.
var userNS = sync.OnceValue(func() userNamespace {
	ns := userNamespace{overflow: 65534}
	if b, err := os.ReadFile("/proc/sys/kernel/overflowuid"); err == nil {
		if v, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			ns.overflow = v
		}
	}
	if b, err := os.ReadFile("/proc/self/uid_map"); err == nil {
		ns.initial = strings.Join(strings.Fields(string(b)), " ") == "0 0 4294967295"
	}
	return ns
})
