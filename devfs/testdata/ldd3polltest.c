/* ldd3polltest: the behaviour of LDD3's misc-progs/polltest, written anew
 * for the tests (SPEC M2, M3). Standard input is made non-blocking; then,
 * for ever: read what is there (up to 4096 bytes) and copy it to standard
 * output, and wait in poll(2) for standard input to become readable. A
 * read that finds nothing (EAGAIN) just goes on to the poll; the program
 * ends, with perror naming the side, when poll fails, a read fails
 * otherwise, or a write fails. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	static char chunk[4096];
	struct pollfd in = {.fd = STDIN_FILENO, .events = POLLIN};

	fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
	for (;;) {
		ssize_t got = read(STDIN_FILENO, chunk, sizeof chunk);
		if (got < 0 && errno != EAGAIN) {
			perror("stdin");
			return 1;
		}
		if (got > 0 && write(STDOUT_FILENO, chunk, got) != got) {
			perror("stdout");
			return 1;
		}
		if (poll(&in, 1, -1) < 0) {
			perror("poll");
			return 1;
		}
	}
}
