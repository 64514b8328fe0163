// Scenarios of queued values, a signalfd across fork and SIGCHLD's rules
// (SPEC S1, S8, S9, T3, T5; sigqueue(3), signalfd(2), sigaction(2)'s
// SA_NOCLDSTOP and SA_NOCLDWAIT, wait(2)'s note on SIGCHLD ignored).
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procs.h"

static void sigqueue_values(int argc, char **argv) {
	(void)argc, (void)argv;
	sigset_t s = mkset(3, 40, 41, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	say("sigprocmask(SIG_BLOCK, {SIGUSR1,40,41}) -> ok");
	int vals[] = {41, 7, 40, 1, 40, 2, SIGUSR1, 3, SIGUSR1, 4, 40, 3};
	for (int i = 0; i < 12; i += 2) {
		union sigval v = {.sival_int = vals[i + 1]};
		say("sigqueue(me, %s, %d) -> %s", sn(vals[i]), vals[i + 1], res(sigqueue(getpid(), vals[i], v)));
	}
	siginfo_t si;
	struct timespec zero = {0};
	for (;;) {
		if (sigtimedwait0(&s, &si, &zero) < 0) {
			say("sigtimedwait({SIGUSR1,40,41}, 0s) -> %s", en(errno));
			return;
		}
		say("sigtimedwait({SIGUSR1,40,41}, 0s) -> %s value=%d", siline(&si), si.si_value.sival_int);
	}
}

static void signalfd_fork(int argc, char **argv) {
	(void)argc, (void)argv;
	sigset_t s = mkset(1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int sfd = signalfd(-1, &s, SFD_NONBLOCK);
	say("signalfd(-1, {SIGUSR1}, SFD_NONBLOCK) -> %s", res(sfd));
	say("tgkill(me, SIGUSR1) -> %s", res(tkill_self(SIGUSR1)));
	parent_pid = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		struct signalfd_siginfo ssi;
		child_pid = getpid();
		ssize_t n = read(sfd, &ssi, sizeof ssi);
		say("child: read(sfd, 128) -> %s", n < 0 ? en(errno) : "128");
		say("child: tgkill(me, SIGUSR1) -> %s", res(tkill_self(SIGUSR1)));
		n = read(sfd, &ssi, sizeof ssi);
		say("child: read(sfd, 128) -> %s signo=%s pid=%s", n < 0 ? en(errno) : "128", sn(ssi.ssi_signo),
		    pidn(ssi.ssi_pid));
		_exit(0);
	}
	child_pid = pid;
	waitline("wait4(child, 0)", pid, 0);
	say("sigpending() -> %s", pendstr());
	struct signalfd_siginfo ssi;
	ssize_t n = read(sfd, &ssi, sizeof ssi);
	say("read(sfd, 128) -> %s signo=%s pid=%s", n < 0 ? en(errno) : "128", sn(ssi.ssi_signo), pidn(ssi.ssi_pid));
}

// A child that waits for a byte on q, then exits with status 3.
static int q[2];

static pid_t waiting_child(void) {
	pid_t pid = waiter(q, 0, 0);
	child_pid = pid;
	return pid;
}

// takechld takes a SIGCHLD, waiting up to secs for it: the SIGCHLD of a
// stop or a continue is sent by the child on its way, so wait4 may see
// the change first.
static void takechld(int secs) {
	sigset_t s = mkset(1, SIGCHLD);
	siginfo_t si;
	struct timespec ts = {.tv_sec = secs};
	static const char *codes[] = {"?", "CLD_EXITED", "CLD_KILLED", "CLD_DUMPED", "CLD_TRAPPED", "CLD_STOPPED",
	                              "CLD_CONTINUED"};
	if (sigtimedwait0(&s, &si, &ts) < 0)
		say("sigtimedwait({SIGCHLD}, %ds) -> %s", secs, en(errno));
	else
		say("sigtimedwait({SIGCHLD}, %ds) -> code=%s status=%s pid=%s", secs,
		    si.si_code >= 1 && si.si_code <= 6 ? codes[si.si_code] : "?",
		    sn(si.si_status), pidn(si.si_pid));
}

static void sigchld_stop(int nocldstop) {
	sigset_t s = mkset(1, SIGCHLD);
	handle(SIGCHLD, record, nocldstop ? SA_NOCLDSTOP : 0, mkset(0));
	sigprocmask(SIG_BLOCK, &s, NULL);
	say("sigaction(SIGCHLD, handler%s); SIGCHLD blocked", nocldstop ? ", SA_NOCLDSTOP" : "");
	pid_t pid = waiting_child();
	// The SIGCHLD of a stop is taken before wait4 reaps the stop: wait4
	// clears the stop's code, and a SIGCHLD the child sends after that
	// carries si_status 0.
	say("kill(child, SIGSTOP) -> %s", res(kill(pid, SIGSTOP)));
	if (!nocldstop)
		takechld(10);
	waitline("wait4(child, WUNTRACED)", pid, WUNTRACED);
	if (nocldstop)
		takechld(0);
	say("kill(child, SIGCONT) -> %s", res(kill(pid, SIGCONT)));
	if (!nocldstop)
		takechld(10);
	waitline("wait4(child, WCONTINUED)", pid, WCONTINUED);
	if (nocldstop)
		takechld(0);
	say("write(q, 1) -> %zd", write(q[1], "x", 1));
	waitline("wait4(child, 0)", pid, 0);
	takechld(0);
}

static void sigchld_on_stop(int argc, char **argv) {
	(void)argc, (void)argv;
	sigchld_stop(0);
}

static void sigchld_nocldstop(int argc, char **argv) {
	(void)argc, (void)argv;
	sigchld_stop(1);
}

static void sigchld_ignored(int argc, char **argv) {
	(void)argc, (void)argv;
	signal(SIGCHLD, SIG_IGN);
	say("sigaction(SIGCHLD, SIG_IGN)");
	pid_t pid = waiting_child();
	waitline("wait4(child, WNOHANG)", pid, WNOHANG);
	say("write(q, 1) -> %zd", write(q[1], "x", 1));
	waitline("wait4(-1, 0)", -1, 0);
	say("sigpending() -> %s", pendstr());
}

const struct scenario scenarios_child[] = {
	{"S1/S8/sigqueue-values-in-order", sigqueue_values},
	{"S9/T3/signalfd-after-fork-reads-the-child's-own-signals", signalfd_fork},
	{"T5/S10/SIGCHLD-on-stop-continue-and-exit", sigchld_on_stop},
	{"T5/SA_NOCLDSTOP", sigchld_nocldstop},
	{"T5/SIGCHLD-ignored-reaps-children", sigchld_ignored},
	{0, 0},
};
