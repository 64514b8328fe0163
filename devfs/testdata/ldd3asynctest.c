/* LDD3's asynctest (chapter 6, "Asynchronous Notification") as the book
 * has it: a SIGIO handler that counts, installed with no flags; the
 * process made the owner of standard input and FASYNC added; then, for
 * ever, sleep until a signal and, if one came, one blocking read of up to
 * 4096 bytes, copied to standard output, before the flag is cleared. A
 * signal that lands between the read and the clearing is lost, as it is
 * on a kernel FIFO: the export repeats one whose data stays unread
 * (SPEC F1, F7). */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

int gotdata = 0;

void sighandler(int signo)
{
	if (signo == SIGIO)
		gotdata++;
}

char buffer[4096];

int main(int argc, char **argv)
{
	int count;
	struct sigaction action;

	memset(&action, 0, sizeof action);
	action.sa_handler = sighandler;
	action.sa_flags = 0;
	sigaction(SIGIO, &action, NULL);

	fcntl(STDIN_FILENO, F_SETOWN, getpid());
	fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | FASYNC);

	while (1) {
		/* this only returns if a signal arrives */
		sleep(86400); /* one day */
		if (!gotdata)
			continue;
		count = read(0, buffer, 4096);
		/* buggy: if the argument is stdin, it can't be a pipe, only a file */
		write(1, buffer, count);
		gotdata = 0;
	}
}
