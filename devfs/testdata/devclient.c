/*
 * devclient: a small C program that uses an exported model device the way
 * any program would (open, read, write, fcntl, poll, select, epoll,
 * signals). The Go tests build it with gcc and read its one-line answers.
 *
 *   devclient read FILE [blocking|nonblock-open|nonblock-fcntl] [SIZE]
 *   devclient write FILE DATA [blocking|nonblock-open|nonblock-fcntl]
 *   devclient wait FILE poll|select|epoll in|out TIMEOUT_MS
 *   devclient intr FILE restart|norestart
 *   devclient async FILE
 *
 * read/write print the data read, "wrote N", or the errno name.
 * wait opens FILE O_RDWR, waits for readiness and prints "timeout" or
 * "ready" followed by the events seen (IN, OUT); with "in" it then reads
 * and prints "data DATA".
 * intr installs a SIGINT handler (with or without SA_RESTART), prints
 * "blocking" and reads; it prints "EINTR" or what the read gave.
 * async sets O_ASYNC with F_SETFL and prints "setfl 0 getfl-async 0|1".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

static const char *errname(int e)
{
	switch (e) {
	case EAGAIN: return "EAGAIN";
	case EINTR: return "EINTR";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ECONNABORTED: return "ECONNABORTED";
	case ENOTCONN: return "ENOTCONN";
	case EIO: return "EIO";
	}
	return strerror(e);
}

static int fail(const char *what)
{
	printf("%s %s\n", what, errname(errno));
	return 1;
}

/* openmode opens file with acc and applies the non-blocking mode. */
static int openmode(const char *file, int acc, const char *mode)
{
	int fd, nb = mode && strcmp(mode, "nonblock-open") == 0;

	fd = open(file, acc | (nb ? O_NONBLOCK : 0));
	if (fd < 0)
		return -1;
	if (mode && strcmp(mode, "nonblock-fcntl") == 0) {
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
			return -1;
		if (!(fcntl(fd, F_GETFL) & O_NONBLOCK)) {
			errno = EINVAL;
			return -1;
		}
	}
	return fd;
}

static int do_read(int argc, char **argv)
{
	char buf[65536];
	size_t size = argc > 4 ? (size_t)atol(argv[4]) : sizeof buf;
	int fd = openmode(argv[2], O_RDONLY, argc > 3 ? argv[3] : NULL);
	ssize_t n;

	if (fd < 0)
		return fail("open");
	if (size > sizeof buf)
		size = sizeof buf;
	n = read(fd, buf, size);
	if (n < 0)
		return fail("read");
	printf("data %.*s\n", (int)n, buf);
	return 0;
}

static int do_write(int argc, char **argv)
{
	int fd = openmode(argv[2], O_WRONLY, argc > 4 ? argv[4] : NULL);
	ssize_t n;

	if (fd < 0)
		return fail("open");
	n = write(fd, argv[3], strlen(argv[3]));
	if (n < 0)
		return fail("write");
	printf("wrote %zd\n", n);
	return 0;
}

static void print_ready(int in, int out)
{
	printf("ready%s%s\n", in ? " IN" : "", out ? " OUT" : "");
}

/* waitfd waits with the named mechanism; 0 timeout, 1 ready, -1 error. */
static int waitfd(int fd, const char *how, int wantin, int ms, int *in, int *out)
{
	if (strcmp(how, "poll") == 0) {
		struct pollfd p = { .fd = fd, .events = wantin ? POLLIN : POLLOUT };
		int r = poll(&p, 1, ms);
		*in = p.revents & POLLIN;
		*out = p.revents & POLLOUT;
		return r;
	}
	if (strcmp(how, "select") == 0) {
		fd_set rs, ws;
		struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
		FD_ZERO(&rs);
		FD_ZERO(&ws);
		FD_SET(fd, wantin ? &rs : &ws);
		int r = select(fd + 1, &rs, &ws, NULL, ms < 0 ? NULL : &tv);
		*in = FD_ISSET(fd, &rs);
		*out = FD_ISSET(fd, &ws);
		return r;
	}
	if (strcmp(how, "epoll") == 0) {
		struct epoll_event ev = { .events = wantin ? EPOLLIN : EPOLLOUT };
		int ep = epoll_create1(0), r;
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -1;
		r = epoll_wait(ep, &ev, 1, ms);
		*in = r > 0 && (ev.events & EPOLLIN);
		*out = r > 0 && (ev.events & EPOLLOUT);
		close(ep);
		return r;
	}
	errno = EINVAL;
	return -1;
}

static int do_wait(char **argv)
{
	int wantin = strcmp(argv[4], "in") == 0, in = 0, out = 0, r;
	int fd = open(argv[2], O_RDWR);
	char buf[4096];
	ssize_t n;

	if (fd < 0)
		return fail("open");
	printf("waiting\n");
	fflush(stdout);
	r = waitfd(fd, argv[3], wantin, atoi(argv[5]), &in, &out);
	if (r < 0)
		return fail(argv[3]);
	if (r == 0) {
		printf("timeout\n");
		return 0;
	}
	print_ready(in, out);
	if (wantin) {
		n = read(fd, buf, sizeof buf);
		if (n < 0)
			return fail("read");
		printf("data %.*s\n", (int)n, buf);
	}
	return 0;
}

static void on_sigint(int sig)
{
	(void)sig;
}

static int do_intr(char **argv)
{
	struct sigaction sa;
	char buf[256];
	ssize_t n;
	int fd = open(argv[2], O_RDONLY);

	if (fd < 0)
		return fail("open");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sa.sa_flags = strcmp(argv[3], "restart") == 0 ? SA_RESTART : 0;
	sigaction(SIGINT, &sa, NULL);
	printf("blocking\n");
	fflush(stdout);
	n = read(fd, buf, sizeof buf);
	if (n < 0)
		return fail("read");
	printf("data %.*s\n", (int)n, buf);
	return 0;
}

static int do_async(char **argv)
{
	int fd = open(argv[2], O_RDWR), fl, r;

	if (fd < 0)
		return fail("open");
	fl = fcntl(fd, F_GETFL);
	r = fcntl(fd, F_SETOWN, getpid());
	if (r < 0)
		return fail("setown");
	r = fcntl(fd, F_SETFL, fl | O_ASYNC);
	printf("setfl %d getfl-async %d\n", r, (fcntl(fd, F_GETFL) & O_ASYNC) != 0);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && strcmp(argv[1], "read") == 0)
		return do_read(argc, argv);
	if (argc >= 4 && strcmp(argv[1], "write") == 0)
		return do_write(argc, argv);
	if (argc >= 6 && strcmp(argv[1], "wait") == 0)
		return do_wait(argv);
	if (argc >= 4 && strcmp(argv[1], "intr") == 0)
		return do_intr(argv);
	if (argc >= 3 && strcmp(argv[1], "async") == 0)
		return do_async(argv);
	fprintf(stderr, "usage: devclient read|write|wait|intr|async FILE ...\n");
	return 2;
}
