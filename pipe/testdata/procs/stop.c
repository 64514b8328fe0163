// Scenarios of stopped children and calls asleep in them, wait4's pid
// forms, kill's group forms, tgkill's checks and fork from a thread (SPEC
// S1, S3, S8, S10, T1, T3, T5, E1, E2). Facts from the kernel's signal.c
// (prepare_signal, wants_signal, complete_signal, do_tkill), exit.c
// (do_wait's eligible_pid), fork(2), wait4(2), kill(2), tgkill(2) and
// signal(7); the code is this suite's.
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
pid_t waiter(int qq[2], int once, int loud) {
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
	/* Linux discards SIGTSTP sent to an orphaned process group, and the
	 * test's own group may be one (a job started without job control):
	 * the children get a group of their own whose parent, this process,
	 * is in the same session, so it is not orphaned wherever the test runs.
	 * The model has no orphaned groups (kernel/doc.go). */
	setpgid(c1, c1);
	setpgid(c2, c1);
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

const struct scenario scenarios_stop[] = {
	{"E1/S10/poll-restarts-after-a-stop", poll_stopped},
	{"E1/S10/select-restarts-after-a-stop", select_stopped},
	{"E2/S10/epoll_wait-is-not-restarted-after-a-stop", epoll_wait_stopped},
	{"S8/S10/sigtimedwait-is-not-restarted-after-a-stop", sigtimedwait_stopped},
	{"S3/S10/the-first-signal-taken-restarts-the-read", first_restarts},
	{"S3/S10/the-first-signal-taken-interrupts-the-read", first_interrupts},
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
