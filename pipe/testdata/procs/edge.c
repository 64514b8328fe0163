// Scenarios of signal delivery's edges: handlers run when several
// signals come at once, the mask sigsuspend and epoll_pwait restore,
// SA_RESTART and SA_NODEFER, signalfd's records, default-ignored signals,
// exec with pending signals, SIGPIPE's dispositions and a FIFO open
// interrupted (SPEC S1-S3, S6, S7, S9, S10, T4, K1, E2, E7). Facts from
// the kernel's signal.c (get_signal, handle_signal, do_sigaction),
// signalfd.c, fs/pipe.c (fifo_open), sigaction(2), signal(7); the code is
// this suite's.
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

static int q[2];

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

const struct scenario scenarios_edge[] = {
	{"K1/S2/SIGPIPE-ignored-blocked-and-handled", sigpipe_dispositions},
	{"E2/S7/epoll_pwait's-first-frame-restores-the-old-mask", pwait_old_mask},
	{"T4-after-exec2", after_exec2},
	{"T4/S10/exec-keeps-pending-signals-and-resets-their-handlers", exec_pending},
	{"S1/S6/SA_NODEFER-runs-a-queue-newest-first", nodefer_queue},
	{"S2/S10/SIG_DFL-of-a-default-ignored-signal-discards-it", default_ignore_discards},
	{"E7/S3/a-blocked-FIFO-open-restarts-with-SA_RESTART", fifo_open_restarts},
	{"E7/S3/a-blocked-FIFO-open-fails-EINTR-without", fifo_open_eintr},
	{"S7/S6/sigsuspend's-first-frame-restores-the-old-mask", sigsuspend_old_mask},
	{"S6/signals-unblocked-together-run-highest-first", together_plain},
	{"S6/an-sa_mask-holds-back-a-later-signal", together_masked},
	{"S9/T5/signalfd-records-of-SIGCHLD-sigqueue-and-kill", signalfd_records},
	{NULL, NULL},
};
