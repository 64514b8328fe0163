/* execclient: a client that owns a device's signals and then execs while
 * a close-on-exec file of another FUSE file system cannot be flushed
 * (SPEC F8).
 *
 *   execclient DEV FILE SIG
 *   execclient -after SIG
 *
 * DEV is opened (O_RDONLY|O_NONBLOCK, kept across the exec), given a
 * handler for SIG, F_SETSIG SIG, F_SETOWN getpid() and O_ASYNC. FILE is
 * opened O_RDONLY|O_CLOEXEC. It prints "ready"; each signal prints
 * "sig=N fd=F band=0xB". A line "exec" on standard input makes it block
 * SIG and exec itself as "execclient -after SIG", whose close of FILE
 * sends that file system a FLUSH; the new image installs the handler,
 * prints "after" and unblocks SIG (signals queued meanwhile, kept
 * pending across the exec, then arrive). End of input exits 0. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void onsig(int sig, siginfo_t *si, void *uc)
{
	char line[96];
	int n;
	(void)uc;
	n = snprintf(line, sizeof line, "sig=%d fd=%d band=%#lx\n", sig, si->si_fd, (unsigned long)si->si_band);
	write(1, line, n);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	char line[64];
	int dev, sig;

	if (argc == 3 && strcmp(argv[1], "-after") == 0) {
		sigset_t set;
		sig = atoi(argv[2]);
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = onsig;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigaction(sig, &sa, NULL);
		setvbuf(stdout, NULL, _IONBF, 0);
		printf("after\n");
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		while (fgets(line, sizeof line, stdin))
			;
		return 0;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: execclient DEV FILE SIG\n");
		return 2;
	}
	sig = atoi(argv[3]);
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = onsig;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(sig, &sa, NULL);
	dev = open(argv[1], O_RDONLY | O_NONBLOCK);
	if (dev < 0 || fcntl(dev, F_SETSIG, sig) < 0 || fcntl(dev, F_SETOWN, getpid()) < 0 ||
	    fcntl(dev, F_SETFL, fcntl(dev, F_GETFL) | O_ASYNC) < 0) {
		perror(argv[1]);
		return 1;
	}
	if (open(argv[2], O_RDONLY | O_CLOEXEC) < 0) {
		perror(argv[2]);
		return 1;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof line, stdin)) {
		if (strcmp(line, "exec\n") == 0) {
			sigset_t set;
			sigemptyset(&set);
			sigaddset(&set, sig);
			sigprocmask(SIG_BLOCK, &set, NULL);
			execl("/proc/self/exe", "execclient", "-after", argv[3], (char *)NULL);
			perror("exec");
			return 1;
		}
	}
	return 0;
}
