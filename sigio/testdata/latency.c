/*
 * latency: write -> signal handler latency of signal-driven I/O in C, the
 * baseline for sigio's Go benchmarks (BenchmarkLatency).
 *
 * A pipe's read end is armed with F_SETSIG SIG, O_ASYNC and F_SETOWN_EX
 * {F_OWNER_TID, owner}; the owner is a thread of its own waiting in pause()
 * with SIG unblocked, where an SA_SIGINFO handler takes the timestamp. The
 * main thread (SIG blocked) timestamps, writes one byte, and waits on a
 * semaphore the handler posts. After WARMUP unrecorded rounds it records N.
 *
 * usage: latency N SIG     prints "p50_ns p99_ns N"
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>

#define WARMUP 1000

static int rfd, wfd;
static long long t0;          /* written by main, read by the handler */
static long long *samples;
static long ndone;
static sem_t ready, done;
static pid_t owner_tid;
static int sig;

static long long now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void handler(int s, siginfo_t *si, void *uc)
{
	long long t1 = now();
	char c;
	(void)s;
	(void)uc;
	if (si->si_fd != rfd || si->si_code != POLL_IN)
		return;
	if (ndone >= WARMUP)
		samples[ndone - WARMUP] = t1 - __atomic_load_n(&t0, __ATOMIC_ACQUIRE);
	ndone++;
	while (read(rfd, &c, 1) == 1)
		;
	sem_post(&done);
}

static void *owner(void *arg)
{
	sigset_t set;
	(void)arg;
	owner_tid = syscall(SYS_gettid);
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	sem_post(&ready);
	for (;;)
		pause();
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {0};
	struct f_owner_ex own;
	sigset_t set;
	pthread_t th;
	int p[2], fl;
	long i, n;

	if (argc != 3) {
		fprintf(stderr, "usage: latency N SIG\n");
		return 2;
	}
	n = atol(argv[1]);
	sig = atoi(argv[2]);
	if (n < 1 || sig < SIGRTMIN || sig > SIGRTMAX) {
		fprintf(stderr, "latency: bad N or SIG\n");
		return 2;
	}
	samples = calloc(n, sizeof *samples);
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited, undone by owner */
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) < 0)
		die("sigaction");
	if (pipe2(p, O_NONBLOCK) < 0)
		die("pipe2");
	rfd = p[0];
	wfd = p[1];
	sem_init(&ready, 0, 0);
	sem_init(&done, 0, 0);
	if (pthread_create(&th, NULL, owner, NULL) != 0)
		die("pthread_create");
	while (sem_wait(&ready) < 0 && errno == EINTR)
		;
	own.type = F_OWNER_TID;
	own.pid = owner_tid;
	fl = fcntl(rfd, F_GETFL);
	if (fcntl(rfd, F_SETSIG, sig) < 0 || fcntl(rfd, F_SETFL, fl | O_ASYNC) < 0 ||
	    fcntl(rfd, F_SETOWN_EX, &own) < 0)
		die("arming");
	for (i = 0; i < WARMUP + n; i++) {
		__atomic_store_n(&t0, now(), __ATOMIC_RELEASE);
		if (write(wfd, "x", 1) != 1)
			die("write");
		while (sem_wait(&done) < 0 && errno == EINTR)
			;
	}
	qsort(samples, n, sizeof *samples, cmp);
	printf("%lld %lld %ld\n", samples[n / 2], samples[n * 99 / 100], n);
	return 0;
}
