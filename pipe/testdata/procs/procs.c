// procs runs one conformance scenario on the real kernel (argv[1] names
// it) and prints its transcript, a line per event, in the format the
// model's twin of the scenario prints (procs_linux_test.go): handlers,
// thread masks, fork, exec and wait need a C program. No pid, tid or
// time is printed: processes and threads are named ("leader", "thread1",
// "child", "parent").
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procs.h"

// say prints one transcript line (async-signal-safe enough for the
// handlers here: vsnprintf of %s and %d, then one write).
// sigtimedwait0 is the system call itself: glibc's sigtimedwait turns
// SI_TKILL into SI_USER.
int sigtimedwait0(const sigset_t *set, siginfo_t *si, const struct timespec *ts) {
	return syscall(SYS_rt_sigtimedwait, set, si, ts, 8);
}

void say(const char *fmt, ...) {
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	buf[n++] = '\n';
	while (write(1, buf, n) < 0 && errno == EINTR) {
	}
}

static const int universe[] = {SIGKILL, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGCHLD, SIGCONT,
                               SIGSTOP, SIGIO, SIGSYS, 40, 41, 42, 64};

const char *sn(int sig) {
	static char num[8][8];
	static int next;
	switch (sig) {
	case SIGIO: return "SIGIO";
	case SIGPIPE: return "SIGPIPE";
	case SIGSYS: return "SIGSYS";
	case SIGCHLD: return "SIGCHLD";
	case SIGUSR1: return "SIGUSR1";
	case SIGUSR2: return "SIGUSR2";
	case SIGKILL: return "SIGKILL";
	case SIGSTOP: return "SIGSTOP";
	case SIGALRM: return "SIGALRM";
	case SIGTERM: return "SIGTERM";
	case SIGCONT: return "SIGCONT";
	}
	char *s = num[next++ % 8];
	snprintf(s, 8, "%d", sig);
	return s;
}

// setstr spells a signal set as the Go side does: {SIGUSR1,40}, in
// signal-number order, over the signals the scenarios use.
const char *setstr(const sigset_t *set) {
	static char bufs[4][256];
	static int next;
	char *b = bufs[next++ % 4];
	strcpy(b, "{");
	int first = 1;
	for (int sig = 1; sig <= 64; sig++) {
		int in = 0;
		for (unsigned i = 0; i < sizeof universe / sizeof universe[0]; i++)
			in |= universe[i] == sig;
		if (!in || sigismember(set, sig) != 1)
			continue;
		if (!first)
			strcat(b, ",");
		strcat(b, sn(sig));
		first = 0;
	}
	strcat(b, "}");
	return b;
}

sigset_t mkset(int n, ...) {
	sigset_t s;
	sigemptyset(&s);
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		sigaddset(&s, va_arg(ap, int));
	va_end(ap);
	return s;
}

const char *maskstr(void) {
	sigset_t m;
	pthread_sigmask(SIG_BLOCK, NULL, &m);
	return setstr(&m);
}

const char *pendstr(void) {
	sigset_t m;
	sigpending(&m);
	return setstr(&m);
}

const char *en(int e) {
	switch (e) {
	case 0: return "ok";
	case EAGAIN: return "EAGAIN";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case EINTR: return "EINTR";
	case EPIPE: return "EPIPE";
	case ESRCH: return "ESRCH";
	case ECHILD: return "ECHILD";
	case EPERM: return "EPERM";
	}
	static char b[32];
	snprintf(b, sizeof b, "errno %d", e);
	return b;
}

// res is "ok" or the errno of a call that returned -1.
const char *res(long r) { return r < 0 ? en(errno) : "ok"; }

const char *cn(int code) {
	static const char *poll[] = {"POLL_IN", "POLL_OUT", "POLL_MSG", "POLL_ERR", "POLL_PRI", "POLL_HUP"};
	switch (code) {
	case SI_USER: return "SI_USER";
	case SI_KERNEL: return "SI_KERNEL";
	case SI_QUEUE: return "SI_QUEUE";
	case SI_TKILL: return "SI_TKILL";
	}
	if (code >= 1 && code <= 6)
		return poll[code - 1];
	static char b[16];
	snprintf(b, sizeof b, "%d", code);
	return b;
}

// Descriptor and process names, for siginfo lines.
static struct {
	int fd;
	const char *name;
} fdnames[16];

void name_fd(int fd, const char *name) {
	for (int i = 0; i < 16; i++)
		if (fdnames[i].name == NULL || fdnames[i].fd == fd) {
			fdnames[i].fd = fd, fdnames[i].name = name;
			return;
		}
}

const char *fdn(int fd) {
	for (int i = 0; i < 16 && fdnames[i].name; i++)
		if (fdnames[i].fd == fd)
			return fdnames[i].name;
	return "fd?";
}

pid_t parent_pid, child_pid, child2_pid;

const char *pidn(pid_t pid) {
	if (pid == 0)
		return "0";
	if (pid == getpid())
		return "me";
	if (pid == parent_pid)
		return "parent";
	if (pid == child_pid)
		return "child";
	if (pid == child2_pid)
		return "child2";
	return "pid?";
}

// siline spells a siginfo as the Go side's sigLine does.
const char *siline(const siginfo_t *si) {
	static char bufs[4][160];
	static int next;
	char *b = bufs[next++ % 4];
	int n = snprintf(b, 160, "signal %s code=%s", sn(si->si_signo), cn(si->si_code));
	if (si->si_code == SI_USER || si->si_code == SI_TKILL || si->si_code == SI_QUEUE)
		snprintf(b + n, 160 - n, " pid=%s", pidn(si->si_pid));
	else if (si->si_code > 0 && si->si_code < SI_KERNEL)
		snprintf(b + n, 160 - n, " fd=%s band=%#lx", fdn(si->si_fd), si->si_band);
	return b;
}

int tkill_self(int sig) { return syscall(SYS_tgkill, getpid(), gettid(), sig); }

int handle(int sig, void (*fn)(int, siginfo_t *, void *), int flags, sigset_t mask) {
	struct sigaction sa = {0};
	sa.sa_sigaction = fn;
	sa.sa_flags = flags | SA_SIGINFO;
	sa.sa_mask = mask;
	return sigaction(sig, &sa, NULL);
}

// dispname spells a signal's disposition: SIG_DFL, SIG_IGN or handler.
const char *dispname(int sig) {
	struct sigaction sa;
	sigaction(sig, NULL, &sa);
	if (sa.sa_handler == SIG_DFL)
		return "SIG_DFL";
	if (sa.sa_handler == SIG_IGN)
		return "SIG_IGN";
	return "handler";
}

// Records: what a recording handler saw, taken by collect.
static struct rec {
	const char *who;
	siginfo_t si;
	int taken;
} recs[64];
static volatile int nrecs;
static struct {
	pid_t tid;
	const char *name;
} threadnames[8];

void name_thread(pid_t tid, const char *name) {
	for (int i = 0; i < 8; i++)
		if (threadnames[i].name == NULL) {
			threadnames[i].tid = tid, threadnames[i].name = name;
			return;
		}
}

static const char *threadname(pid_t tid) {
	for (int i = 0; i < 8 && threadnames[i].name; i++)
		if (threadnames[i].tid == tid)
			return threadnames[i].name;
	return "thread?";
}

void record(int sig, siginfo_t *si, void *uc) {
	(void)sig, (void)uc;
	int i = __atomic_fetch_add(&nrecs, 1, __ATOMIC_SEQ_CST);
	if (i < 64) {
		recs[i].who = threadname(gettid());
		recs[i].si = *si;
	}
}

// collect prints and forgets the records of the calling thread's
// handlers: a signal aimed at a thread has run its handler by the time
// that thread runs its next line of code.
void collect(void) {
	const char *me = threadname(gettid());
	int n = __atomic_load_n(&nrecs, __ATOMIC_SEQ_CST);
	for (int i = 0; i < n && i < 64; i++)
		if (!recs[i].taken && strcmp(recs[i].who, me) == 0) {
			recs[i].taken = 1;
			say("  %s got %s", recs[i].who, siline(&recs[i].si));
		}
}

// Workers: threads that run what they are given, one call at a time.
void *worker_main(void *arg) {
	struct worker *w = arg;
	w->tid = gettid();
	name_thread(w->tid, w->name);
	sem_post(&w->done);
	for (;;) {
		while (sem_wait(&w->req) < 0 && errno == EINTR) {
		}
		void (*fn)(struct worker *) = w->fn;
		if (fn == NULL)
			return NULL;
		fn(w);
		sem_post(&w->done);
	}
}

void wstart(struct worker *w, const char *name) {
	w->name = name;
	sem_init(&w->req, 0, 0);
	sem_init(&w->done, 0, 0);
	pthread_create(&w->th, NULL, worker_main, w);
	while (sem_wait(&w->done) < 0 && errno == EINTR) {
	}
}

// wrun starts fn on w; wwait waits for it; wdo does both.
void wrun(struct worker *w, void (*fn)(struct worker *)) {
	w->fn = fn;
	sem_post(&w->req);
}

void wwait(struct worker *w) {
	while (sem_wait(&w->done) < 0 && errno == EINTR) {
	}
}

void wdo(struct worker *w, void (*fn)(struct worker *)) {
	wrun(w, fn);
	wwait(w);
}

// wstop ends w and waits until its thread is gone: pthread_join returns
// when the kernel clears the thread's tid, before the thread is reaped,
// and until then tgkill still finds it.
void wstop(struct worker *w) {
	char path[64];
	wrun(w, NULL);
	pthread_join(w->th, NULL);
	snprintf(path, sizeof path, "/proc/self/task/%d", w->tid);
	for (int i = 0; i < 100000 && access(path, F_OK) == 0; i++)
		usleep(100); // polling interval of a bounded wait
}

// asleep_at waits (10 s at most) until the task whose /proc directory is
// dir sleeps in system call nr (or, with restart, in restart_syscall,
// which continues a poll or select interrupted by a stop).
static int asleep_at(const char *dir, int nr, int restart) {
	char path[96], buf[256];
	for (int i = 0; i < 100000; i++) {
		snprintf(path, sizeof path, "%s/syscall", dir);
		FILE *f = fopen(path, "r");
		int got = -1;
		if (f) {
			if (fscanf(f, "%d", &got) != 1)
				got = -1;
			fclose(f);
		}
		snprintf(path, sizeof path, "%s/stat", dir);
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
		if ((got == nr || (restart && got == SYS_restart_syscall)) && state == 'S')
			return 1;
		usleep(100); // polling interval of a bounded wait
	}
	return 0;
}

// asleep_in waits (10 s at most) until thread tid sleeps in system call nr.
int asleep_in(pid_t tid, int nr) {
	char dir[64];
	snprintf(dir, sizeof dir, "/proc/self/task/%d", tid);
	return asleep_at(dir, nr, 0);
}

// asleep_pid waits (10 s at most) until process pid sleeps in system
// call nr, or in restart_syscall.
int asleep_pid(pid_t pid, int nr) {
	char dir[64];
	snprintf(dir, sizeof dir, "/proc/%d", pid);
	return asleep_at(dir, nr, 1);
}

// waitstr spells a wait status as the Go side does.
const char *waitstr(int st) {
	static char b[64];
	if (WIFEXITED(st))
		snprintf(b, sizeof b, "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(b, sizeof b, "signaled %s", sn(WTERMSIG(st)));
	else if (WIFSTOPPED(st))
		snprintf(b, sizeof b, "stopped %s", sn(WSTOPSIG(st)));
	else if (WIFCONTINUED(st))
		snprintf(b, sizeof b, "continued");
	else
		snprintf(b, sizeof b, "status %#x", st);
	return b;
}

// waitline is one wait4's transcript line.
void waitline(const char *call, pid_t pid, int opts) {
	int st = 0;
	pid_t got = wait4(pid, &st, opts, NULL);
	if (got < 0)
		say("%s -> %s", call, en(errno));
	else if (got == 0)
		say("%s -> 0", call);
	else
		say("%s -> %s %s", call, pidn(got), waitstr(st));
}

// own makes who the owner of fd (type: F_OWNER_TID, _PID), with sig and O_ASYNC.
void own(int fd, int type, pid_t who, int sig) {
	struct f_owner_ex o = {.type = type, .pid = who};
	fcntl(fd, F_SETOWN_EX, &o);
	fcntl(fd, F_SETSIG, sig);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
}

void mkpipe(int p[2], const char *r, const char *w) {
	if (pipe(p) < 0) {
		say("pipe: %s", en(errno));
		exit(1);
	}
	name_fd(p[0], r);
	name_fd(p[1], w);
}

extern const struct scenario scenarios_sig[], scenarios_proc[], scenarios_wait[], scenarios_thread[],
    scenarios_child[], scenarios_misc[], scenarios_edge[],
    scenarios_stop[];

static int run(const struct scenario *list, int argc, char **argv) {
	for (const struct scenario *s = list; s->name; s++)
		if (strcmp(s->name, argv[1]) == 0) {
			s->fn(argc, argv);
			return 1;
		}
	return 0;
}

int main(int argc, char **argv) {
	if (argc < 2)
		return 2;
	sigset_t none;
	sigemptyset(&none);
	if (strcmp(argv[1], "T4-after-exec") != 0 && strcmp(argv[1], "T4-after-exec2") != 0) // exec keeps the mask
		sigprocmask(SIG_SETMASK, &none, NULL);
	name_thread(gettid(), "leader");
	if (run(scenarios_sig, argc, argv) || run(scenarios_proc, argc, argv) || run(scenarios_wait, argc, argv) ||
	    run(scenarios_thread, argc, argv) || run(scenarios_child, argc, argv) || run(scenarios_misc, argc, argv) ||
	    run(scenarios_edge, argc, argv) || run(scenarios_stop, argc, argv))
		return 0;
	fprintf(stderr, "no scenario %s\n", argv[1]);
	return 2;
}
