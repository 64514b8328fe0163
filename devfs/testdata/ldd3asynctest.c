/* ldd3asynctest: the behaviour of LDD3's misc-progs/asynctest, written
 * anew for the tests (SPEC F7, F1). A plain SIGIO handler, installed with
 * no flags, only notes that a signal came; standard input gets this
 * process as its owner (F_SETOWN) and FASYNC. Then, for ever: sleep until
 * a signal interrupts the sleep; if one came, make one blocking read of up
 * to 4096 bytes from standard input, write what it returned to standard
 * output, and only then forget the signal. A signal that lands between
 * that read and the forgetting is lost, as with the original on a kernel
 * FIFO; the export repeats one whose data stays unread (SPEC F1). */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t came;

static void note(int sig)
{
	if (sig == SIGIO)
		came = 1;
}

int main(void)
{
	static char chunk[4096];
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = note;
	sigaction(SIGIO, &sa, NULL);
	fcntl(STDIN_FILENO, F_SETOWN, getpid());
	fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | FASYNC);
	for (;;) {
		sleep(24 * 60 * 60);
		if (!came)
			continue;
		ssize_t got = read(STDIN_FILENO, chunk, sizeof chunk);
		if (got > 0 && write(STDOUT_FILENO, chunk, got) < 0)
			return 1;
		came = 0;
	}
}
