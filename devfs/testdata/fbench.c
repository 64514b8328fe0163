/*
 * fbench: the client side of devfs's benchmarks, the same code for a
 * kernel FIFO and for an exported model device, so the two are measured
 * alike (blocking read(2)/write(2) from separate processes).
 *
 *   fbench tput WFILE RFILE TOTAL BS
 *       a child writes TOTAL bytes to WFILE in BS-byte writes (looping on
 *       short writes); the parent reads them from RFILE with BS-byte reads.
 *   fbench ping AFILE BFILE COUNT
 *       COUNT round trips of one byte: the parent writes to AFILE, the
 *       child reads it and writes it back to BFILE, the parent reads it.
 *
 * Both print "ns N" (wall time from the first transfer to the last) and
 * exit 0, or print the failing call and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	printf("%s: %s\n", what, strerror(errno));
	exit(1);
}

static int openx(const char *path, int flags)
{
	int fd = open(path, flags);
	if (fd < 0)
		die(path);
	return fd;
}

static void writeall(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		p += w;
		n -= (size_t)w;
	}
}

static int reap(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

static int tput(const char *wfile, const char *rfile, long long total, size_t bs)
{
	char *buf, c;
	long long got = 0, t0;
	int fd, sync[2];
	pid_t pid;

	if (posix_memalign((void **)&buf, 4096, bs))
		die("posix_memalign");
	memset(buf, 'x', bs);
	/*
	 * The reader opens before the writer exists and can exit: a
	 * scullpipe frees its buffer when the last file closes (B8), so a
	 * writer that wrote everything and closed before the reader opened
	 * would take the data with it. O_NONBLOCK keeps a FIFO's open from
	 * waiting for a writer; it is cleared before reading. The reader
	 * starts once the writer has opened (a FIFO without writers reads as
	 * end of file), which the writer says through a pipe.
	 */
	fd = openx(rfile, O_RDONLY | O_NONBLOCK);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		die("fcntl");
	if (pipe(sync) < 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		long long left = total;
		close(fd);
		fd = openx(wfile, O_WRONLY);
		writeall(sync[1], "o", 1);
		while (left > 0) {
			size_t n = left < (long long)bs ? (size_t)left : bs;
			writeall(fd, buf, n);
			left -= (long long)n;
		}
		_exit(0);
	}
	if (read(sync[0], &c, 1) != 1)
		die("read sync");
	t0 = now();
	while (got < total) {
		ssize_t n = read(fd, buf, bs);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("read");
		}
		if (n == 0) {
			errno = EPIPE;
			die("read: early end of file");
		}
		got += n;
	}
	printf("ns %lld\n", now() - t0);
	return reap(pid);
}

static int ping(const char *afile, const char *bfile, long count)
{
	char c = 'p';
	long long t0;
	pid_t pid = fork();
	int a, b;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		a = openx(afile, O_RDONLY);
		b = openx(bfile, O_WRONLY);
		for (long i = 0; i < count; i++) {
			if (read(a, &c, 1) != 1)
				die("child read");
			writeall(b, &c, 1);
		}
		_exit(0);
	}
	a = openx(afile, O_WRONLY);
	b = openx(bfile, O_RDONLY);
	t0 = now();
	for (long i = 0; i < count; i++) {
		writeall(a, &c, 1);
		if (read(b, &c, 1) != 1)
			die("parent read");
	}
	printf("ns %lld\n", now() - t0);
	return reap(pid);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && strcmp(argv[1], "tput") == 0)
		return tput(argv[2], argv[3], atoll(argv[4]), (size_t)atol(argv[5]));
	if (argc == 5 && strcmp(argv[1], "ping") == 0)
		return ping(argv[2], argv[3], atol(argv[4]));
	fprintf(stderr, "usage: fbench tput WFILE RFILE TOTAL BS | ping AFILE BFILE COUNT\n");
	return 2;
}
