/* sigclient: a signal-driven client of exported devices (SPEC F), reporting
 * every signal its handler (or, for a thread owner, sigwaitinfo) sees.
 *
 *   sigclient [-s SIG] [-o pid|pgrp|tid|other:PID|none] [-c N] [-f] [-n] DEV...
 *
 * Each DEV is opened (O_RDONLY; with -f O_WRONLY|O_NONBLOCK and filled
 * until EAGAIN, so the next read frees space: POLL_OUT), given F_SETSIG SIG
 * (default 0: plain SIGIO), an owner, and O_ASYNC. Owners: pid (getpid()),
 * pgrp (-getpgrp() after setpgid(0, 0), with -c N children forked first,
 * which inherit the files and the handler), tid (F_SETOWN_EX F_OWNER_TID of
 * a second thread, which blocks SIG and takes it with sigwaitinfo while the
 * main thread would print "wrong-thread"), other:PID (F_SETOWN PID, for
 * the permission case), none (F_SETOWN getpid() and no handler: SIG keeps
 * its default action). With -n no handler is installed either way.
 *
 * A DEV of the form fd:N is descriptor N, already open (inherited).
 *
 * Output on standard output, one line per signal, written with write(2)
 * from the handler:
 *   sig=N code=C fd=F band=0xB pid=P tid=T
 * "owner T" (for -o tid), "child P" (for -c) and then "ready" are printed
 * when everything is armed. A line "close" on standard input closes every
 * DEV and prints "closed"; any other line, or end of input, exits 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int sig = 0;

static char *put(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *putnum(char *p, long v, int base)
{
	char tmp[32];
	int n = 0;
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
	if (base == 16)
		p = put(p, "0x");
	else if (v < 0)
		*p++ = '-';
	do {
		tmp[n++] = "0123456789abcdef"[u % base];
		u /= base;
	} while (u);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static void report(const char *prefix, siginfo_t *si)
{
	char buf[256], *p = buf;
	p = put(p, prefix);
	p = put(p, "sig=");
	p = putnum(p, si->si_signo, 10);
	p = put(p, " code=");
	p = putnum(p, si->si_code, 10);
	p = put(p, " fd=");
	p = putnum(p, si->si_fd, 10);
	p = put(p, " band=");
	p = putnum(p, si->si_band, 16);
	p = put(p, " pid=");
	p = putnum(p, getpid(), 10);
	p = put(p, " tid=");
	p = putnum(p, syscall(SYS_gettid), 10);
	*p++ = '\n';
	write(STDOUT_FILENO, buf, p - buf);
}

static void handler(int signo, siginfo_t *si, void *uc)
{
	(void)signo;
	(void)uc;
	report("", si);
}

static void wrong(int signo, siginfo_t *si, void *uc)
{
	(void)signo;
	(void)uc;
	report("wrong-thread ", si);
}

static volatile pid_t owner_tid;

static void *owner_thread(void *arg)
{
	sigset_t *set = arg;
	owner_tid = syscall(SYS_gettid);
	for (;;) {
		siginfo_t si;
		if (sigwaitinfo(set, &si) > 0)
			report("", &si);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *owner = "pid";
	int children = 0, fill = 0, nohandler = 0, opt;
	while ((opt = getopt(argc, argv, "s:o:c:fn")) != -1) {
		switch (opt) {
		case 's': sig = atoi(optarg); break;
		case 'o': owner = optarg; break;
		case 'c': children = atoi(optarg); break;
		case 'f': fill = 1; break;
		case 'n': nohandler = 1; break;
		default: return 2;
		}
	}
	int signo = sig ? sig : SIGIO;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, signo);

	if (strcmp(owner, "none") != 0 && !nohandler) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = strcmp(owner, "tid") == 0 ? wrong : handler;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigaction(signo, &sa, NULL);
	}
	if (strcmp(owner, "tid") == 0) {
		pthread_t th;
		pthread_sigmask(SIG_BLOCK, &set, NULL);   /* inherited by the thread */
		pthread_create(&th, NULL, owner_thread, &set);
		pthread_sigmask(SIG_UNBLOCK, &set, NULL); /* main: would say wrong-thread */
		while (!owner_tid)
			usleep(1000);
	}
	if (strcmp(owner, "pgrp") == 0) {
		setpgid(0, 0);
	}
	int fds[64], nfd = 0;
	for (int i = optind; i < argc && nfd < 64; i++) {
		int fd = strncmp(argv[i], "fd:", 3) == 0 ? atoi(argv[i] + 3)
						       : open(argv[i], fill ? O_WRONLY | O_NONBLOCK : O_RDONLY);
		if (fd < 0) {
			perror(argv[i]);
			return 1;
		}
		if (fill) {
			char junk[4096];
			memset(junk, 'x', sizeof junk);
			while (write(fd, junk, sizeof junk) > 0 || errno == EINTR)
				;
		}
		fds[nfd++] = fd;
	}
	if (strcmp(owner, "pgrp") == 0) {
		for (int i = 0; i < children; i++) {
			pid_t c = fork();
			if (c == 0) {
				for (;;)
					pause();
			}
			printf("child %d\n", c);
		}
	}
	for (int i = 0; i < nfd; i++) {
		int fd = fds[i];
		if (fcntl(fd, F_SETSIG, sig) < 0) {
			perror("F_SETSIG");
			return 1;
		}
		int r;
		if (strcmp(owner, "pgrp") == 0) {
			r = fcntl(fd, F_SETOWN, -getpgrp());
		} else if (strcmp(owner, "tid") == 0) {
			struct f_owner_ex o = {F_OWNER_TID, owner_tid};
			r = fcntl(fd, F_SETOWN_EX, &o);
		} else if (strncmp(owner, "other:", 6) == 0) {
			r = fcntl(fd, F_SETOWN, atoi(owner + 6));
		} else {
			r = fcntl(fd, F_SETOWN, getpid());
		}
		if (r < 0) {
			perror("F_SETOWN");
			return 1;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
	}
	if (strcmp(owner, "tid") == 0)
		printf("owner %d\n", owner_tid);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		char line[64];
		ssize_t n = read(STDIN_FILENO, line, sizeof line);
		if (n < 0 && errno == EINTR)
			continue;
		if (n >= 5 && strncmp(line, "close", 5) == 0) {
			for (int i = 0; i < nfd; i++)
				close(fds[i]);
			write(STDOUT_FILENO, "closed\n", 7);
			continue;
		}
		return 0;
	}
}
