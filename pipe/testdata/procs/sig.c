// Scenarios of handlers, masks and waits (SPEC S5-S8): one thread, or a
// second one that sends when the first sleeps.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "procs.h"

static int depth;

// loud prints its entry (with the thread's mask) and exit.
static void loud(int sig, siginfo_t *si, void *uc) {
	(void)uc;
	depth++;
	say("handler %s enter depth=%d %s mask=%s", sn(sig), depth, siline(si), maskstr());
	depth--;
}

static void blocked_then_unblocked(int argc, char **argv) {
	(void)argc, (void)argv;
	handle(SIGUSR1, loud, 0, mkset(0));
	sigset_t s = mkset(1, SIGUSR1);
	say("sigprocmask(SIG_BLOCK, {SIGUSR1}) -> %s", res(sigprocmask(SIG_BLOCK, &s, NULL)));
	say("tgkill(me, SIGUSR1) -> %s", res(tkill_self(SIGUSR1)));
	say("tgkill(me, SIGUSR1) -> %s", res(tkill_self(SIGUSR1)));
	say("sigpending() -> %s", pendstr());
	say("sigprocmask(SIG_UNBLOCK, {SIGUSR1}) -> %s", res(sigprocmask(SIG_UNBLOCK, &s, NULL)));
	say("sigpending() -> %s", pendstr());
}

// raiser sends the signal named by its depth's plan from inside a handler.
static int plan[4];

static void raiser(int sig, siginfo_t *si, void *uc) {
	(void)uc;
	int d = ++depth;
	say("handler %s enter depth=%d %s mask=%s", sn(sig), d, siline(si), maskstr());
	if (plan[d]) {
		int s = plan[d];
		plan[d] = 0;
		say("handler %s: tgkill(me, %s) -> %s", sn(sig), sn(s), res(tkill_self(s)));
		say("handler %s: sigpending() -> %s", sn(sig), pendstr());
	}
	say("handler %s leave depth=%d", sn(sig), d);
	depth--;
}

static void nest(int usr1flags, sigset_t usr1mask, int second) {
	handle(SIGUSR1, raiser, usr1flags, usr1mask);
	handle(SIGUSR2, raiser, 0, mkset(0));
	plan[1] = second;
	say("tgkill(me, SIGUSR1) -> %s", res(tkill_self(SIGUSR1)));
	say("mask after -> %s", maskstr());
}

static void sa_mask_defers(int argc, char **argv) {
	(void)argc, (void)argv;
	nest(0, mkset(1, SIGUSR2), SIGUSR2);
}

static void no_sa_mask_nests(int argc, char **argv) {
	(void)argc, (void)argv;
	nest(0, mkset(0), SIGUSR2);
}

static void nodefer_nests(int argc, char **argv) {
	(void)argc, (void)argv;
	nest(SA_NODEFER, mkset(0), SIGUSR1);
}

static void same_signal_deferred(int argc, char **argv) {
	(void)argc, (void)argv;
	nest(0, mkset(0), SIGUSR1);
}

static void resethand(int argc, char **argv) {
	(void)argc, (void)argv;
	handle(SIGUSR1, loud, SA_RESETHAND, mkset(1, SIGUSR2));
	say("sigaction(SIGUSR1) -> %s", dispname(SIGUSR1));
	say("tgkill(me, SIGUSR1) -> %s", res(tkill_self(SIGUSR1)));
	struct sigaction sa;
	sigaction(SIGUSR1, NULL, &sa);
	say("sigaction(SIGUSR1) -> %s flags=%#x mask=%s", dispname(SIGUSR1),
	    (unsigned)sa.sa_flags & (SA_RESETHAND | SA_NODEFER | SA_SIGINFO | SA_RESTART), setstr(&sa.sa_mask));
	sigset_t s = mkset(1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	say("tgkill(me, SIGUSR1) -> %s", res(tkill_self(SIGUSR1)));
	say("sigpending() -> %s", pendstr());
	signal(SIGUSR1, SIG_IGN);
	say("sigaction(SIGUSR1, SIG_IGN) -> %s", pendstr());
}

static void sigsuspend_pending(int argc, char **argv) {
	(void)argc, (void)argv;
	handle(SIGUSR1, loud, 0, mkset(0));
	handle(SIGUSR2, loud, 0, mkset(0));
	sigset_t s = mkset(2, SIGUSR1, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, NULL);
	say("tgkill(me, SIGUSR1) -> %s", res(tkill_self(SIGUSR1)));
	say("tgkill(me, SIGUSR2) -> %s", res(tkill_self(SIGUSR2)));
	sigset_t m = mkset(1, SIGUSR2);
	say("sigsuspend({SIGUSR2}) -> %s", res(sigsuspend(&m)));
	say("mask -> %s", maskstr());
	say("sigpending() -> %s", pendstr());
	m = mkset(0);
	say("sigsuspend({}) -> %s", res(sigsuspend(&m)));
	say("sigpending() -> %s", pendstr());
}

static pid_t leader_tid;
static int sleep_nr, send_sig;
static int sent;

static void send_when_asleep(struct worker *w) {
	(void)w;
	int asleep = asleep_in(leader_tid, sleep_nr);
	sent = asleep ? (int)syscall(SYS_tgkill, getpid(), leader_tid, send_sig) : -2;
}

static void sigsuspend_woken(int argc, char **argv) {
	(void)argc, (void)argv;
	struct worker w;
	handle(SIGUSR1, loud, 0, mkset(0));
	sigset_t s = mkset(1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	wstart(&w, "thread1");
	leader_tid = gettid(), sleep_nr = SYS_rt_sigsuspend, send_sig = SIGUSR1;
	wrun(&w, send_when_asleep);
	sigset_t m = mkset(0);
	say("sigsuspend({}) -> %s", res(sigsuspend(&m)));
	wwait(&w);
	say("thread1: tgkill(leader, SIGUSR1) once leader slept -> %d", sent);
	say("mask -> %s", maskstr());
	wstop(&w);
}

static void sigtimedwait_eintr(int argc, char **argv) {
	(void)argc, (void)argv;
	struct worker w;
	handle(SIGUSR2, loud, 0, mkset(0));
	sigset_t s = mkset(1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	wstart(&w, "thread1");
	leader_tid = gettid(), sleep_nr = SYS_rt_sigtimedwait, send_sig = SIGUSR2;
	wrun(&w, send_when_asleep);
	siginfo_t si;
	say("sigtimedwait({SIGUSR1}, NULL) -> %s", res(sigtimedwait0(&s, &si, NULL)));
	wwait(&w);
	say("thread1: tgkill(leader, SIGUSR2) once leader slept -> %d", sent);
	send_sig = SIGUSR1;
	wrun(&w, send_when_asleep);
	int got = sigtimedwait0(&s, &si, NULL);
	say("sigtimedwait({SIGUSR1}, NULL) -> %s", got < 0 ? en(errno) : siline(&si));
	wwait(&w);
	wstop(&w);
}

const struct scenario scenarios_sig[] = {
	{"S5/S6/blocked-then-unblocked-delivered-once", blocked_then_unblocked},
	{"S6/sa_mask-defers-a-signal-raised-in-the-handler", sa_mask_defers},
	{"S6/without-sa_mask-a-signal-nests", no_sa_mask_nests},
	{"S6/SA_NODEFER-nests-the-same-signal", nodefer_nests},
	{"S6/the-same-signal-waits-for-the-handler", same_signal_deferred},
	{"S6/SA_RESETHAND", resethand},
	{"S7/sigsuspend01-with-pending-signals", sigsuspend_pending},
	{"S7/T1/sigsuspend-woken-by-another-thread", sigsuspend_woken},
	{"S8/T1/sigtimedwait-EINTR-by-a-handled-signal", sigtimedwait_eintr},
	{0, 0},
};
