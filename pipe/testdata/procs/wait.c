// Scenarios of select, epoll_wait, epoll_pwait and read interrupted by a
// handled signal (SPEC E1, E2, S3): which calls SA_RESTART restarts.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procs.h"

static int hits;

static void count(int sig, siginfo_t *si, void *uc) {
	(void)sig, (void)si, (void)uc;
	hits++;
}

static pid_t leader;
static int nr, sent;
static int p[2];

// kick sends SIGUSR1 to the leader once it sleeps in system call nr,
// then (for a read) a byte to end the call.
static void kick(struct worker *w) {
	(void)w;
	sent = -2;
	if (asleep_in(leader, nr))
		sent = (int)syscall(SYS_tgkill, getpid(), leader, SIGUSR1);
	if (nr == SYS_read && asleep_in(leader, nr))
		sent += (int)write(p[1], "x", 1) - 1;
}

static void interrupted(const char *call, int sysnr, long (*fn)(void)) {
	struct worker w;
	handle(SIGUSR1, count, SA_RESTART, mkset(0));
	mkpipe(p, "r", "w");
	wstart(&w, "thread1");
	leader = gettid(), nr = sysnr;
	wrun(&w, kick);
	long r = fn();
	wwait(&w);
	say("%s with SA_RESTART -> %s", call, r < 0 ? en(errno) : "1");
	say("thread1 sent -> %d; handler ran %d time(s)", sent, hits);
	wstop(&w);
}

static long do_select(void) {
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	return syscall(SYS_select, p[0] + 1, &rd, NULL, NULL, NULL);
}

static long do_epoll(void) {
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	return syscall(SYS_epoll_wait, ep, &ev, 1, -1);
}

static long do_read(void) {
	char c;
	return syscall(SYS_read, p[0], &c, 1);
}

static void select_eintr(int argc, char **argv) {
	(void)argc, (void)argv;
	interrupted("select({r}, NULL)", SYS_select, do_select);
}

static void epoll_eintr(int argc, char **argv) {
	(void)argc, (void)argv;
	interrupted("epoll_wait(ep, 1, -1)", SYS_epoll_wait, do_epoll);
}

static void read_restarts(int argc, char **argv) {
	(void)argc, (void)argv;
	interrupted("read(r, 1)", SYS_read, do_read);
}

static void epoll_pwait_mask(int argc, char **argv) {
	(void)argc, (void)argv;
	handle(SIGUSR1, count, 0, mkset(0));
	mkpipe(p, "r", "w");
	sigset_t s = mkset(1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	say("tgkill(me, SIGUSR1) -> %s", res(tkill_self(SIGUSR1)));
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	sigset_t none = mkset(0);
	say("epoll_pwait(ep, 1, 0, {SIGUSR1}) -> %s", res(syscall(SYS_epoll_pwait, ep, &ev, 1, 0, &s, 8)));
	say("handler ran %d time(s)", hits);
	say("epoll_pwait(ep, 1, -1, {}) -> %s", res(syscall(SYS_epoll_pwait, ep, &ev, 1, -1, &none, 8)));
	say("handler ran %d time(s); mask -> %s", hits, maskstr());
	say("write(w, 1) -> %zd", write(p[1], "x", 1));
	long n = syscall(SYS_epoll_pwait, ep, &ev, 1, -1, &none, 8);
	say("epoll_pwait(ep, 1, -1, {}) -> %ld", n < 0 ? -(long)errno : n);
}

const struct scenario scenarios_wait[] = {
	{"E1/S3/select-EINTR-even-with-SA_RESTART", select_eintr},
	{"E2/S3/epoll_wait-EINTR-even-with-SA_RESTART", epoll_eintr},
	{"S3/read-restarts-with-SA_RESTART", read_restarts},
	{"E2/S5/epoll_pwait-replaces-the-mask", epoll_pwait_mask},
	{0, 0},
};
