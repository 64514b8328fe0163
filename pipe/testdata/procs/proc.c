// Scenarios of threads, fork, exec and wait (SPEC T1-T5, S10, with
// pipes' F_SETOWN notifications).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procs.h"

static int p[2], q[2];
static struct worker t1, t2;

static void block40(struct worker *w) {
	sigset_t s = mkset(1, 40);
	say("%s: sigprocmask(SIG_BLOCK, {40}) -> %s", w->name, res(pthread_sigmask(SIG_BLOCK, &s, NULL)));
}

static void unblock40(struct worker *w) {
	sigset_t s = mkset(1, 40);
	say("%s: sigprocmask(SIG_UNBLOCK, {40}) -> %s", w->name, res(pthread_sigmask(SIG_UNBLOCK, &s, NULL)));
}

static void unblockusr1(struct worker *w) {
	sigset_t s = mkset(1, SIGUSR1);
	say("%s: sigprocmask(SIG_UNBLOCK, {SIGUSR1}) -> %s", w->name, res(pthread_sigmask(SIG_UNBLOCK, &s, NULL)));
}

static void pending(struct worker *w) { say("%s: sigpending() -> %s", w->name, pendstr()); }

// collectw: the worker has taken its signals (they ran on its way back
// from its wait); the records are printed.
static void collectw(struct worker *w) {
	say("%s collects", w->name);
	collect();
}

static void owner_tid(int block) {
	handle(40, record, 0, mkset(0));
	mkpipe(p, "r", "w");
	wstart(&t1, "thread1");
	if (block)
		wdo(&t1, block40);
	own(p[0], F_OWNER_TID, t1.tid, 40);
	say("fcntl(r, F_SETOWN_EX, {F_OWNER_TID, thread1}), F_SETSIG 40, O_ASYNC");
	say("write(w, 1) -> %zd", write(p[1], "x", 1));
	say("leader: sigpending() -> %s", pendstr());
	wdo(&t1, pending);
	wdo(&t1, collectw);
	if (block) {
		wdo(&t1, unblock40);
		wdo(&t1, collectw);
	}
	say("leader collects");
	collect();
	wstop(&t1);
}

static void owner_tid_unblocked(int argc, char **argv) {
	(void)argc, (void)argv;
	owner_tid(0);
}

static void owner_tid_blocked(int argc, char **argv) {
	(void)argc, (void)argv;
	owner_tid(1);
}

static void owner_pid_leader_blocks(int argc, char **argv) {
	(void)argc, (void)argv;
	handle(40, record, 0, mkset(0));
	mkpipe(p, "r", "w");
	sigset_t s = mkset(1, 40);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	say("leader: sigprocmask(SIG_BLOCK, {40}) -> ok");
	wstart(&t1, "thread1");
	wdo(&t1, unblock40);
	own(p[0], F_OWNER_PID, getpid(), 40);
	say("fcntl(r, F_SETOWN_EX, {F_OWNER_PID, me}), F_SETSIG 40, O_ASYNC");
	say("write(w, 1) -> %zd", write(p[1], "x", 1));
	wdo(&t1, collectw);
	say("leader: sigpending() -> %s", pendstr());
	say("leader collects");
	collect();
	wstop(&t1);
}

static void all_but_one_block(int argc, char **argv) {
	(void)argc, (void)argv;
	handle(SIGUSR1, record, 0, mkset(0));
	sigset_t s = mkset(1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, NULL); // inherited by both threads
	say("leader: sigprocmask(SIG_BLOCK, {SIGUSR1}) -> ok");
	wstart(&t1, "thread1");
	wstart(&t2, "thread2");
	wdo(&t2, unblockusr1);
	say("kill(me, SIGUSR1) -> %s", res(kill(getpid(), SIGUSR1)));
	wdo(&t2, collectw);
	wdo(&t1, collectw);
	wdo(&t1, pending);
	say("leader: sigpending() -> %s", pendstr());
	say("leader collects");
	collect();
	wstop(&t1);
	wstop(&t2);
}

static void all_block(int argc, char **argv) {
	(void)argc, (void)argv;
	handle(SIGUSR1, record, 0, mkset(0));
	sigset_t s = mkset(1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	say("leader: sigprocmask(SIG_BLOCK, {SIGUSR1}) -> ok");
	wstart(&t1, "thread1");
	say("kill(me, SIGUSR1) -> %s", res(kill(getpid(), SIGUSR1)));
	say("kill(me, SIGUSR1) -> %s", res(kill(getpid(), SIGUSR1)));
	say("leader: sigpending() -> %s", pendstr());
	wdo(&t1, pending);
	wdo(&t1, unblockusr1);
	wdo(&t1, collectw);
	say("leader: sigpending() -> %s", pendstr());
	wstop(&t1);
}

static void thread_write_epipe(struct worker *w) {
	ssize_t n = write(p[1], "x", 1);
	say("%s: write(w, 1) -> %s", w->name, n < 0 ? en(errno) : "1");
}

static void sigpipe_to_writer(int argc, char **argv) {
	(void)argc, (void)argv;
	handle(SIGPIPE, record, 0, mkset(0));
	mkpipe(p, "r", "w");
	close(p[0]);
	say("close(r) -> ok");
	wstart(&t1, "thread1");
	wdo(&t1, thread_write_epipe);
	wdo(&t1, collectw);
	say("leader collects");
	collect();
	wstop(&t1);
}

static void tgkill_exited(int argc, char **argv) {
	(void)argc, (void)argv;
	wstart(&t1, "thread1");
	pid_t tid = t1.tid;
	say("tgkill(thread1, 0) -> %s", res(syscall(SYS_tgkill, getpid(), tid, 0)));
	wstop(&t1);
	say("thread1 exits");
	say("tgkill(thread1, 0) -> %s", res(syscall(SYS_tgkill, getpid(), tid, 0)));
	say("tgkill(thread1, SIGUSR1) -> %s", res(syscall(SYS_tgkill, getpid(), tid, SIGUSR1)));
}

static void set_usr1_handler(struct worker *w) {
	say("%s: sigaction(SIGUSR1, handler) -> %s", w->name, res(handle(SIGUSR1, record, 0, mkset(0))));
}

static void threads_share_handlers(int argc, char **argv) {
	(void)argc, (void)argv;
	wstart(&t1, "thread1");
	wdo(&t1, set_usr1_handler);
	say("leader: sigaction(SIGUSR1) -> %s", dispname(SIGUSR1));
	say("tgkill(me, SIGUSR1) -> %s", res(tkill_self(SIGUSR1)));
	say("leader collects");
	collect();
	wstop(&t1);
}

// A child waits for a byte on q before it exits with status 3.
static pid_t child_waiting(void) {
	pid_t pid = waiter(q, 0, 0);
	child_pid = pid;
	return pid;
}

static void fork_owner(int argc, char **argv) {
	(void)argc, (void)argv;
	mkpipe(p, "r", "w");
	sigset_t s = mkset(1, 40);
	sigprocmask(SIG_BLOCK, &s, NULL);
	say("sigprocmask(SIG_BLOCK, {40}) -> ok");
	fcntl(p[0], F_SETOWN, getpid());
	fcntl(p[0], F_SETSIG, 40);
	fcntl(p[0], F_SETFL, O_ASYNC);
	say("fcntl(r, F_SETOWN, me), F_SETSIG 40, O_ASYNC");
	parent_pid = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		child_pid = getpid();
		say("child: fcntl(r, F_GETOWN) -> %s", pidn(fcntl(p[0], F_GETOWN)));
		say("child: fcntl(r, F_GETFL) -> %s", fcntl(p[0], F_GETFL) & O_ASYNC ? "O_ASYNC" : "0");
		say("child: write(w, 1) -> %zd", write(p[1], "x", 1));
		say("child: sigpending() -> %s", pendstr());
		fcntl(p[0], F_SETOWN, getpid());
		say("child: fcntl(r, F_SETOWN, me) -> ok");
		say("child: write(w, 1) -> %zd", write(p[1], "x", 1));
		say("child: sigpending() -> %s", pendstr());
		_exit(0);
	}
	child_pid = pid;
	waitline("wait4(child, 0)", pid, 0);
	say("fcntl(r, F_GETOWN) -> %s", pidn(fcntl(p[0], F_GETOWN)));
	say("sigpending() -> %s", pendstr());
	siginfo_t si;
	struct timespec zero = {0};
	int got;
	while ((got = sigtimedwait0(&s, &si, &zero)) > 0)
		say("sigtimedwait({40}, 0s) -> %s", siline(&si));
	say("sigtimedwait({40}, 0s) -> %s", en(errno));
}

static void fork_mask_handlers(int argc, char **argv) {
	(void)argc, (void)argv;
	handle(SIGUSR2, record, 0, mkset(0));
	signal(SIGCHLD, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	sigset_t s = mkset(1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	say("sigprocmask(SIG_BLOCK, {SIGUSR1}) -> ok");
	say("tgkill(me, SIGUSR1) -> %s", res(tkill_self(SIGUSR1)));
	parent_pid = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		child_pid = getpid();
		name_thread(gettid(), "child");
		say("child: mask -> %s", maskstr());
		say("child: sigpending() -> %s", pendstr());
		say("child: sigaction(SIGUSR2) -> %s", dispname(SIGUSR2));
		say("child: getppid() -> %s", pidn(getppid()));
		say("child: tgkill(me, SIGUSR2) -> %s", res(tkill_self(SIGUSR2)));
		say("child collects");
		collect();
		_exit(7);
	}
	child_pid = pid;
	waitline("wait4(-1, 0)", -1, 0);
	say("sigpending() -> %s", pendstr());
	say("mask -> %s", maskstr());
}

static void after_exec(int argc, char **argv) {
	if (argc < 6)
		_exit(2);
	int r = atoi(argv[2]), w = atoi(argv[3]), r2 = atoi(argv[4]), w2 = atoi(argv[5]);
	name_fd(r, "r"), name_fd(w, "w"), name_fd(r2, "r2"), name_fd(w2, "w2");
	say("exec'd: fcntl(r, F_GETFD) -> %s", fcntl(r, F_GETFD) < 0 ? en(errno) : "open");
	say("exec'd: fcntl(w, F_GETFD) -> %d", fcntl(w, F_GETFD));
	say("exec'd: fcntl(r2, F_GETFL) -> %s", fcntl(r2, F_GETFL) & O_ASYNC ? "O_ASYNC" : "0");
	say("exec'd: sigaction(SIGUSR1) -> %s", dispname(SIGUSR1));
	say("exec'd: sigaction(SIGUSR2) -> %s", dispname(SIGUSR2));
	say("exec'd: mask -> %s", maskstr());
	say("exec'd: sigpending() -> %s", pendstr());
	say("exec'd: write(w2, 1) -> %zd", write(w2, "x", 1));
	sigset_t s = mkset(1, 41);
	siginfo_t si;
	struct timespec zero = {0};
	while (sigtimedwait0(&s, &si, &zero) > 0)
		say("exec'd: sigtimedwait({41}, 0s) -> %s", siline(&si));
	say("exec'd: sigtimedwait({41}, 0s) -> %s", en(errno));
	ssize_t n = write(w, "x", 1);
	say("exec'd: write(w, 1) -> %s", n < 0 ? en(errno) : "1");
	say("exec'd: sigpending() -> %s", pendstr());
}

static void exec_cloexec(int argc, char **argv) {
	(void)argc;
	int p2[2];
	mkpipe(p, "r", "w");
	mkpipe(p2, "r2", "w2");
	handle(SIGUSR1, record, 0, mkset(0));
	signal(SIGUSR2, SIG_IGN);
	sigset_t s = mkset(2, 41, SIGPIPE);
	sigprocmask(SIG_BLOCK, &s, NULL);
	say("sigprocmask(SIG_BLOCK, {SIGPIPE,41}) -> ok");
	own(p[0], F_OWNER_PID, getpid(), 41);
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	say("r: F_SETOWN_EX {F_OWNER_PID, me}, F_SETSIG 41, O_ASYNC, FD_CLOEXEC");
	own(p2[0], F_OWNER_PID, getpid(), 41);
	say("r2: F_SETOWN_EX {F_OWNER_PID, me}, F_SETSIG 41, O_ASYNC");
	say("tgkill(me, 41) -> %s", res(tkill_self(41)));
	char a[4][16];
	snprintf(a[0], 16, "%d", p[0]);
	snprintf(a[1], 16, "%d", p[1]);
	snprintf(a[2], 16, "%d", p2[0]);
	snprintf(a[3], 16, "%d", p2[1]);
	char *args[] = {argv[0], "T4-after-exec", a[0], a[1], a[2], a[3], NULL};
	say("execve(self)");
	execv("/proc/self/exe", args);
	say("execve -> %s", en(errno));
}

static void wait_nohang(int argc, char **argv) {
	(void)argc, (void)argv;
	sigset_t s = mkset(1, SIGCHLD);
	sigprocmask(SIG_BLOCK, &s, NULL);
	say("sigprocmask(SIG_BLOCK, {SIGCHLD}) -> ok");
	pid_t pid = child_waiting();
	waitline("wait4(child, WNOHANG)", pid, WNOHANG);
	say("sigpending() -> %s", pendstr());
	say("write(q, 1) -> %zd", write(q[1], "x", 1));
	waitline("wait4(child, 0)", pid, 0);
	say("sigpending() -> %s", pendstr());
	siginfo_t si;
	sigtimedwait0(&s, &si, NULL);
	say("sigtimedwait({SIGCHLD}) -> signal %s code=%s status=%d", sn(si.si_signo),
	    si.si_code == CLD_EXITED ? "CLD_EXITED" : "?", si.si_status);
	waitline("wait4(-1, WNOHANG)", -1, WNOHANG);
	waitline("wait4(child, 0)", pid, 0);
}

static void sigio_default_kills(int argc, char **argv) {
	(void)argc, (void)argv;
	parent_pid = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		mkpipe(p, "r", "w");
		fcntl(p[0], F_SETOWN, getpid());
		fcntl(p[0], F_SETFL, O_ASYNC);
		say("child: fcntl(r, F_SETOWN, me), O_ASYNC, no handler");
		say("child: sigaction(SIGIO) -> %s", dispname(SIGIO));
		ssize_t n = write(p[1], "x", 1);
		say("child: write(w, 1) -> %zd, still alive", n);
		_exit(0);
	}
	child_pid = pid;
	waitline("wait4(child, 0)", pid, 0);
}

static void stop_continue(int argc, char **argv) {
	(void)argc, (void)argv;
	pid_t pid = child_waiting();
	say("kill(child, SIGSTOP) -> %s", res(kill(pid, SIGSTOP)));
	waitline("wait4(child, WUNTRACED)", pid, WUNTRACED);
	waitline("wait4(child, WUNTRACED|WNOHANG)", pid, WUNTRACED | WNOHANG);
	say("kill(child, SIGCONT) -> %s", res(kill(pid, SIGCONT)));
	waitline("wait4(child, WCONTINUED)", pid, WCONTINUED);
	say("kill(child, SIGTERM) -> %s", res(kill(pid, SIGTERM)));
	waitline("wait4(child, 0)", pid, 0);
	waitline("wait4(child, 0)", pid, 0);
}

static void default_actions(int argc, char **argv) {
	(void)argc, (void)argv;
	static const int sigs[] = {SIGCHLD, SIGCONT, SIGUSR2, 40, SIGPIPE};
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		parent_pid = getpid();
		pid_t pid = fork();
		if (pid == 0) {
			tkill_self(sigs[i]);
			_exit(0);
		}
		child_pid = pid;
		char call[64];
		snprintf(call, sizeof call, "child tgkill(me, %s); wait4(child, 0)", sn(sigs[i]));
		waitline(call, pid, 0);
	}
}

const struct scenario scenarios_proc[] = {
	{"T2/F_OWNER_TID-names-a-thread-that-takes-it", owner_tid_unblocked},
	{"T2/F_OWNER_TID-names-a-thread-that-blocks-it", owner_tid_blocked},
	{"T2/F_OWNER_PID-skips-the-leader-that-blocks", owner_pid_leader_blocks},
	{"T2/process-signal-goes-to-the-one-thread-not-blocking", all_but_one_block},
	{"T2/process-signal-waits-while-all-threads-block", all_block},
	{"T2/P1/SIGPIPE-goes-to-the-writing-thread", sigpipe_to_writer},
	{"T1/tgkill-of-an-exited-thread-ESRCH", tgkill_exited},
	{"T1/threads-share-handlers", threads_share_handlers},
	{"T3/fork-with-an-owner-set", fork_owner},
	{"T3/fork-copies-mask-and-handlers-not-pending", fork_mask_handlers},
	{"T4/exec-closes-FD_CLOEXEC-and-keeps-FASYNC", exec_cloexec},
	{"T4-after-exec", after_exec},
	{"T5/wait4-WNOHANG-SIGCHLD-ECHILD", wait_nohang},
	{"S10/O_ASYNC-without-a-handler-dies-of-SIGIO", sigio_default_kills},
	{"S10/T5/stop-continue-terminate", stop_continue},
	{"S10/default-actions", default_actions},
	{0, 0},
};
