package kernel

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fasync-go/fasync/internal/testutil"
)

// listFiles returns the files on l, head first.
func listFiles(l *FasyncList) []*File {
	var fs []*File
	for _, e := range l.entries() {
		fs = append(fs, e.file)
	}
	return fs
}

// TestFasyncHelper checks fasync_helper's results and list order (A1, A2,
// A3, A4).
func TestFasyncHelper(t *testing.T) {
	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fa := mustOpen(t, task, "pipe", O_RDWR)
	fb := mustOpen(t, task, "pipe", O_RDWR)
	a, _ := task.File(fa)
	b, _ := task.File(fb)
	var l FasyncList
	steps := []struct {
		name  string
		fd    int
		f     *File
		on    bool
		want  int
		order []*File
	}{
		{"A1/off-when-absent", fa, a, false, 0, nil},
		{"A2/on-adds", fa, a, true, 1, []*File{a}},
		{"A2/on-adds-at-head", fb, b, true, 1, []*File{b, a}},
		{"A2/on-again-updates-fd", 7, a, true, 0, []*File{b, a}},
		{"A1/off-removes", fb, b, false, 1, []*File{a}},
		{"A1/off-again", fb, b, false, 0, []*File{a}},
		{"A1/off-last", fa, a, false, 1, nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			got, err := l.Helper(s.fd, s.f, s.on)
			if err != nil || got != s.want {
				t.Fatalf("Helper = %d, %v; want %d", got, err, s.want)
			}
			if order := listFiles(&l); !reflect.DeepEqual(order, s.order) {
				t.Fatalf("list %v, want %v", order, s.order)
			}
			if l.Len() != len(s.order) {
				t.Fatalf("Len = %d", l.Len())
			}
			// A4: FASYNC exactly while listed.
			for _, f := range []*File{a, b} {
				listed := false
				for _, g := range s.order {
					listed = listed || g == f
				}
				if on := f.Flags()&FASYNC != 0; on != listed {
					t.Errorf("A4: FASYNC %v on a file listed=%v", on, listed)
				}
			}
		})
	}
	if n, err := l.Helper(0, nil, true); n != 0 || err != EINVAL {
		t.Errorf("Helper(nil file) = %d, %v; want EINVAL", n, err)
	}
}

// TestFasyncUpdatesFd checks A2's fd update reaches the siginfo, and A3:
// two descriptors of one file share one entry.
func TestFasyncUpdatesFd(t *testing.T) {
	k := newKernel(t, Config{})
	d := newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDWR)
	dup := mustFcntl(t, task, fd, F_DUPFD, 10)
	var log sigLog
	log.handle(t, task, SIGRTMIN, 0)
	mustFcntl(t, task, fd, F_SETOWN, task.Pid())
	mustFcntl(t, task, fd, F_SETSIG, SIGRTMIN)
	mustFcntl(t, task, fd, F_SETFL, FASYNC)
	mustFcntl(t, task, dup, F_SETFL, 0)      // A3: same file: FASYNC off for both
	mustFcntl(t, task, dup, F_SETFL, FASYNC) // on again through the dup
	if d.async.Len() != 1 {
		t.Fatalf("A3: %d entries for one open file", d.async.Len())
	}
	if fl := mustFcntl(t, task, fd, F_GETFL, 0); fl&FASYNC == 0 {
		t.Fatal("A3: FASYNC set through a dup does not show on the original")
	}
	d.async.Kill(SIGIO, POLL_IN)
	task.Pause(context.Background())
	if got := log.got(); len(got) != 1 || got[0].Fd != dup {
		t.Fatalf("A2: notification %+v, want Fd %d (the latest fd)", got, dup)
	}
}

// TestFasyncSignalChoice checks A7 and A8: plain SIGIO without F_SETSIG,
// the chosen signal with code, fd and band mask with it.
func TestFasyncSignalChoice(t *testing.T) {
	bands := []struct {
		band int
		mask int
	}{
		{POLL_IN, 0x041},
		{POLL_OUT, 0x304},
		{POLL_MSG, 0x441},
		{POLL_ERR, 0x008},
		{POLL_PRI, 0x082},
		{POLL_HUP, 0x018},
	}
	for _, setsig := range []int{0, SIGRTMIN, SIGUSR1} {
		for _, b := range bands {
			t.Run("A7/A8/"+sigName(setsig)+"/"+bandName(b.band), func(t *testing.T) {
				k := newKernel(t, Config{})
				d := newPipe(t, k, "pipe")
				task := k.NewTask("owner", Cred{})
				fd := mustOpen(t, task, "pipe", O_RDONLY)
				var log sigLog
				log.handle(t, task, SIGIO, 0)
				if setsig != 0 {
					log.handle(t, task, setsig, 0)
				}
				mustFcntl(t, task, fd, F_SETOWN, task.Pid())
				mustFcntl(t, task, fd, F_SETSIG, setsig)
				mustFcntl(t, task, fd, F_SETFL, FASYNC)
				if err := d.async.Kill(SIGIO, b.band); err != nil {
					t.Fatal(err)
				}
				task.Pause(context.Background())
				want := SigInfo{Signo: SIGIO, Code: SI_KERNEL}
				if setsig != 0 {
					want = SigInfo{Signo: setsig, Code: b.band, Fd: fd, Band: b.mask}
				}
				if got := log.got(); len(got) != 1 || got[0] != want {
					t.Fatalf("got %+v, want %+v", got, want)
				}
			})
		}
	}
	k := newKernel(t, Config{})
	var l FasyncList
	bad := []struct{ sig, band int }{{SIGIO, 0}, {SIGIO, 7}, {SIGIO, -1}, {SIGIO, 99}, {0, POLL_IN}, {NSIG, POLL_IN}, {-1 << 63, -1 << 63}}
	for _, b := range bad {
		// A5: the empty list's fast path does not look at the arguments.
		if err := l.Kill(b.sig, b.band); err != nil {
			t.Errorf("A5: Kill(%d, %d) on an empty list = %v, want nil", b.sig, b.band, err)
		}
	}
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	f, _ := task.File(mustOpen(t, task, "pipe", O_RDONLY))
	l.Helper(0, f, true)
	for _, b := range bad {
		if err := l.Kill(b.sig, b.band); err != EINVAL {
			t.Errorf("A8: Kill(%d, %d) = %v, want EINVAL", b.sig, b.band, err)
		}
	}
}

func sigName(sig int) string {
	switch sig {
	case 0:
		return "F_SETSIG-0"
	case SIGRTMIN:
		return "SIGRTMIN"
	}
	return "SIGUSR1"
}

func bandName(band int) string {
	return [...]string{"?", "POLL_IN", "POLL_OUT", "POLL_MSG", "POLL_ERR", "POLL_PRI", "POLL_HUP"}[band]
}

// TestFasyncQueueFull checks A7's fallback: when the real-time signal
// cannot be queued, the owner gets plain SIGIO instead.
func TestFasyncQueueFull(t *testing.T) {
	k := newKernel(t, Config{SigPendingMax: 2})
	d := newPipe(t, k, "pipe")
	task := k.NewTask("owner", Cred{})
	fd := mustOpen(t, task, "pipe", O_RDONLY)
	var log sigLog
	log.handle(t, task, SIGIO, 0)
	log.handle(t, task, SIGRTMIN, 0)
	mustFcntl(t, task, fd, F_SETOWN, task.Pid())
	mustFcntl(t, task, fd, F_SETSIG, SIGRTMIN)
	mustFcntl(t, task, fd, F_SETFL, FASYNC)
	for i := 0; i < 3; i++ {
		d.async.Kill(SIGIO, POLL_IN)
	}
	if got, want := task.Pending(), []int{SIGIO, SIGRTMIN, SIGRTMIN}; !reflect.DeepEqual(got, want) {
		t.Fatalf("A7: Pending = %v, want %v", got, want)
	}
	task.Pause(context.Background())
	// The handlers run highest number first (doc.go, deliver.go): the
	// fallback SIGIO's runs last.
	if got := log.got(); len(got) != 3 || got[2] != (SigInfo{Signo: SIGIO, Code: SI_KERNEL}) {
		t.Fatalf("A7: delivered %+v, want the fallback, plain SIGIO, last", got)
	}
}

// TestFasyncOwners checks A6: every entry's owner is told; entries without
// an owner or with a dead one are skipped silently.
func TestFasyncOwners(t *testing.T) {
	k := newKernel(t, Config{})
	k.NewTask("init", Cred{}) // keep real groups away from pgid 1
	d := newPipe(t, k, "pipe")
	live := k.NewTask("live", Cred{})
	dead := k.NewTask("dead", Cred{})
	member := k.NewTask("member", Cred{})
	member.Setpgid(live.Pid())
	opener := k.NewTask("opener", Cred{})
	owners := []int{live.Pid(), dead.Pid(), 0, -live.Pid()}
	for _, owner := range owners {
		fd := mustOpen(t, opener, "pipe", O_RDONLY)
		mustFcntl(t, opener, fd, F_SETOWN, owner)
		mustFcntl(t, opener, fd, F_SETFL, FASYNC)
	}
	logs := map[*Task]*sigLog{live: {}, dead: {}, member: {}, opener: {}}
	for task, l := range logs {
		l.handle(t, task, SIGIO, 0)
	}
	dead.Exit()
	if err := d.async.Kill(SIGIO, POLL_IN); err != nil {
		t.Fatal(err)
	}
	// live is the owner of one file and, as the group's leader, of another:
	// SIGIO coalesces to one pending instance.
	want := map[string]int{"live": 1, "member": 1, "dead": 0, "opener": 0}
	for task := range logs {
		if got := len(task.Pending()); got != want[task.Name()] {
			t.Errorf("A6: %s has %d pending, want %d", task.Name(), got, want[task.Name()])
		}
	}
}

// TestFasyncPermission checks A10: the credentials recorded at F_SETOWN
// decide, per target, whether the notification is delivered.
func TestFasyncPermission(t *testing.T) {
	k := newKernel(t, Config{})
	k.NewTask("init", Cred{})
	d := newPipe(t, k, "pipe")
	user := Cred{UID: 1000, EUID: 1000, SUID: 1000}
	other := Cred{UID: 2000, EUID: 2000, SUID: 2000}
	mine := k.NewTask("mine", user)
	theirs := k.NewTask("theirs", other)
	theirs.Setpgid(mine.Pid())
	cases := []struct {
		name   string
		setter Cred
		owner  int
		want   map[*Task]bool
	}{
		{"A10/user-owns-own-task", user, mine.Pid(), map[*Task]bool{mine: true, theirs: false}},
		{"A10/user-cannot-signal-other", user, theirs.Pid(), map[*Task]bool{mine: false, theirs: false}},
		{"A10/group-filtered-per-target", user, -mine.Pid(), map[*Task]bool{mine: true, theirs: false}},
		{"A10/root-signals-anyone", Cred{}, -mine.Pid(), map[*Task]bool{mine: true, theirs: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			setter := k.NewTask("setter", c.setter)
			fd := mustOpen(t, setter, "pipe", O_RDONLY)
			mustFcntl(t, setter, fd, F_SETOWN, c.owner)
			mustFcntl(t, setter, fd, F_SETFL, FASYNC)
			for task := range c.want {
				task.Sigaction(SIGIO, Sigaction{Ignore: true}) // clears pending
				task.Sigaction(SIGIO, Sigaction{Handler: func(*Task, *SigInfo) {}})
			}
			d.async.Kill(SIGIO, POLL_IN)
			for task, want := range c.want {
				if got := len(task.Pending()) == 1; got != want {
					t.Errorf("%s notified = %v, want %v", task.Name(), got, want)
				}
			}
			setter.Exit()
		})
	}
}

// TestFasyncKillEmpty checks A5's fast path: on an empty list Kill takes
// no lock (it returns while the writers' lock is held) and allocates
// nothing; on a non-empty list it still never takes the writers' lock.
func TestFasyncKillEmpty(t *testing.T) {
	var l FasyncList
	l.mu.Lock()
	if err := l.Kill(SIGIO, POLL_IN); err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(1000, func() { l.Kill(SIGIO, POLL_IN) }); allocs != 0 {
		t.Fatalf("A5: Kill on an empty list allocates %v times", allocs)
	}
	l.mu.Unlock()

	k := newKernel(t, Config{})
	newPipe(t, k, "pipe")
	task := k.NewTask("t", Cred{})
	f, _ := task.File(mustOpen(t, task, "pipe", O_RDONLY))
	l.Helper(0, f, true)
	l.mu.Lock()
	done := make(chan struct{})
	go func() {
		l.Kill(SIGIO, POLL_IN) // must not wait for l.mu
		close(done)
	}()
	<-done
	l.mu.Unlock()
}

// TestFasyncRemoveIsFinal checks A5's guarantee under concurrency: Kill
// runs in a loop while files are added and removed; once Helper(off) has
// returned for a file, its owner gets no further notification.
func TestFasyncRemoveIsFinal(t *testing.T) {
	k := newKernel(t, Config{SigPendingMax: 1 << 20})
	d := newPipe(t, k, "pipe")
	owner := k.NewTask("owner", Cred{})
	owner.Sigaction(SIGRTMIN, Sigaction{Handler: func(*Task, *SigInfo) {}})
	other := k.NewTask("other", Cred{}) // churns a second entry meanwhile
	ofd := mustOpen(t, other, "pipe", O_RDONLY)
	of, _ := other.File(ofd)
	fd := mustOpen(t, owner, "pipe", O_RDONLY)
	f, _ := owner.File(fd)
	mustFcntl(t, owner, fd, F_SETOWN, owner.Pid())
	mustFcntl(t, owner, fd, F_SETSIG, SIGRTMIN)

	var kills atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				d.async.Kill(SIGIO, POLL_IN)
				kills.Add(1)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				d.async.Helper(ofd, of, true)
				d.async.Helper(ofd, of, false)
			}
		}
	}()
	for round := 0; round < 50; round++ {
		d.async.Helper(fd, f, true)
		testutil.WaitFor(t, "a notification", func() bool { return len(owner.Pending()) > 0 })
		d.async.Helper(fd, f, false)
		before := len(owner.Pending())
		target := kills.Load() + 200
		testutil.WaitFor(t, "more kills", func() bool { return kills.Load() >= target })
		if after := len(owner.Pending()); after != before {
			t.Fatalf("A5: round %d: %d notifications arrived after Helper(off) returned", round, after-before)
		}
		owner.Sigaction(SIGRTMIN, Sigaction{Ignore: true}) // drop the queue
		owner.Sigaction(SIGRTMIN, Sigaction{Handler: func(*Task, *SigInfo) {}})
	}
	close(stop)
	wg.Wait()
}
