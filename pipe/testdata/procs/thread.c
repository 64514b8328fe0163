// Scenarios of threads as owners, exec from a thread and exits (SPEC A9,
// T1, T2, T4, T5; LTP's fcntl31, gVisor's fcntl.cc and exec.cc).
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

static int p[2];
static struct worker t1;
static pid_t t1tid;

// idn names an owner id: thread1 (alive or gone), or a process.
static const char *idn(pid_t id) { return id != 0 && id == t1tid ? "thread1" : pidn(id); }

static void getowns(void) {
	struct f_owner_ex o;
	fcntl(p[0], F_GETOWN_EX, &o);
	const char *types[] = {"F_OWNER_TID", "F_OWNER_PID", "F_OWNER_PGRP"};
	say("fcntl(r, F_GETOWN_EX) -> {%s, %s}; F_GETOWN -> %s", o.type >= 0 && o.type <= 2 ? types[o.type] : "?",
	    idn(o.pid), idn(fcntl(p[0], F_GETOWN)));
}

static void unblock40(struct worker *w) {
	sigset_t s = mkset(1, 40);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	say("%s: sigprocmask(SIG_UNBLOCK, {40}) -> ok", w->name);
}

static void collectw(struct worker *w) {
	say("%s collects", w->name);
	collect();
}

static void owner_is_a_thread(int argc, char **argv) {
	(void)argc, (void)argv;
	handle(40, record, 0, mkset(0));
	mkpipe(p, "r", "w");
	sigset_t s = mkset(1, 40);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	say("leader: sigprocmask(SIG_BLOCK, {40}) -> ok");
	wstart(&t1, "thread1");
	t1tid = t1.tid;
	wdo(&t1, unblock40);
	fcntl(p[0], F_SETSIG, 40);
	fcntl(p[0], F_SETFL, O_ASYNC);
	struct f_owner_ex o = {.type = F_OWNER_TID, .pid = t1.tid};
	say("fcntl(r, F_SETOWN_EX, {F_OWNER_TID, thread1}) -> %s", res(fcntl(p[0], F_SETOWN_EX, &o)));
	getowns();
	say("fcntl(r, F_SETOWN, thread1) -> %s", res(fcntl(p[0], F_SETOWN, t1.tid)));
	getowns();
	say("write(w, 1) -> %zd", write(p[1], "x", 1));
	wdo(&t1, collectw);
	say("leader: sigpending() -> %s", pendstr());
	wstop(&t1);
	say("thread1 exits");
	getowns();
	say("write(w, 1) -> %zd", write(p[1], "x", 1));
	say("leader: sigpending() -> %s", pendstr());
	say("fcntl(r, F_SETOWN, thread1) -> %s", res(fcntl(p[0], F_SETOWN, t1tid)));
}

static char *self;

static void exec_from_thread(struct worker *w) {
	(void)w;
	char a[2][16];
	snprintf(a[0], 16, "%d", t1tid);
	snprintf(a[1], 16, "%d", getpid());
	char *args[] = {self, "T4-after-thread-exec", a[0], a[1], NULL};
	say("thread1: execve(self)");
	execv("/proc/self/exe", args);
	say("thread1: execve -> %s", en(errno));
}

static void exec_in_thread(int argc, char **argv) {
	(void)argc;
	self = argv[0];
	wstart(&t1, "thread1");
	t1tid = t1.tid;
	wrun(&t1, exec_from_thread);
	for (;;)
		pause();
}

static void after_thread_exec(int argc, char **argv) {
	if (argc < 4)
		_exit(2);
	pid_t old = atoi(argv[2]), pid = atoi(argv[3]);
	say("exec'd: getpid() unchanged -> %d", getpid() == pid);
	say("exec'd: gettid() == getpid() -> %d", gettid() == getpid());
	say("exec'd: tgkill(me, old thread1 tid, 0) -> %s", res(syscall(SYS_tgkill, getpid(), old, 0)));
}

static void thread_exit_group(struct worker *w) {
	(void)w;
	_exit(5); // exit_group
}

static void thread_exit_only(struct worker *w) {
	(void)w;
	syscall(SYS_exit, 9); // this thread only
}

static void exits(int argc, char **argv) {
	(void)argc, (void)argv;
	parent_pid = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		wstart(&t1, "thread1");
		wrun(&t1, thread_exit_group);
		for (;;)
			pause();
	}
	child_pid = pid;
	waitline("child's thread1 exit_group(5); wait4(child, 0)", pid, 0);
	pid = fork();
	if (pid == 0) {
		wstart(&t1, "thread1");
		wrun(&t1, thread_exit_only);
		pthread_join(t1.th, NULL);
		_exit(6);
	}
	child_pid = pid;
	waitline("child's thread1 exit(9), then leader exit_group(6); wait4(child, 0)", pid, 0);
	int q[2];
	if (pipe(q) < 0)
		_exit(1);
	pid = fork();
	if (pid == 0) {
		wstart(&t1, "thread1");
		pid_t tid = t1.tid;
		if (write(q[1], &tid, sizeof tid) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	child_pid = pid;
	pid_t tid = 0;
	if (read(q[0], &tid, sizeof tid) < 0)
		_exit(1);
	say("tgkill(child, child's thread1, SIGTERM) -> %s", res(syscall(SYS_tgkill, pid, tid, SIGTERM)));
	waitline("wait4(child, 0)", pid, 0);
}

const struct scenario scenarios_thread[] = {
	{"A9/T2/fcntl31-the-owner-is-a-thread", owner_is_a_thread},
	{"T4/exec-from-a-thread-takes-the-leader-id", exec_in_thread},
	{"T4-after-thread-exec", after_thread_exec},
	{"T5/exit_group-from-a-thread-and-a-fatal-signal-to-one", exits},
	{0, 0},
};
