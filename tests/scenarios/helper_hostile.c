/* SPDX-License-Identifier: MIT */
/* helper_hostile.c -- a program whose descendant attacks the watchdog
 * (issue 14), for test_intake_load.c.
 *
 *   helper_hostile N          forks a grandchild that runs, unprivileged
 *                             (setpriv --reuid=65534), `helper_hostile
 *                             open N FD`; once it says it is ready, prints
 *                             "crashing" and writes through NULL.
 *   helper_hostile open N FD  opens N crash sessions that never send a
 *                             byte, half on the inherited channel
 *                             (TMWATCH_FD), half on the named socket
 *                             (TMWATCH_SOCK, when set); writes one byte to
 *                             FD, then
 *                             holds them for 20 s and exits.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../preload/record.h"

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 1; /* frame write_null:+2 */
}

static int hello_on_channel(int chan)
{
	/* Version 1: accepted by every watchdog, old and new. */
	struct tm_crash_hello h = { TM_HELLO_MAGIC, TM_RECORD_VERSION,
				    sizeof(h), getpid(), gettid() };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	memset(&u, 0, sizeof(u));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &sv[1], sizeof(int));
	if (sendmsg(chan, &msg, MSG_NOSIGNAL) != sizeof(h))
		return -1;
	close(sv[1]);
	return sv[0]; /* kept open, silent */
}

static int connect_named(const char *name)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || strlen(name) + 1 >= sizeof a.sun_path)
		return -1;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path + 1, name, strlen(name));
	if (connect(fd, (struct sockaddr *)&a,
		    offsetof(struct sockaddr_un, sun_path) + 1 +
			    strlen(name)) != 0)
		return -1;
	return fd; /* silent: not even a hello */
}

static int open_sessions(int n, int ready)
{
	const char *chan = getenv("TMWATCH_FD");
	const char *name = getenv("TMWATCH_SOCK");
	int i, opened = 0;

	for (i = 0; i < n; i++) {
		/* Without a named socket (an older watchdog), all on the
		 * channel. */
		int fd = (i % 2 == 0 || !name) && chan ?
			 hello_on_channel(atoi(chan)) :
			 name ? connect_named(name) : -1;

		opened += fd >= 0;
	}
	if (opened != n)
		return 3;
	(void)!write(ready, "r", 1);
	close(ready);
	poll(NULL, 0, 20000); /* hold them: the attack */
	return 0;
}

int main(int argc, char **argv)
{
	char self[4096], fdarg[16], c;
	int n = argc > 1 ? atoi(argv[argc > 2 ? 2 : 1]) : 0, p[2], null;
	struct pollfd pf;
	ssize_t len;

	if (argc == 4 && strcmp(argv[1], "open") == 0)
		return open_sessions(n, atoi(argv[3]));
	len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0 || len <= 0 || pipe(p) != 0)
		return 2;
	self[len] = 0;
	snprintf(fdarg, sizeof fdarg, "%d", p[1]);
	if (fork() == 0) {
		null = open("/dev/null", O_RDWR);
		dup2(null, 1);
		dup2(null, 2);
		close(p[0]);
		execlp("setpriv", "setpriv", "--reuid=65534", "--regid=65534",
		       "--clear-groups", self, "open", argv[1], fdarg,
		       (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	pf.fd = p[0];
	pf.events = POLLIN;
	if (poll(&pf, 1, 30000) != 1 || read(p[0], &c, 1) != 1) {
		fprintf(stderr, "helper_hostile: the attacker never got "
			"ready\n");
		return 4;
	}
	printf("crashing\n");
	fflush(stdout);
	write_null(NULL);
	return 0;
}
