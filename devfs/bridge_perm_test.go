package devfs_test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

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
// threads, a root process group (F_SETOWN -pgid, F_OWNER_PGRP), with
// the root holder outside the group and inside it, and the root opener
// itself, which holds the file: after the unprivileged copy is closed
// (the holder the export never sees) and while it is still open, and a
// root process without a handler, which the signal would kill: the
// permission is judged first, so it is refused, and the bridge reads
// nothing more of a process the owner may not signal: 24 cases.
func TestBridgePrivilege(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		victim, _, _ := sigclient(t, "-s", "40")
		threaded, before, _ := sigclient(t, "-s", "40", "-o", "tid")
		tid, _ := strconv.Atoi(strings.TrimPrefix(before[0], "owner "))
		group, _, _ := sigclient(t, "-s", "40", "-o", "pgrp", "-c", "2")
		t.Cleanup(func() { syscall.Kill(-group.pid(), syscall.SIGKILL) }) // the children too
		bare, _, _ := sigclient(t, "-s", "40", "-o", "none")              // no handler
		victims := []*proc{victim, threaded, group, bare}
		v, g := strconv.Itoa(victim.pid()), strconv.Itoa(group.pid())
		owners := []struct {
			owner string
			join  bool // the root holder is a member of the owning group
			keep  bool // the unprivileged process keeps its copy open
		}{
			{"pid:" + v, false, false}, {"expid:" + v, false, false}, {"tid:" + v, false, false},
			{"tid:" + strconv.Itoa(tid), false, false}, {"expid:" + strconv.Itoa(threaded.pid()), false, false},
			{"pgrp:" + g, false, false}, {"expgrp:" + g, false, false}, {"pgrp:" + g, true, false},
			{"expgrp:" + g, true, false}, {"parent:0", false, false}, {"parent:0", false, true},
			{"pid:" + strconv.Itoa(bare.pid()), false, false},
		}
		for _, mode := range []string{"fork", "scm"} {
			for _, c := range owners {
				m := mode
				if c.keep {
					m += "-keep"
				}
				name := c.owner[:strings.Index(c.owner, ":")]
				if c.owner == "pid:"+strconv.Itoa(bare.pid()) {
					name = "pid-without-handler"
				}
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

// F4: as on Linux, a process may name as the owner another process it
// may signal, one that does not hold the file: the export judges the ids
// that set the owner, not who holds the file.
func TestBridgeOwnerNotHolding(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		e := mountScull(t, tr, 1, 4000)
		target, _, _ := sigclient(t, "-s", "40") // holds no exported file
		fd, err := unix.Open(e.dev(0), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		f := os.NewFile(uintptr(fd), "dev") // blocking: never in the netpoller
		_, _, in := sigclientWith(t, []*os.File{f}, "-s", "40", "-o", "other:"+strconv.Itoa(target.pid()), "fd:3")
		f.Close() // the client is the only holder
		run(t, "sh", "-c", "echo x > "+e.dev(0))
		if l := target.next(); !strings.HasPrefix(l, "sig=40 ") {
			t.Fatalf("the owner got %q, want signal 40", l)
		}
		in.Close()
	})
}
