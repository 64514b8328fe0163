// Scenarios of process-directed signals taken by a thread waiting for
// them, sigaction's errors, and kill of a zombie (SPEC S6-S8, T2, T5;
// sigaction(2), kill(2), tgkill(2), signal(7) "Signal mask and pending
// signals").
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procs.h"

static struct worker t1;
static pid_t t1tid;
static int nr;
static const char *result;
static siginfo_t got;

// heard keeps what the handler saw and where, for the leader to print
// once the thread has returned (a line printed by the handler itself
// would race with the leader's).
static char heard[160];

static void loud(int sig, siginfo_t *si, void *uc) {
	(void)uc;
	snprintf(heard, sizeof heard, "handler %s ran in %s: %s", sn(sig), gettid() == t1tid ? "thread1" : "leader",
	         siline(si));
}

static void suspend(struct worker *w) {
	(void)w;
	sigset_t none = mkset(0);
	result = res(sigsuspend(&none));
}

static void timedwait(struct worker *w) {
	(void)w;
	sigset_t s = mkset(1, SIGUSR1);
	result = sigtimedwait0(&s, &got, NULL) < 0 ? en(errno) : siline(&got);
}

static void thread_takes(const char *what, void (*fn)(struct worker *), int sysnr) {
	handle(SIGUSR1, loud, 0, mkset(0));
	sigset_t s = mkset(1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	say("leader: sigprocmask(SIG_BLOCK, {SIGUSR1}) -> ok");
	wstart(&t1, "thread1");
	t1tid = t1.tid, nr = sysnr;
	wrun(&t1, fn);
	int asleep = asleep_in(t1.tid, nr);
	say("thread1: %s sleeps: %s", what, asleep ? "true" : "false");
	say("kill(me, SIGUSR1) -> %s", res(kill(getpid(), SIGUSR1)));
	wwait(&t1);
	say("thread1: %s -> %s", what, result);
	say("%s", heard[0] ? heard : "no handler ran");
	say("leader: sigpending() -> %s", pendstr());
	wstop(&t1);
}

static void thread_sigsuspend(int argc, char **argv) {
	(void)argc, (void)argv;
	thread_takes("sigsuspend({})", suspend, SYS_rt_sigsuspend);
}

static void thread_sigtimedwait(int argc, char **argv) {
	(void)argc, (void)argv;
	thread_takes("sigtimedwait({SIGUSR1}, NULL)", timedwait, SYS_rt_sigtimedwait);
}

static void sigaction_einval(int argc, char **argv) {
	(void)argc, (void)argv;
	struct sigaction sa = {0};
	sa.sa_handler = SIG_IGN;
	say("sigaction(SIGKILL, SIG_IGN) -> %s", res(syscall(SYS_rt_sigaction, SIGKILL, &sa, NULL, 8)));
	say("sigaction(SIGSTOP, SIG_IGN) -> %s", res(syscall(SYS_rt_sigaction, SIGSTOP, &sa, NULL, 8)));
	say("sigaction(0, SIG_IGN) -> %s", res(syscall(SYS_rt_sigaction, 0, &sa, NULL, 8)));
	say("sigaction(65, SIG_IGN) -> %s", res(syscall(SYS_rt_sigaction, 65, &sa, NULL, 8)));
	sa.sa_handler = SIG_DFL;
	say("sigaction(SIGKILL, SIG_DFL) -> %s", res(syscall(SYS_rt_sigaction, SIGKILL, &sa, NULL, 8)));
	say("kill(me, 65) -> %s", res(kill(getpid(), 65)));
	say("tgkill(me, -1) -> %s", res(tkill_self(-1)));
}

static void zombie(int argc, char **argv) {
	(void)argc, (void)argv;
	sigset_t s = mkset(1, SIGCHLD);
	sigprocmask(SIG_BLOCK, &s, NULL);
	parent_pid = getpid();
	pid_t pid = fork();
	if (pid == 0)
		_exit(4);
	child_pid = pid;
	siginfo_t si;
	struct timespec ts = {.tv_sec = 10};
	say("sigtimedwait({SIGCHLD}, 10s) -> %s", sigtimedwait0(&s, &si, &ts) < 0 ? en(errno) : "SIGCHLD");
	say("kill(child, 0) -> %s", res(kill(pid, 0)));
	say("kill(child, SIGKILL) -> %s", res(kill(pid, SIGKILL)));
	say("tgkill(child, child, 0) -> %s", res(syscall(SYS_tgkill, pid, pid, 0)));
	say("tgkill(child, me, 0) -> %s", res(syscall(SYS_tgkill, pid, gettid(), 0)));
	waitline("wait4(child, 0)", pid, 0);
	say("kill(child, 0) -> %s", res(kill(pid, 0)));
	say("tgkill(me, child, 0) -> %s", res(syscall(SYS_tgkill, getpid(), pid, 0)));
}

const struct scenario scenarios_misc[] = {
	{"S7/T2/sigsuspend-in-a-thread-takes-a-process-signal", thread_sigsuspend},
	{"S8/T2/sigtimedwait-in-a-thread-takes-a-process-signal", thread_sigtimedwait},
	{"S6/sigaction-and-kill-EINVAL", sigaction_einval},
	{"T5/kill-of-a-zombie-and-tgkill-ESRCH", zombie},
	{0, 0},
};
