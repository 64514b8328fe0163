/* ldd3nbtest: the behaviour of LDD3's misc-progs/nbtest, written anew for
 * the tests (SPEC M2). Standard input and standard output are made
 * non-blocking; then, for ever: read up to 4096 bytes, copy what came to
 * standard output, and sleep DELAY seconds (argument 1, default 1). EAGAIN
 * on either side is not an error; any other failure ends the program
 * with perror naming the side. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char chunk[4096];
	int delay = argc > 1 ? atoi(argv[1]) : 1;

	fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
	fcntl(STDOUT_FILENO, F_SETFL, fcntl(STDOUT_FILENO, F_GETFL) | O_NONBLOCK);
	for (;;) {
		ssize_t got = read(STDIN_FILENO, chunk, sizeof chunk), put = 0;
		if (got > 0)
			put = write(STDOUT_FILENO, chunk, got);
		if (got < 0 && errno != EAGAIN) {
			perror("stdin");
			return 1;
		}
		if (put < 0 && errno != EAGAIN) {
			perror("stdout");
			return 1;
		}
		sleep(delay);
	}
}
