package devfs_test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/testutil"
)

// F4: the privilege cases. A root process opens a device; an
// unprivileged process gets the descriptor (fork then setuid, as a daemon
// dropping its privileges does, or SCM_RIGHTS), names a root target as
// the owner with F_SETSIG, and closes its copy while the root process
// keeps its own. Linux refuses every later signal, since the owner
// carries the credentials of the caller of F_SETOWN; so does the export:
// each write is refused, and no root victim sees a signal. The targets
// are a root process (F_SETOWN, F_OWNER_PID, F_OWNER_TID of its main
// thread), a thread of another root process, a process of several
// threads, and a root process group (F_SETOWN -pgid, F_OWNER_PGRP), with
// the root holder outside the group and inside it; and, while the
// unprivileged process keeps its copy, the root holder itself: 20 cases.
func TestBridgePrivilege(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		victim, _, _ := sigclient(t, "-s", "40")
		threaded, before, _ := sigclient(t, "-s", "40", "-o", "tid")
		tid, _ := strconv.Atoi(strings.TrimPrefix(before[0], "owner "))
		group, _, _ := sigclient(t, "-s", "40", "-o", "pgrp", "-c", "2")
		t.Cleanup(func() { syscall.Kill(-group.pid(), syscall.SIGKILL) }) // the children too
		victims := []*proc{victim, threaded, group}
		v, g := strconv.Itoa(victim.pid()), strconv.Itoa(group.pid())
		owners := []struct {
			owner string
			join  bool // the root holder is a member of the owning group
		}{
			{"pid:" + v, false}, {"expid:" + v, false}, {"tid:" + v, false}, {"tid:" + strconv.Itoa(tid), false},
			{"expid:" + strconv.Itoa(threaded.pid()), false}, {"pgrp:" + g, false}, {"expgrp:" + g, false},
			{"pgrp:" + g, true}, {"expgrp:" + g, true}, {"parent:0", false},
		}
		for _, mode := range []string{"fork", "scm"} {
			for _, c := range owners {
				m := mode
				if c.owner == "parent:0" {
					m += "-keep" // the holder signals itself unless the child is seen
				}
				name := c.owner[:strings.Index(c.owner, ":")]
				if c.join {
					name += "-holder-in-group"
				}
				t.Run("F4/"+m+"/"+name, func(t *testing.T) {
					r, w, err := os.Pipe()
					if err != nil {
						t.Fatal(err)
					}
					defer w.Close()
					cmd := exec.Command(cclient(t, "privclient"), m, c.owner, "40", e.dev(0))
					if c.join {
						cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: group.pid()}
					}
					p := startCmd(t, r, cmd)
					r.Close()
					p.expect("ready")
					st := e.M.SigioStats()
					run(t, "sh", "-c", "echo x > "+e.dev(0))
					testutil.WaitFor(t, "the bridge to refuse", func() bool { return e.M.SigioStats().Refused > st.Refused })
					if now := e.M.SigioStats(); now.Sent != st.Sent {
						t.Fatalf("%d signals sent for an owner named by an unprivileged process", now.Sent-st.Sent)
					}
					select {
					case l := <-p.lines:
						t.Fatalf("the root holder got %q", l)
					default:
					}
					w.Close()
					if err := p.wait(); err != nil {
						t.Fatalf("privclient: %v", err)
					}
				})
			}
		}
		for _, p := range victims {
			select {
			case l := <-p.lines:
				t.Fatalf("root victim %d got %q", p.pid(), l)
			default:
			}
		}
	})
}
