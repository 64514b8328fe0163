// Scenarios of stopped children, wait4's pid forms, kill's group forms,
// tgkill's checks and fork from a thread (SPEC S1, S3, S10, T1, T3, T5).
// Facts from the kernel's signal.c (prepare_signal, wants_signal,
// complete_signal, do_tkill), exit.c (do_wait's eligible_pid), fork(2),
// wait4(2), kill(2), tgkill(2) and signal(7); the code is this suite's.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procs.h"

// waiter forks a child that reads a byte from qq (once, when once is set;
// else until a read does not fail with EINTR), prints the read's result
// when loud is set, and exits with status 3.
static pid_t waiter(int qq[2], int once, int loud) {
	if (pipe(qq) < 0)
		_exit(1);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		ssize_t n;
		close(qq[1]);
		child_pid = getpid();
		while ((n = read(qq[0], &c, 1)) < 0 && errno == EINTR && !once) {
		}
		if (loud)
			say("child: read(q0, 1) -> %s", n < 0 ? en(errno) : "1");
		_exit(3);
	}
	close(qq[0]);
	return pid;
}

// asleep_pid waits (10 s at most) until process pid sleeps in system
// call nr, or in restart_syscall, which continues a poll or select
// interrupted by a stop.
static int asleep_pid(pid_t pid, int nr) {
	char path[64], buf[256];
	for (int i = 0; i < 100000; i++) {
		snprintf(path, sizeof path, "/proc/%d/syscall", pid);
		FILE *f = fopen(path, "r");
		int got = -1;
		if (f) {
			if (fscanf(f, "%d", &got) != 1)
				got = -1;
			fclose(f);
		}
		snprintf(path, sizeof path, "/proc/%d/stat", pid);
		f = fopen(path, "r");
		char state = 0;
		if (f) {
			size_t n = fread(buf, 1, sizeof buf - 1, f);
			buf[n] = 0;
			fclose(f);
			char *p = strrchr(buf, ')');
			if (p && p[1] && p[2])
				state = p[2];
		}
		if ((got == nr || got == SYS_restart_syscall) && state == 'S')
			return 1;
		usleep(100); // polling interval of a bounded wait
	}
	return 0;
}

static int q[2], q2[2];

static void kill_stopped(int argc, char **argv) {
	(void)argc, (void)argv;
	pid_t pid = waiter(q, 0, 0);
	child_pid = pid;
	say("kill(child, SIGSTOP) -> %s", res(kill(pid, SIGSTOP)));
	waitline("wait4(child, WUNTRACED)", pid, WUNTRACED);
	say("kill(child, SIGKILL) -> %s", res(kill(pid, SIGKILL)));
	waitline("wait4(child, 0)", pid, 0);
}

static void fatal_waits_for_cont(int argc, char **argv) {
	(void)argc, (void)argv;
	pid_t pid = waiter(q, 0, 0);
	child_pid = pid;
	say("kill(child, SIGSTOP) -> %s", res(kill(pid, SIGSTOP)));
	waitline("wait4(child, WUNTRACED)", pid, WUNTRACED);
	say("kill(child, SIGTERM) -> %s", res(kill(pid, SIGTERM)));
	waitline("wait4(child, WNOHANG|WUNTRACED)", pid, WNOHANG | WUNTRACED);
	say("kill(child, SIGCONT) -> %s", res(kill(pid, SIGCONT)));
	waitline("wait4(child, 0)", pid, 0);
}

static void tstp_unless_ignored(int argc, char **argv) {
	(void)argc, (void)argv;
	signal(SIGTSTP, SIG_IGN);
	pid_t c1 = waiter(q, 0, 0);
	signal(SIGTSTP, SIG_DFL);
	pid_t c2 = waiter(q2, 0, 0);
	child_pid = c1, child2_pid = c2;
	say("child ignores SIGTSTP, child2 does not");
	say("kill(child, SIGTSTP) -> %s", res(kill(c1, SIGTSTP)));
	say("kill(child2, SIGTSTP) -> %s", res(kill(c2, SIGTSTP)));
	waitline("wait4(child2, WUNTRACED)", c2, WUNTRACED);
	waitline("wait4(child, WNOHANG|WUNTRACED)", c1, WNOHANG | WUNTRACED);
	say("kill(child2, SIGKILL) -> %s", res(kill(c2, SIGKILL)));
	waitline("wait4(child2, 0)", c2, 0);
	say("write(q, 1) -> %zd", write(q[1], "x", 1));
	waitline("wait4(-1, 0)", -1, 0);
}

static void wait_forms(int argc, char **argv) {
	(void)argc, (void)argv;
	say("setpgid(0, 0) -> %s", res(setpgid(0, 0)));
	parent_pid = getpid();
	pid_t c1 = waiter(q, 0, 0), c2 = waiter(q2, 0, 0);
	child_pid = c1, child2_pid = c2;
	say("setpgid(child2, child2) -> %s", res(setpgid(c2, c2)));
	waitline("wait4(-child2, WNOHANG)", -c2, WNOHANG);
	waitline("wait4(0, WNOHANG)", 0, WNOHANG);
	waitline("wait4(-me, WNOHANG)", -getpid(), WNOHANG);
	waitline("wait4(-child, WNOHANG)", -c1, WNOHANG);
	say("write(q2, 1) -> %zd", write(q2[1], "x", 1));
	waitline("wait4(-child2, 0)", -c2, 0);
	waitline("wait4(-child2, WNOHANG)", -c2, WNOHANG);
	waitline("wait4(child2, WNOHANG)", c2, WNOHANG);
	say("write(q, 1) -> %zd", write(q[1], "x", 1));
	waitline("wait4(0, 0)", 0, 0);
	waitline("wait4(-1, WNOHANG)", -1, WNOHANG);
}

static void kill_forms(int argc, char **argv) {
	(void)argc, (void)argv;
	say("setpgid(0, 0) -> %s", res(setpgid(0, 0)));
	sigset_t s = mkset(2, SIGUSR1, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, NULL);
	say("sigprocmask(SIG_BLOCK, {SIGUSR1,SIGUSR2}) -> ok");
	parent_pid = getpid();
	if (pipe(q) < 0)
		_exit(1);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		child_pid = getpid();
		close(q[1]);
		while (read(q[0], &c, 1) < 0 && errno == EINTR) {
		}
		say("child: sigpending() -> %s", pendstr());
		_exit(3);
	}
	close(q[0]);
	child_pid = pid;
	pid_t me = getpid();
	say("kill(-child, SIGUSR2) -> %s", res(kill(-pid, SIGUSR2)));
	say("setpgid(child, child) -> %s", res(setpgid(pid, pid)));
	say("kill(0, SIGUSR1) -> %s", res(kill(0, SIGUSR1)));
	say("kill(-child, SIGUSR2) -> %s", res(kill(-pid, SIGUSR2)));
	say("kill(-child, 0) -> %s", res(kill(-pid, 0)));
	say("kill(child, 0) -> %s", res(kill(pid, 0)));
	say("kill(child, 65) -> %s", res(kill(pid, 65)));
	say("kill(-child, -1) -> %s", res(kill(-pid, -1)));
	say("tgkill(me, child, SIGUSR1) -> %s", res(syscall(SYS_tgkill, me, pid, SIGUSR1)));
	say("tgkill(child, me, SIGUSR1) -> %s", res(syscall(SYS_tgkill, pid, me, SIGUSR1)));
	say("tgkill(0, me, SIGUSR1) -> %s", res(syscall(SYS_tgkill, 0, me, SIGUSR1)));
	say("tgkill(me, 0, SIGUSR1) -> %s", res(syscall(SYS_tgkill, me, 0, SIGUSR1)));
	say("tgkill(-1, me, SIGUSR1) -> %s", res(syscall(SYS_tgkill, -1, me, SIGUSR1)));
	say("tgkill(me, me, 65) -> %s", res(syscall(SYS_tgkill, me, me, 65)));
	say("tgkill(child, child, 0) -> %s", res(syscall(SYS_tgkill, pid, pid, 0)));
	say("tkill(0, SIGUSR1) -> %s", res(syscall(SYS_tkill, 0, SIGUSR1)));
	say("sigpending() -> %s", pendstr());
	say("write(q, 1)");
	if (write(q[1], "x", 1) != 1)
		say("write(q, 1) failed");
	waitline("wait4(child, 0)", pid, 0);
}

static pid_t forked;

static void fork_here(struct worker *w) {
	(void)w;
	sigset_t s = mkset(1, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	say("thread1: sigprocmask(SIG_BLOCK, {SIGUSR2}) -> ok");
	pid_t pid = fork();
	if (pid == 0) {
		int n = 0;
		DIR *d = opendir("/proc/self/task");
		for (struct dirent *e; d && (e = readdir(d));)
			n += e->d_name[0] != '.';
		if (d)
			closedir(d);
		child_pid = getpid();
		say("child: threads -> %d, tid == pid: %d", n, gettid() == getpid());
		say("child: getppid() -> %s", pidn(getppid()));
		say("child: mask -> %s", maskstr());
		_exit(5);
	}
	forked = pid;
}

static void fork_in_thread(int argc, char **argv) {
	(void)argc, (void)argv;
	struct worker w;
	parent_pid = getpid();
	wstart(&w, "thread1");
	wdo(&w, fork_here);
	child_pid = forked;
	waitline("leader: wait4(-1, 0)", -1, 0);
	say("leader: mask -> %s", maskstr());
	wstop(&w);
}

static void read_across_stop(int argc, char **argv) {
	(void)argc, (void)argv;
	pid_t pid = waiter(q, 1, 1);
	child_pid = pid;
	say("child asleep in read: %d", asleep_pid(pid, SYS_read));
	say("kill(child, SIGSTOP) -> %s", res(kill(pid, SIGSTOP)));
	waitline("wait4(child, WUNTRACED)", pid, WUNTRACED);
	say("kill(child, SIGCONT) -> %s", res(kill(pid, SIGCONT)));
	waitline("wait4(child, WCONTINUED)", pid, WCONTINUED);
	say("child asleep in read: %d", asleep_pid(pid, SYS_read));
	say("write(q, 1)");
	if (write(q[1], "x", 1) != 1)
		say("write(q, 1) failed");
	waitline("wait4(child, 0)", pid, 0);
}

static void cont_handler(int sig, siginfo_t *si, void *uc) {
	(void)uc;
	say("child: handler %s %s", sn(sig), siline(si));
}

static void cont_handler_eintr(int argc, char **argv) {
	(void)argc, (void)argv;
	parent_pid = getpid();
	handle(SIGCONT, cont_handler, 0, mkset(0));
	pid_t pid = waiter(q, 1, 1);
	signal(SIGCONT, SIG_DFL);
	child_pid = pid;
	say("child asleep in read: %d", asleep_pid(pid, SYS_read));
	say("kill(child, SIGSTOP) -> %s", res(kill(pid, SIGSTOP)));
	waitline("wait4(child, WUNTRACED)", pid, WUNTRACED);
	say("kill(child, SIGCONT)");
	const char *r = res(kill(pid, SIGCONT));
	waitline("wait4(child, 0)", pid, 0);
	say("kill(child, SIGCONT) -> %s", r);
}

// sfdline prints every field of the records a read of sfd returns but
// the times (ssi_utime, ssi_stime: the child's clock ticks).
static void sfdlines(int sfd) {
	struct signalfd_siginfo ssi[4];
	ssize_t n = read(sfd, ssi, sizeof ssi);
	if (n < 0) {
		say("read(sfd, 512) -> %s", en(errno));
		return;
	}
	say("read(sfd, 512) -> %zd bytes", n);
	for (int i = 0; i < n / (int)sizeof ssi[0]; i++) {
		struct signalfd_siginfo *r = &ssi[i];
		say("  signo=%s errno=%d code=%d pid=%s uid=%u fd=%d tid=%u band=%u overrun=%u trapno=%u status=%d int=%d "
		    "ptr=%#llx addr=%#llx",
		    sn(r->ssi_signo), r->ssi_errno, r->ssi_code, pidn(r->ssi_pid), r->ssi_uid, r->ssi_fd, r->ssi_tid,
		    r->ssi_band, r->ssi_overrun, r->ssi_trapno, r->ssi_status, r->ssi_int,
		    (unsigned long long)r->ssi_ptr, (unsigned long long)r->ssi_addr);
	}
}

static void signalfd_records(int argc, char **argv) {
	(void)argc, (void)argv;
	sigset_t s = mkset(3, SIGCHLD, 40, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int sfd = signalfd(-1, &s, SFD_NONBLOCK);
	say("signalfd(-1, {SIGUSR1,SIGCHLD,40}, SFD_NONBLOCK) -> %s", res(sfd));
	parent_pid = getpid();
	union sigval v;
	memset(&v, 0, sizeof v);
	v.sival_int = 7;
	say("sigqueue(me, 40, 7) -> %s", res(sigqueue(getpid(), 40, v)));
	v.sival_int = -2;
	say("sigqueue(me, 40, -2) -> %s", res(sigqueue(getpid(), 40, v)));
	v.sival_int = 5;
	say("sigqueue(me, SIGUSR1, 5) -> %s", res(sigqueue(getpid(), SIGUSR1, v)));
	pid_t pid = fork();
	if (pid == 0)
		_exit(9);
	child_pid = pid;
	waitline("wait4(child, 0)", pid, 0);
	sfdlines(sfd);
	pid = waiter(q, 0, 0);
	child_pid = pid;
	say("kill(child, SIGKILL) -> %s", res(kill(pid, SIGKILL)));
	waitline("wait4(child, 0)", pid, 0);
	say("tgkill(me, 40) -> %s", res(tkill_self(40)));
	say("kill(me, 40) -> %s", res(kill(getpid(), 40)));
	sfdlines(sfd);
}

// together unblocks several pending signals at once; usr1mask is
// SIGUSR1's sa_mask.
static void together(sigset_t usr1mask) {
	static const int sigs[] = {SIGUSR1, SIGUSR2, SIGIO, 40, 41};
	sigset_t all = mkset(0);
	for (int i = 0; i < 5; i++) {
		handle(sigs[i], record, 0, sigs[i] == SIGUSR1 ? usr1mask : mkset(0));
		sigaddset(&all, sigs[i]);
	}
	sigprocmask(SIG_BLOCK, &all, NULL);
	say("SIGUSR1's sa_mask %s; all blocked", setstr(&usr1mask));
	for (int i = 4; i >= 0; i--)
		say("tgkill(me, %s) -> %s", sn(sigs[i]), res(tkill_self(sigs[i])));
	say("tgkill(me, 40) -> %s", res(tkill_self(40)));
	say("sigprocmask(SIG_UNBLOCK, all) -> %s", res(sigprocmask(SIG_UNBLOCK, &all, NULL)));
	collect();
}

static void together_plain(int argc, char **argv) {
	(void)argc, (void)argv;
	together(mkset(0));
}

static void together_masked(int argc, char **argv) {
	(void)argc, (void)argv;
	together(mkset(1, 40));
}

static void sigsuspend_old_mask(int argc, char **argv) {
	(void)argc, (void)argv;
	handle(SIGUSR1, record, 0, mkset(1, SIGUSR2));
	handle(SIGUSR2, record, 0, mkset(0));
	sigset_t s = mkset(2, SIGUSR1, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, NULL);
	say("SIGUSR1's sa_mask {SIGUSR2}; both blocked");
	say("tgkill(me, SIGUSR2) -> %s", res(tkill_self(SIGUSR2)));
	say("tgkill(me, SIGUSR1) -> %s", res(tkill_self(SIGUSR1)));
	sigset_t none = mkset(0);
	say("sigsuspend({}) -> %s", res(sigsuspend(&none)));
	collect();
	say("sigpending() -> %s", pendstr());
	say("mask -> %s", maskstr());
	sigset_t u1 = mkset(1, SIGUSR1);
	say("sigsuspend({SIGUSR1}) -> %s", res(sigsuspend(&u1)));
	collect();
	say("sigpending() -> %s", pendstr());
}

static void child_says(int sig, siginfo_t *si, void *uc) {
	(void)si, (void)uc;
	say("child: handler %s", sn(sig));
}

// first_decides: a child asleep in read is stopped, gets SIGUSR2 and
// SIGUSR1, and continues; the two handlers differ in SA_RESTART, and the
// first signal taken (SIGUSR1) decides whether the read restarts.
static void first_decides(int usr1restart) {
	handle(SIGUSR1, child_says, usr1restart ? SA_RESTART : 0, mkset(0));
	handle(SIGUSR2, child_says, usr1restart ? 0 : SA_RESTART, mkset(0));
	say("SIGUSR1 %s, SIGUSR2 %s", usr1restart ? "SA_RESTART" : "0", usr1restart ? "0" : "SA_RESTART");
	pid_t pid = waiter(q, 1, 1);
	child_pid = pid;
	signal(SIGPIPE, SIG_IGN);
	say("child asleep in read: %d", asleep_pid(pid, SYS_read));
	say("kill(child, SIGSTOP) -> %s", res(kill(pid, SIGSTOP)));
	waitline("wait4(child, WUNTRACED)", pid, WUNTRACED);
	say("kill(child, SIGUSR2) -> %s", res(kill(pid, SIGUSR2)));
	say("kill(child, SIGUSR1) -> %s", res(kill(pid, SIGUSR1)));
	say("kill(child, SIGCONT), write(q, 1)");
	kill(pid, SIGCONT);
	if (write(q[1], "x", 1) < 0 && errno != EPIPE)
		say("write: %s", en(errno));
	waitline("wait4(child, 0)", pid, 0);
}

static void first_restarts(int argc, char **argv) {
	(void)argc, (void)argv;
	first_decides(1);
}

static void first_interrupts(int argc, char **argv) {
	(void)argc, (void)argv;
	first_decides(0);
}

static char fifo[64];
static pid_t opener;
static int restarting, kicked, hits;

static void count_hit(int sig, siginfo_t *si, void *uc) {
	(void)sig, (void)si, (void)uc;
	hits++;
}

// kick_open sends SIGUSR1 to the opener once it sleeps in openat, then,
// when the open should restart, opens the write end once it sleeps again.
static void kick_open(struct worker *w) {
	(void)w;
	kicked = -2;
	if (asleep_in(opener, SYS_openat))
		kicked = (int)syscall(SYS_tgkill, getpid(), opener, SIGUSR1);
	if (restarting && asleep_in(opener, SYS_openat) && open(fifo, O_WRONLY | O_NONBLOCK) < 0)
		kicked = -3;
}

static void fifo_open_interrupted(int restart) {
	struct worker w;
	snprintf(fifo, sizeof fifo, "/tmp/procs-fifo-%d", getpid());
	unlink(fifo);
	say("mkfifo(f) -> %s", res(mkfifo(fifo, 0600)));
	handle(SIGUSR1, count_hit, restart ? SA_RESTART : 0, mkset(0));
	wstart(&w, "thread1");
	opener = gettid(), restarting = restart;
	wrun(&w, kick_open);
	int fd = open(fifo, O_RDONLY);
	wwait(&w);
	say("open(f, O_RDONLY) %s -> %s", restart ? "with SA_RESTART" : "without SA_RESTART", res(fd));
	say("thread1 sent -> %d; handler ran %d time(s)", kicked, hits);
	wstop(&w);
	unlink(fifo);
}

static void fifo_open_restarts(int argc, char **argv) {
	(void)argc, (void)argv;
	fifo_open_interrupted(1);
}

static void fifo_open_eintr(int argc, char **argv) {
	(void)argc, (void)argv;
	fifo_open_interrupted(0);
}

static void value_says(int sig, siginfo_t *si, void *uc) {
	(void)uc;
	say("handler %s value=%d mask=%s", sn(sig), si->si_value.sival_int, maskstr());
}

static void nodefer_queue(int argc, char **argv) {
	(void)argc, (void)argv;
	for (int nodefer = 0; nodefer < 2; nodefer++) {
		handle(40, value_says, nodefer ? SA_NODEFER : 0, mkset(0));
		sigset_t s = mkset(1, 40);
		sigprocmask(SIG_BLOCK, &s, NULL);
		say("40 %s, blocked", nodefer ? "SA_NODEFER" : "0");
		for (int v = 1; v <= 3; v++) {
			union sigval val;
			memset(&val, 0, sizeof val);
			val.sival_int = v;
			say("sigqueue(me, 40, %d) -> %s", v, res(sigqueue(getpid(), 40, val)));
		}
		say("sigprocmask(SIG_UNBLOCK, {40}) -> %s", res(sigprocmask(SIG_UNBLOCK, &s, NULL)));
	}
}

static void default_ignore_discards(int argc, char **argv) {
	(void)argc, (void)argv;
	sigset_t s = mkset(2, SIGCHLD, SIGCONT);
	sigprocmask(SIG_BLOCK, &s, NULL);
	say("sigprocmask(SIG_BLOCK, {SIGCHLD,SIGCONT}) -> ok");
	say("tgkill(me, SIGCHLD) -> %s", res(tkill_self(SIGCHLD)));
	say("tgkill(me, SIGCONT) -> %s", res(tkill_self(SIGCONT)));
	say("sigpending() -> %s", pendstr());
	handle(SIGCHLD, record, 0, mkset(0));
	handle(SIGCONT, record, 0, mkset(0));
	say("sigaction(SIGCHLD, SIGCONT: handler); sigpending() -> %s", pendstr());
	signal(SIGCHLD, SIG_DFL);
	say("sigaction(SIGCHLD, SIG_DFL); sigpending() -> %s", pendstr());
	signal(SIGCONT, SIG_DFL);
	say("sigaction(SIGCONT, SIG_DFL); sigpending() -> %s", pendstr());
	say("tgkill(me, SIGCHLD) -> %s", res(tkill_self(SIGCHLD)));
	say("sigpending() -> %s", pendstr());
	say("sigprocmask(SIG_UNBLOCK, {SIGCHLD,SIGCONT}) -> %s", res(sigprocmask(SIG_UNBLOCK, &s, NULL)));
	say("sigpending() -> %s", pendstr());
	collect();
}

static void after_exec2(int argc, char **argv) {
	(void)argc, (void)argv;
	say("exec'd child: sigaction(SIGUSR1) -> %s", dispname(SIGUSR1));
	say("exec'd child: mask -> %s", maskstr());
	say("exec'd child: sigpending() -> %s", pendstr());
	sigset_t c = mkset(1, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &c, NULL);
	say("exec'd child: unblock SIGCHLD; sigpending() -> %s", pendstr());
	sigset_t u = mkset(1, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &u, NULL);
	say("exec'd child: still alive after unblocking SIGUSR1");
	_exit(0);
}

static void exec_pending(int argc, char **argv) {
	(void)argc;
	parent_pid = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		handle(SIGUSR1, record, 0, mkset(0));
		handle(SIGCHLD, record, 0, mkset(0));
		sigset_t s = mkset(2, SIGUSR1, SIGCHLD);
		sigprocmask(SIG_BLOCK, &s, NULL);
		tkill_self(SIGUSR1);
		tkill_self(SIGCHLD);
		say("child: handlers for SIGUSR1 and SIGCHLD, both blocked and pending; execve(self)");
		char *args[] = {argv[0], "T4-after-exec2", NULL};
		execv("/proc/self/exe", args);
		say("child: execve -> %s", en(errno));
		_exit(1);
	}
	child_pid = pid;
	waitline("wait4(child, 0)", pid, 0);
}

static void pwait_old_mask(int argc, char **argv) {
	(void)argc, (void)argv;
	handle(SIGUSR1, record, 0, mkset(1, SIGUSR2));
	handle(SIGUSR2, record, 0, mkset(0));
	sigset_t s = mkset(2, SIGUSR1, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, NULL);
	say("SIGUSR1's sa_mask {SIGUSR2}; both blocked");
	say("tgkill(me, SIGUSR2) -> %s", res(tkill_self(SIGUSR2)));
	say("tgkill(me, SIGUSR1) -> %s", res(tkill_self(SIGUSR1)));
	mkpipe(q, "r", "w");
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev);
	sigset_t none = mkset(0);
	say("epoll_pwait(ep, 1, -1, {}) -> %s", res(epoll_pwait(ep, &ev, 1, -1, &none)));
	collect();
	say("sigpending() -> %s", pendstr());
	say("mask -> %s", maskstr());
}

static const char *wr1(int fd) { return write(fd, "x", 1) < 0 ? en(errno) : "1"; }

static void sigpipe_dispositions(int argc, char **argv) {
	(void)argc, (void)argv;
	mkpipe(q, "r", "w");
	close(q[0]);
	signal(SIGPIPE, SIG_IGN);
	say("sigaction(SIGPIPE, SIG_IGN); write(w, 1) -> %s", wr1(q[1]));
	say("sigpending() -> %s", pendstr());
	sigset_t s = mkset(1, SIGPIPE);
	sigprocmask(SIG_BLOCK, &s, NULL);
	say("SIGPIPE blocked; write(w, 1) -> %s", wr1(q[1]));
	say("sigpending() -> %s", pendstr());
	signal(SIGPIPE, SIG_DFL);
	say("sigaction(SIGPIPE, SIG_DFL); sigpending() -> %s", pendstr());
	handle(SIGPIPE, record, 0, mkset(0));
	say("sigaction(SIGPIPE, handler); sigprocmask(SIG_UNBLOCK, {SIGPIPE}) -> %s",
	    res(sigprocmask(SIG_UNBLOCK, &s, NULL)));
	collect();
	say("write(w, 1) -> %s", wr1(q[1]));
	collect();
}

static void sigtimedwait_stopped(int argc, char **argv) {
	(void)argc, (void)argv;
	sigset_t s = mkset(1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	parent_pid = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		siginfo_t si;
		child_pid = getpid();
		int r = sigtimedwait0(&s, &si, NULL);
		say("child: sigtimedwait({SIGUSR1}, NULL) -> %s", r < 0 ? en(errno) : siline(&si));
		_exit(3);
	}
	child_pid = pid;
	say("child asleep in rt_sigtimedwait: %d", asleep_pid(pid, SYS_rt_sigtimedwait));
	say("kill(child, SIGSTOP) -> %s", res(kill(pid, SIGSTOP)));
	waitline("wait4(child, WUNTRACED)", pid, WUNTRACED);
	say("kill(child, SIGCONT), kill(child, SIGUSR1)");
	kill(pid, SIGCONT);
	kill(pid, SIGUSR1);
	waitline("wait4(child, 0)", pid, 0);
}

static void epoll_wait_stopped(int argc, char **argv) {
	(void)argc, (void)argv;
	mkpipe(q, "r", "w");
	parent_pid = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		child_pid = getpid();
		int ep = epoll_create1(0);
		struct epoll_event ev = {.events = EPOLLIN};
		epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev);
		int n = epoll_wait(ep, &ev, 1, -1);
		say("child: epoll_wait(ep, 1, -1) -> %s", n < 0 ? en(errno) : "1");
		_exit(3);
	}
	child_pid = pid;
	say("child asleep in epoll_wait: %d", asleep_pid(pid, SYS_epoll_wait));
	say("kill(child, SIGSTOP) -> %s", res(kill(pid, SIGSTOP)));
	waitline("wait4(child, WUNTRACED)", pid, WUNTRACED);
	say("kill(child, SIGCONT), write(w, 1)");
	kill(pid, SIGCONT);
	if (write(q[1], "x", 1) != 1)
		say("write: %s", en(errno));
	waitline("wait4(child, 0)", pid, 0);
}

// stopped_call: a child asleep in poll (0) or select (1) on a pipe is
// stopped and continued, then the pipe gets a byte: both restart.
static void stopped_call(int which) {
	static const char *names[] = {"poll({r}, -1)", "select({r}, NULL)"};
	static const int nrs[] = {SYS_poll, SYS_select};
	mkpipe(q, "r", "w");
	parent_pid = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		long n;
		child_pid = getpid();
		if (which == 0) {
			struct pollfd pf = {.fd = q[0], .events = POLLIN};
			n = syscall(SYS_poll, &pf, 1, -1);
		} else {
			fd_set rd;
			FD_ZERO(&rd);
			FD_SET(q[0], &rd);
			n = syscall(SYS_select, q[0] + 1, &rd, NULL, NULL, NULL);
		}
		say("child: %s -> %s", names[which], n < 0 ? en(errno) : "1");
		_exit(3);
	}
	child_pid = pid;
	say("child asleep in %s: %d", names[which], asleep_pid(pid, nrs[which]));
	say("kill(child, SIGSTOP) -> %s", res(kill(pid, SIGSTOP)));
	waitline("wait4(child, WUNTRACED)", pid, WUNTRACED);
	say("kill(child, SIGCONT) -> %s", res(kill(pid, SIGCONT)));
	waitline("wait4(child, WCONTINUED)", pid, WCONTINUED);
	say("child asleep in %s: %d", names[which], asleep_pid(pid, nrs[which]));
	say("write(w, 1)");
	if (write(q[1], "x", 1) != 1)
		say("write: %s", en(errno));
	waitline("wait4(child, 0)", pid, 0);
}

static void poll_stopped(int argc, char **argv) {
	(void)argc, (void)argv;
	stopped_call(0);
}

static void select_stopped(int argc, char **argv) {
	(void)argc, (void)argv;
	stopped_call(1);
}

const struct scenario scenarios_edge[] = {
	{"E1/S10/poll-restarts-after-a-stop", poll_stopped},
	{"E1/S10/select-restarts-after-a-stop", select_stopped},
	{"E2/S10/epoll_wait-is-not-restarted-after-a-stop", epoll_wait_stopped},
	{"S8/S10/sigtimedwait-is-not-restarted-after-a-stop", sigtimedwait_stopped},
	{"K1/S2/SIGPIPE-ignored-blocked-and-handled", sigpipe_dispositions},
	{"E2/S7/epoll_pwait's-first-frame-restores-the-old-mask", pwait_old_mask},
	{"T4-after-exec2", after_exec2},
	{"T4/S10/exec-keeps-pending-signals-and-resets-their-handlers", exec_pending},
	{"S1/S6/SA_NODEFER-runs-a-queue-newest-first", nodefer_queue},
	{"S2/S10/SIG_DFL-of-a-default-ignored-signal-discards-it", default_ignore_discards},
	{"E7/S3/a-blocked-FIFO-open-restarts-with-SA_RESTART", fifo_open_restarts},
	{"E7/S3/a-blocked-FIFO-open-fails-EINTR-without", fifo_open_eintr},
	{"S3/S10/the-first-signal-taken-restarts-the-read", first_restarts},
	{"S3/S10/the-first-signal-taken-interrupts-the-read", first_interrupts},
	{"S7/S6/sigsuspend's-first-frame-restores-the-old-mask", sigsuspend_old_mask},
	{"S6/signals-unblocked-together-run-highest-first", together_plain},
	{"S6/an-sa_mask-holds-back-a-later-signal", together_masked},
	{"S9/T5/signalfd-records-of-SIGCHLD-sigqueue-and-kill", signalfd_records},
	{"S10/T5/SIGKILL-ends-a-stopped-child", kill_stopped},
	{"S10/T5/a-fatal-signal-waits-for-SIGCONT-in-a-stopped-child", fatal_waits_for_cont},
	{"S10/T5/SIGTSTP-stops-unless-ignored", tstp_unless_ignored},
	{"T5/wait4-by-pid-process-group-and-any", wait_forms},
	{"S1/T1/kill-of-groups-and-tgkill's-checks", kill_forms},
	{"T3/fork-in-a-thread-copies-that-thread", fork_in_thread},
	{"S3/S10/read-restarts-across-stop-and-continue", read_across_stop},
	{"S3/S10/a-SIGCONT-handler-interrupts-a-read", cont_handler_eintr},
	{NULL, NULL},
};
