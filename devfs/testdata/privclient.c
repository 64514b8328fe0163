/* privclient: the privilege cases of SPEC F4. A root process opens DEV;
 * an unprivileged process (uid and gid 65534) gets the descriptor, names
 * OWNER as the file's owner with F_SETSIG SIG and O_ASYNC, and closes its
 * copy; the root process keeps its own. On Linux the owner carries the
 * credentials of whoever called F_SETOWN, so no signal reaches a target
 * the unprivileged process could not signal itself.
 *
 *   privclient fork|scm|fork-keep|scm-keep OWNER SIG DEV
 *
 * fork: the root process forks, and the child drops its ids and sets the
 * owner through the inherited descriptor. scm: a child drops its ids
 * first and then receives the descriptor over a unix socket
 * (SCM_RIGHTS). OWNER is pid:N (F_SETOWN N), expid:N (F_SETOWN_EX
 * F_OWNER_PID), tid:N (F_OWNER_TID), pgrp:N (F_SETOWN -N) or expgrp:N
 * (F_OWNER_PGRP). When the child has exited 0 the root process prints
 * "ready" and holds DEV until its standard input ends. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int drop(void)
{
	gid_t g = 65534;
	if (setgroups(1, &g) < 0 || setgid(65534) < 0 || setuid(65534) < 0) {
		perror("drop ids");
		return -1;
	}
	return 0;
}

static int keep, armed[2]; /* the child writes a byte to armed[1] once armed */

static int arm(int fd, const char *owner, int sig)
{
	int n = atoi(strchr(owner, ':') + 1), r;
	if (strncmp(owner, "parent:", 7) == 0)
		n = getppid();
	struct f_owner_ex o;
	if (fcntl(fd, F_SETSIG, sig) < 0) {
		perror("F_SETSIG");
		return -1;
	}
	if (strncmp(owner, "pid:", 4) == 0 || strncmp(owner, "parent:", 7) == 0)
		r = fcntl(fd, F_SETOWN, n);
	else if (strncmp(owner, "pgrp:", 5) == 0)
		r = fcntl(fd, F_SETOWN, -n);
	else {
		o.pid = n;
		o.type = strncmp(owner, "expid:", 6) == 0 ? F_OWNER_PID :
			 strncmp(owner, "tid:", 4) == 0 ? F_OWNER_TID : F_OWNER_PGRP;
		r = fcntl(fd, F_SETOWN_EX, &o);
	}
	if (r < 0) {
		perror("F_SETOWN");
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
	if (!keep)
		return close(fd);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (write(armed[1], "x", 1) != 1)
		return -1;
	for (;;)
		pause();
}

static void caught(int sig)
{
	(void)sig;
	if (write(STDOUT_FILENO, "signal\n", 7) != 7)
		_exit(3);
}

static int receive(int sock)
{
	char data, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&data, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	if (recvmsg(sock, &m, 0) != 1 || !CMSG_FIRSTHDR(&m))
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
	return fd;
}

static int send_fd(int sock, int fd)
{
	char data = 'x', ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&data, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 5 || !strchr(argv[2], ':')) {
		fprintf(stderr, "usage: privclient fork|scm OWNER SIG DEV\n");
		return 2;
	}
	int scm = strncmp(argv[1], "scm", 3) == 0, sig = atoi(argv[3]), sv[2];
	keep = strstr(argv[1], "-keep") != NULL;
	struct sigaction sa = {.sa_handler = caught, .sa_flags = SA_RESTART};
	sigaction(sig, &sa, NULL);
	if (pipe2(armed, O_CLOEXEC) < 0) {
		perror("pipe");
		return 1;
	}
	if (scm && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		return 1;
	}
	pid_t child = -1;
	if (scm) {
		child = fork();
		if (child == 0) {
			close(sv[0]);
			if (drop() < 0)
				_exit(1);
			int fd = receive(sv[1]);
			_exit(fd < 0 || arm(fd, argv[2], sig) < 0);
		}
		close(sv[1]);
	}
	int fd = open(argv[4], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[4]);
		return 1;
	}
	if (scm) {
		if (send_fd(sv[0], fd) < 0) {
			perror("sendmsg");
			return 1;
		}
	} else {
		child = fork();
		if (child == 0)
			_exit(drop() < 0 || arm(fd, argv[2], sig) < 0);
	}
	int status;
	char x;
	close(armed[1]);
	if (keep) {
		if (read(armed[0], &x, 1) != 1) {
			fprintf(stderr, "the unprivileged child failed\n");
			return 1;
		}
	} else if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "the unprivileged child failed\n");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	char buf[64];
	while (read(STDIN_FILENO, buf, sizeof buf) > 0)
		;
	return 0;
}
