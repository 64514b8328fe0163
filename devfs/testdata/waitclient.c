/* waitclient: a client of exported devices that takes its F_SETSIG
 * signal without a handler (SPEC F1, F2, F3), the ways threaded servers
 * and event loops do.
 *
 *   waitclient sigwait|signalfd|tid|pending|ignored SIG DEV...
 *
 * Each DEV is opened read-only and given F_SETSIG SIG, an owner and
 * O_ASYNC. SIG is blocked in every thread before anything else, and then
 * taken:
 *   sigwait   by the main thread, the owner, in sigtimedwait;
 *   signalfd  by the main thread, the owner, from a signalfd watched by
 *             epoll;
 *   tid       by a second thread, named by F_SETOWN_EX F_OWNER_TID, in
 *             sigwaitinfo;
 *   pending   by nobody: the process (two threads) owns the files and the
 *             signal stays pending until a line "take" on standard input,
 *             after which the main thread prints "pending" if sigpending
 *             shows it and takes it with a zero sigtimedwait;
 *   ignored   as pending, one thread, with SIG's action SIG_IGN: Linux
 *             queues a blocked signal whatever its action.
 * Each signal taken prints one line:
 *   sig=N code=C fd=F band=0xB pid=P tid=T
 * (si_fd and si_band, or ssi_fd and ssi_band; T is the thread that took
 * it). "owner T" (tid) and "ready" are printed once everything is armed.
 * End of input exits 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static sigset_t set;
static volatile pid_t owner_tid;

static void line(int sig, int code, int fd, long band)
{
	printf("sig=%d code=%d fd=%d band=%#lx pid=%d tid=%ld\n", sig, code, fd, band, getpid(), (long)syscall(SYS_gettid));
	fflush(stdout);
}

static void *waiter(void *arg)
{
	(void)arg;
	owner_tid = syscall(SYS_gettid);
	for (;;) {
		siginfo_t si;
		if (sigwaitinfo(&set, &si) > 0)
			line(si.si_signo, si.si_code, si.si_fd, si.si_band);
	}
	return NULL;
}

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* stdin_closed reports whether standard input has ended (or says "take"
 * when take is set). */
static int input(int *take)
{
	char buf[64];
	ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0)
		return 1;
	*take = n >= 4 && strncmp(buf, "take", 4) == 0;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: waitclient sigwait|signalfd|tid|pending|ignored SIG DEV...\n");
		return 2;
	}
	const char *mode = argv[1];
	int sig = atoi(argv[2]);
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by every thread */
	pthread_t th;
	if (strcmp(mode, "tid") == 0) {
		pthread_create(&th, NULL, waiter, NULL);
		while (!owner_tid)
			usleep(1000);
	} else if (strcmp(mode, "pending") == 0) {
		pthread_create(&th, NULL, idle, NULL);
	} else if (strcmp(mode, "ignored") == 0) {
		signal(sig, SIG_IGN); /* blocked and ignored: queued all the same */
	}
	for (int i = 3; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			perror(argv[i]);
			return 1;
		}
		struct f_owner_ex o = {F_OWNER_PID, getpid()};
		if (owner_tid) {
			o.type = F_OWNER_TID;
			o.pid = owner_tid;
		}
		if (fcntl(fd, F_SETSIG, sig) < 0 || fcntl(fd, F_SETOWN_EX, &o) < 0) {
			perror("fcntl");
			return 1;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
	}
	if (owner_tid)
		printf("owner %d\n", owner_tid);
	printf("ready\n");
	fflush(stdout);
	int take = 0;
	if (strcmp(mode, "sigwait") == 0) {
		struct pollfd in = {STDIN_FILENO, POLLIN, 0};
		for (;;) {
			siginfo_t si;
			struct timespec ts = {1, 0};
			if (sigtimedwait(&set, &si, &ts) > 0)
				line(si.si_signo, si.si_code, si.si_fd, si.si_band);
			else if (poll(&in, 1, 0) > 0 && input(&take))
				return 0;
		}
	}
	if (strcmp(mode, "signalfd") == 0) {
		int sfd = signalfd(-1, &set, SFD_CLOEXEC), ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = sfd};
		epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
		ev.data.fd = STDIN_FILENO;
		epoll_ctl(ep, EPOLL_CTL_ADD, STDIN_FILENO, &ev);
		for (;;) {
			if (epoll_wait(ep, &ev, 1, -1) != 1)
				continue;
			if (ev.data.fd == STDIN_FILENO) {
				if (input(&take))
					return 0;
				continue;
			}
			struct signalfd_siginfo ss;
			if (read(sfd, &ss, sizeof ss) == sizeof ss)
				line(ss.ssi_signo, ss.ssi_code, ss.ssi_fd, ss.ssi_band);
		}
	}
	for (;;) {
		if (input(&take))
			return 0;
		if (!take)
			continue;
		sigset_t p;
		sigpending(&p);
		if (sigismember(&p, sig)) {
			printf("pending\n");
			fflush(stdout);
		}
		siginfo_t si;
		struct timespec zero = {0, 0};
		while (sigtimedwait(&set, &si, &zero) > 0)
			line(si.si_signo, si.si_code, si.si_fd, si.si_band);
	}
}
