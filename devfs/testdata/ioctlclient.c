/*
 * ioctlclient: ioctl(2) on an exported model device, the way a C program
 * uses LDD3's scullpipe commands and a driver's own _IOR/_IOW ones. The
 * Go tests build it with gcc and read its answers, one line each: the
 * step's name, then the ioctl's result or the errno's name.
 *
 *   ioctlclient scull FILE   LDD3's commands on a scullpipe, and the ones
 *                            the VFS answers itself
 *   ioctlclient rw FILE      the test driver's commands with input and
 *                            output in memory
 *   ioctlclient sleep FILE   prints "blocking", then an ioctl that sleeps
 *                            until a signal (SIGINT, caught) ends it
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define SCULL_IOC_MAGIC  'k'
#define SCULL_P_IOCTSIZE _IO(SCULL_IOC_MAGIC, 13)
#define SCULL_P_IOCQSIZE _IO(SCULL_IOC_MAGIC, 14)

/* The test driver's commands (devfs/ioctl_test.go). */
#define Z_QUERY _IO('z', 1)
#define Z_SET   _IOW('z', 2, int)
#define Z_GET   _IOR('z', 3, int)
#define Z_SWAP  _IOWR('z', 4, int)
#define Z_SLEEP _IO('z', 5)
#define Z_BIG   _IOR('z', 7, char[8192])
#define Z_VALUE _IO('z', 8)

static const char *errname(int e)
{
	switch (e) {
	case ENOTTY: return "ENOTTY";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case EINTR: return "EINTR";
	case EFAULT: return "EFAULT";
	case EIO: return "EIO";
	case EBADF: return "EBADF";
	}
	return strerror(e);
}

static void show(const char *what, int ret)
{
	if (ret < 0)
		printf("%s %s\n", what, errname(errno));
	else
		printf("%s %d\n", what, ret);
	fflush(stdout);
}

static int scull(int fd)
{
	int n = -1;
	long long q = -1;
	char buf[16];

	show("qsize", ioctl(fd, SCULL_P_IOCQSIZE));
	show("tsize", ioctl(fd, SCULL_P_IOCTSIZE, 100));
	show("qsize", ioctl(fd, SCULL_P_IOCQSIZE));
	show("write", write(fd, "hello", 5));
	show("tsize-held", ioctl(fd, SCULL_P_IOCTSIZE, 200));
	show("qsize", ioctl(fd, SCULL_P_IOCQSIZE));
	show("tsize-bad", ioctl(fd, SCULL_P_IOCTSIZE, 1));
	show("unknown", ioctl(fd, _IO(SCULL_IOC_MAGIC, 15)));
	show("unknown-magic", ioctl(fd, _IO('j', 13)));
	show("unknown-ior", ioctl(fd, _IOR(SCULL_IOC_MAGIC, 14, int), &n));
	/* Answered by the VFS for a regular file, never by the device. */
	show("fionread", ioctl(fd, FIONREAD, &n));
	show("fioqsize", ioctl(fd, FIOQSIZE, &q));
	printf("fioqsize-value %lld\n", q);
	n = 1;
	show("fioasync", ioctl(fd, FIOASYNC, &n));
	show("fioclex", ioctl(fd, FIOCLEX));
	show("getfd", fcntl(fd, F_GETFD));
	n = 0;
	show("fionbio", ioctl(fd, FIONBIO, &n));
	show("nonblock", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	n = 1;
	ioctl(fd, FIONBIO, &n);
	show("read", read(fd, buf, sizeof buf));
	show("tsize", ioctl(fd, SCULL_P_IOCTSIZE, 200));
	show("qsize", ioctl(fd, SCULL_P_IOCQSIZE));
	return 0;
}

static int rw(int fd)
{
	static char big[8192];
	int v = 1234, i, ok = 1;

	show("set", ioctl(fd, Z_SET, &v));
	v = 0;
	show("get", ioctl(fd, Z_GET, &v));
	printf("get-value %d\n", v);
	v = 7;
	show("swap", ioctl(fd, Z_SWAP, &v));
	printf("swap-value %d\n", v);
	show("query", ioctl(fd, Z_QUERY));
	show("big", ioctl(fd, Z_BIG, big));
	for (i = 0; i < (int)sizeof big; i++)
		if (big[i] != (char)i)
			ok = 0;
	printf("big-ok %d\n", ok);
	show("value", ioctl(fd, Z_VALUE, 77));
	show("unknown", ioctl(fd, _IO('z', 99)));
	return 0;
}

static void onint(int sig)
{
	(void)sig;
}

static int sleeper(int fd)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = onint;
	sigaction(SIGINT, &sa, NULL);
	printf("blocking\n");
	fflush(stdout);
	show("sleep", ioctl(fd, Z_SLEEP));
	return 0;
}

int main(int argc, char **argv)
{
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: ioctlclient scull|rw|sleep FILE\n");
		return 2;
	}
	fd = open(argv[2], O_RDWR | O_NONBLOCK);
	if (fd < 0) {
		printf("open %s\n", errname(errno));
		return 1;
	}
	if (strcmp(argv[1], "scull") == 0)
		return scull(fd);
	if (strcmp(argv[1], "rw") == 0)
		return rw(fd);
	if (strcmp(argv[1], "sleep") == 0)
		return sleeper(fd);
	fprintf(stderr, "unknown mode %s\n", argv[1]);
	return 2;
}
