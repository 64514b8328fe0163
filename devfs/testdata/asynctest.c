/* LDD3's asynctest (chapter 6, "Asynchronous Notification"), as a test
 * client: SIGIO handler installed with signal(), the process made the owner
 * of standard input with F_SETOWN getpid(), FASYNC added with F_SETFL, and
 * standard input read only when a signal has come. Two changes make it
 * lose nothing: SIGIO is blocked outside sigsuspend, so a signal cannot
 * fall between the test of the flag and the wait, and every signal drains
 * the input (O_NONBLOCK reads until EAGAIN) where LDD3 reads 4096 bytes
 * and leaves the rest for a signal that may never come (SPEC B11).
 * "ready" goes to standard error once the input is signal-driven. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t gotdata;

static void sighandler(int signo)
{
	if (signo == SIGIO)
		gotdata++;
}

int main(void)
{
	static char buffer[4096];
	sigset_t block, old;

	signal(SIGIO, sighandler);
	sigemptyset(&block);
	sigaddset(&block, SIGIO);
	sigprocmask(SIG_BLOCK, &block, &old);

	fcntl(STDIN_FILENO, F_SETOWN, getpid());
	int oflags = fcntl(STDIN_FILENO, F_GETFL);
	fcntl(STDIN_FILENO, F_SETFL, oflags | FASYNC | O_NONBLOCK);
	fprintf(stderr, "ready\n");

	for (;;) {
		while (!gotdata)
			sigsuspend(&old);
		gotdata = 0;
		for (;;) {
			ssize_t count = read(STDIN_FILENO, buffer, sizeof buffer);
			if (count < 0 && errno == EINTR)
				continue;
			if (count <= 0)
				break; /* EAGAIN: drained */
			for (ssize_t off = 0; off < count;) {
				ssize_t n = write(STDOUT_FILENO, buffer + off, count - off);
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0)
					return 1;
				off += n;
			}
		}
	}
}
